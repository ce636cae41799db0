// A request body as S3 clients send it, decoded and checked while it streams: plain bodies with a
// signed SHA-256 or UNSIGNED-PAYLOAD, and aws-chunked bodies (STREAMING-AWS4-HMAC-SHA256-PAYLOAD
// with a signature per chunk, and the -TRAILER forms that end with x-amz-checksum-* trailers),
// plus Content-MD5 and x-amz-checksum-* headers. A mismatch throws from the body stream before it
// ends, so the upload consuming it fails and nothing is committed. The MD5 of the decoded bytes
// (S3's ETag) is computed on the way.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
import { createHash } from 'node:crypto';
import type { ChecksumAlgorithm, DigestAlgorithm } from './digests.ts';
import { PayloadDigests } from './payload-digests.ts';
import { S3Error } from './s3-errors.ts';
import { UNSIGNED_PAYLOAD, type ChunkSignatures } from './sigv4.ts';

export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';

/** Largest aws-chunked chunk accepted (SDKs send 64 KiB; S3's own limit is far above what a client uses). */
const MAX_CHUNK = 16 * 1024 * 1024;
const MAX_LINE = 4096;

export interface PayloadOptions {
  /** x-amz-content-sha256 as declared (or UNSIGNED-PAYLOAD for presigned URLs). */
  declared: string;
  /** For the signed streaming forms. */
  signatures?: ChunkSignatures;
  /** Content-MD5 header (base64). */
  contentMd5?: string;
  /** An x-amz-checksum-* header: algorithm and base64 value. */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
  /** The algorithm x-amz-trailer announces (its value comes after the last chunk). */
  trailer?: ChecksumAlgorithm;
  /** x-amz-decoded-content-length of an aws-chunked body. */
  decodedLength?: number;
  /** The decoded size where the request tells it (small bodies are hashed inline). */
  expectedSize?: number;
  /** Refuse bodies larger than this (EntityTooLarge). */
  maxBytes: number;
}

export interface CheckedPayload {
  /** The decoded bytes; throws an S3Error before its end when a check fails. */
  body: AsyncIterable<Uint8Array>;
  /** Hex MD5 of the decoded bytes (S3's ETag), once `body` has ended. */
  md5(): string;
  /** Decoded bytes so far. */
  size(): number;
  /** The decoded size the request declares, where it does. */
  expectedSize: number | undefined;
  /** The checksum the client sent (header or trailer) and that matched, for HeadObject. */
  checksum(): { algorithm: ChecksumAlgorithm; value: string } | undefined;
}

export function isStreaming(declared: string): boolean {
  return declared === STREAMING_SIGNED || declared === STREAMING_SIGNED_TRAILER || declared === STREAMING_UNSIGNED_TRAILER;
}

/** Pulls bytes from a stream: lines (aws-chunked headers and trailers) and exact counts. */
class ByteReader {
  readonly #source: AsyncIterator<Uint8Array>;
  #buffered: Buffer = Buffer.alloc(0);
  #done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  async #fill(): Promise<boolean> {
    if (this.#done) return false;
    const next = await this.#source.next();
    if (next.done) {
      this.#done = true;
      return false;
    }
    this.#buffered = this.#buffered.length === 0 ? Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength) : Buffer.concat([this.#buffered, next.value]);
    return true;
  }

  /** The next line without its CRLF; IncompleteBody at the end of the stream. */
  async line(): Promise<string> {
    for (;;) {
      const at = this.#buffered.indexOf('\r\n');
      if (at >= 0) {
        const text = this.#buffered.subarray(0, at).toString('latin1');
        this.#buffered = this.#buffered.subarray(at + 2);
        return text;
      }
      if (this.#buffered.length > MAX_LINE) throw new S3Error('InvalidRequest', 'aws-chunked: a chunk header or trailer line is too long.');
      if (!(await this.#fill())) throw new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
    }
  }

  /** Exactly n bytes, as pieces of what arrived (no copy of a large chunk). */
  async bytes(n: number): Promise<Buffer[]> {
    const pieces: Buffer[] = [];
    let left = n;
    while (left > 0) {
      if (this.#buffered.length === 0 && !(await this.#fill())) throw new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
      const take = Math.min(left, this.#buffered.length);
      pieces.push(this.#buffered.subarray(0, take));
      this.#buffered = this.#buffered.subarray(take);
      left -= take;
    }
    return pieces;
  }

  /** Whatever is left: must be nothing. */
  async atEnd(): Promise<boolean> {
    if (this.#buffered.length > 0) return false;
    return !(await this.#fill()) && this.#buffered.length === 0;
  }
}

async function* raw(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* source;
}

/** Decode an aws-chunked body; `onData` sees every decoded piece, chunk signatures checked first. */
async function* awsChunked(source: AsyncIterable<Uint8Array>, declared: string, signatures: ChunkSignatures | undefined, onTrailer: (name: string, value: string) => void): AsyncGenerator<Uint8Array> {
  const reader = new ByteReader(source);
  const signed = declared !== STREAMING_UNSIGNED_TRAILER;
  const trailing = declared !== STREAMING_SIGNED;
  for (;;) {
    const head = await reader.line();
    const semi = head.indexOf(';');
    const sizeText = semi < 0 ? head : head.slice(0, semi);
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new S3Error('InvalidRequest', 'aws-chunked: a chunk header is malformed.');
    const size = parseInt(sizeText, 16);
    if (size > MAX_CHUNK) throw new S3Error('InvalidRequest', `aws-chunked: chunks may be at most ${MAX_CHUNK} bytes.`);
    let signature: string | undefined;
    if (signed) {
      const ext = semi < 0 ? '' : head.slice(semi + 1);
      if (!ext.startsWith('chunk-signature=')) throw new S3Error('SignatureDoesNotMatch', 'aws-chunked: a chunk has no chunk-signature.');
      signature = ext.slice('chunk-signature='.length);
    }
    const pieces = await reader.bytes(size);
    if (size > 0 || !trailing) {
      if ((await reader.line()) !== '') throw new S3Error('InvalidRequest', 'aws-chunked: chunk data is not followed by CRLF.');
    }
    if (signatures && signature !== undefined) {
      const h = createHash('sha256');
      for (const p of pieces) h.update(p);
      await signatures.chunk(h.digest('hex'), signature);
    }
    for (const p of pieces) yield p;
    if (size === 0) break;
  }
  if (trailing) {
    const lines: string[] = [];
    for (;;) {
      const line = await reader.line();
      if (line === '') break;
      lines.push(line);
    }
    const text: string[] = [];
    let trailerSignature: string | undefined;
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new S3Error('InvalidRequest', 'aws-chunked: a trailer line is malformed.');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'x-amz-trailer-signature') trailerSignature = value;
      else {
        text.push(`${name}:${value}\n`);
        onTrailer(name, value);
      }
    }
    if (signatures) {
      if (trailerSignature === undefined) throw new S3Error('SignatureDoesNotMatch', 'aws-chunked: the trailer has no x-amz-trailer-signature.');
      await signatures.trailer(text.join(''), trailerSignature);
    }
  }
  if (!(await reader.atEnd())) throw new S3Error('InvalidRequest', 'aws-chunked: bytes follow the final chunk.');
}

export function checkedPayload(source: AsyncIterable<Uint8Array>, options: PayloadOptions): CheckedPayload {
  const { declared } = options;
  const streaming = isStreaming(declared);
  if (!streaming && declared !== UNSIGNED_PAYLOAD && !/^[0-9a-f]{64}$/.test(declared)) {
    if (declared.startsWith('STREAMING-')) throw new S3Error('NotImplemented', `The payload form ${declared} is not implemented (use ${STREAMING_SIGNED}, ${STREAMING_UNSIGNED_TRAILER} or a signed SHA-256).`);
    throw new S3Error('InvalidArgument', 'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-… or the hex SHA-256 of the payload.');
  }
  if ((declared === STREAMING_SIGNED || declared === STREAMING_SIGNED_TRAILER) && !options.signatures) throw new S3Error('InvalidRequest', `${declared} needs a signed request.`);
  if (options.trailer && declared !== STREAMING_SIGNED_TRAILER && declared !== STREAMING_UNSIGNED_TRAILER) throw new S3Error('InvalidRequest', 'x-amz-trailer needs a -TRAILER aws-chunked payload.');
  const hexSha256 = /^[0-9a-f]{64}$/.test(declared);
  const algorithm = options.checksum?.algorithm ?? options.trailer;
  const algorithms: DigestAlgorithm[] = ['md5'];
  if (hexSha256) algorithms.push('sha256');
  if (algorithm && !algorithms.includes(algorithm)) algorithms.push(algorithm);
  let trailerValue: string | undefined;
  let size = 0;
  let md5Hex: string | undefined;
  let matched: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  const decoded = streaming
    ? awsChunked(source, declared, options.signatures, (name, value) => {
        if (options.trailer && name === `x-amz-checksum-${options.trailer}`) trailerValue = value;
      })
    : raw(source);
  async function* body(): AsyncGenerator<Uint8Array> {
    const digests = new PayloadDigests(algorithms, options.expectedSize);
    let finished = false;
    try {
      for await (const piece of decoded) {
        size += piece.byteLength;
        if (size > options.maxBytes) throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.', { MaxSizeAllowed: String(options.maxBytes) });
        await digests.update(piece);
        yield piece;
      }
      const d = await digests.finish();
      finished = true;
      const hex = (a: DigestAlgorithm): string => Buffer.from(d.get(a)!, 'base64').toString('hex');
      // Every check passes before the stream ends, so a refused body is never committed.
      if (options.decodedLength !== undefined && size !== options.decodedLength) throw new S3Error('IncompleteBody', 'The decoded body length does not match x-amz-decoded-content-length.');
      if (hexSha256 && hex('sha256') !== declared) throw new S3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
      if (options.contentMd5 !== undefined && d.get('md5') !== options.contentMd5) throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
      if (algorithm) {
        const expected = options.checksum?.value ?? trailerValue;
        if (expected === undefined) throw new S3Error('InvalidRequest', `The trailer announced x-amz-checksum-${algorithm} but the body did not carry it.`);
        const actual = d.get(algorithm)!;
        if (actual !== expected) throw new S3Error('BadDigest', `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`);
        matched = { algorithm, value: actual };
      }
      md5Hex = hex('md5');
    } finally {
      if (!finished) digests.drop();
    }
  }
  return {
    body: body(),
    md5: () => {
      if (md5Hex === undefined) throw new Error('payload MD5 asked for before the body ended');
      return md5Hex;
    },
    size: () => size,
    expectedSize: options.expectedSize,
    checksum: () => matched,
  };
}
