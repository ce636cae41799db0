// What every S3 operation handler shares: the server context, one authenticated request, the
// access key's grant, XML responses, and the request body decoded and checked (payload.ts).
import type { Logger } from 'pino';
import type { LocalRepository, S3AccessKey, S3Bucket } from '../../repository/repository.ts';
import { header, type Req, type Res } from '../http-util.ts';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from './digests.ts';
import { checkedPayload, isStreaming, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER, type CheckedPayload } from './payload.ts';
import type { GroupCommitter } from './group-commit.ts';
import { S3Error } from './s3-errors.ts';
import { ChunkSignatures, type KeySigner, type RequestAuth, type SignedRequest } from './sigv4.ts';

/** S3's largest single PUT (5 GiB); larger objects need multipart uploads. */
export const MAX_PUT_BYTES = 5 * 1024 ** 3;
export const DEFAULT_REGION = 'us-east-1';

export interface S3Context {
  repo: LocalRepository;
  /** Small PUTs committed in groups (group-commit.ts). */
  smallObjects: GroupCommitter;
  region: string;
  log: Logger;
  now: () => number;
  maxPutBytes: number;
}

/** One authenticated request, parsed. */
export interface S3Request {
  req: Req;
  res: Res;
  method: string;
  /** Empty for service-level requests (ListBuckets). */
  bucket: string;
  /** Empty for bucket-level requests. */
  key: string;
  query: ReadonlyMap<string, string>;
  signed: SignedRequest;
  auth: RequestAuth;
  signer: KeySigner;
  accessKey: S3AccessKey;
  /** The x-amz-content-sha256 the signature covers. */
  payloadHash: string;
  requestId: string;
}

/** What a key may do: read-only keys only read; bucket and prefix grants confine it. */
export function checkGrant(r: Pick<S3Request, 'accessKey'>, action: 'read' | 'write', bucket: string, key?: string): void {
  const k = r.accessKey;
  if (action === 'write' && k.readOnly) throw new S3Error('AccessDenied', 'Access Denied: this access key is read-only.');
  if (k.bucket !== undefined && (bucket === '' || bucket !== k.bucket)) throw new S3Error('AccessDenied', `Access Denied: this access key is limited to bucket ${k.bucket}.`);
  if (k.prefix !== undefined && key !== undefined && !key.startsWith(k.prefix)) throw new S3Error('AccessDenied', `Access Denied: this access key is limited to keys starting with ${JSON.stringify(k.prefix)}.`);
}

export function sendXml(res: Res, status: number, xml: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/xml');
  res.setHeader('content-length', Buffer.byteLength(xml));
  res.end(xml);
}

/** The request body, decoded (aws-chunked) and checked (signatures, SHA-256, Content-MD5, x-amz-checksum-*) as it streams. */
export function requestPayload(r: S3Request, maxBytes: number): CheckedPayload {
  const { req } = r;
  const declared = r.payloadHash;
  const streaming = isStreaming(declared);
  const length = header(req, 'content-length');
  if (length === undefined && header(req, 'transfer-encoding') === undefined && ['PUT', 'POST'].includes(r.method)) {
    throw new S3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.');
  }
  const decodedText = header(req, 'x-amz-decoded-content-length');
  if (streaming && decodedText === undefined && declared !== STREAMING_UNSIGNED_TRAILER) {
    throw new S3Error('MissingContentLength', 'aws-chunked uploads must send x-amz-decoded-content-length.');
  }
  const decodedLength = decodedText === undefined ? undefined : Number(decodedText);
  if (decodedLength !== undefined && !Number.isSafeInteger(decodedLength)) throw new S3Error('InvalidArgument', 'x-amz-decoded-content-length must be a number of bytes.');
  const size = decodedLength ?? (length === undefined || streaming ? undefined : Number(length));
  if (size !== undefined && size > maxBytes) throw new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.', { ProposedSize: String(size), MaxSizeAllowed: String(maxBytes) });
  let checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = header(req, `x-amz-checksum-${algorithm}`);
    if (value === undefined) continue;
    if (checksum) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
    checksum = { algorithm, value };
  }
  const trailerName = header(req, 'x-amz-trailer')?.trim().toLowerCase();
  let trailer: ChecksumAlgorithm | undefined;
  if (trailerName !== undefined) {
    trailer = CHECKSUM_ALGORITHMS.find((a) => trailerName === `x-amz-checksum-${a}`);
    if (!trailer) throw new S3Error('InvalidRequest', `The value specified in the x-amz-trailer header is not supported: ${trailerName}`);
    if (checksum) throw new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header or trailer.');
  }
  const contentMd5 = header(req, 'content-md5');
  if (contentMd5 !== undefined && Buffer.from(contentMd5, 'base64').length !== 16) throw new S3Error('InvalidDigest', 'The Content-MD5 you specified is not valid.');
  const signed = declared === STREAMING_SIGNED || declared === STREAMING_SIGNED_TRAILER;
  return checkedPayload(req as AsyncIterable<Uint8Array>, {
    declared,
    ...(signed ? { signatures: new ChunkSignatures(r.signer, r.auth) } : {}),
    ...(contentMd5 === undefined ? {} : { contentMd5 }),
    ...(checksum ? { checksum } : {}),
    ...(trailer ? { trailer } : {}),
    ...(decodedLength === undefined ? {} : { decodedLength }),
    ...(size === undefined ? {} : { expectedSize: size }),
    maxBytes,
  });
}

/** A whole (small) body in one buffer; the pieces are copied, as socket buffers are reused. */
export async function bodyBytes(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of body) parts.push(Buffer.from(p));
  return Buffer.concat(parts);
}

/** A small body (XML of DeleteObjects, CreateBucket), checked like any other, as text. */
export async function readSmallBody(r: S3Request, maxBytes: number): Promise<string> {
  return (await bodyBytes(requestPayload(r, maxBytes).body)).toString('utf8');
}

/** The bucket, or NoSuchBucket. */
export async function requireBucket(ctx: S3Context, bucket: string): Promise<S3Bucket> {
  const b = await ctx.repo.s3.getBucket(bucket);
  if (!b) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: bucket });
  return b;
}

/** What every listing (objects, versions, uploads) takes alike, checked: prefix, delimiter, key encoding, page size. */
export function listingParams(r: S3Request): { prefix: string; delimiter: string; encodingType: string | undefined; enc(s: string): string; maxKeys: number } {
  const prefix = r.query.get('prefix') ?? '';
  const delimiter = r.query.get('delimiter') ?? '';
  const encodingType = r.query.get('encoding-type');
  if (encodingType !== undefined && encodingType !== 'url') throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request');
  checkGrant(r, 'read', r.bucket);
  // A key confined to a prefix lists only under it.
  if (r.accessKey.prefix !== undefined && !prefix.startsWith(r.accessKey.prefix)) throw new S3Error('AccessDenied', `Access Denied: this access key lists only under ${JSON.stringify(r.accessKey.prefix)}.`);
  const maxText = r.query.get('max-keys') ?? r.query.get('max-uploads');
  if (maxText !== undefined && maxText !== '' && !/^\d{1,9}$/.test(maxText)) throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range');
  return {
    prefix,
    delimiter,
    encodingType,
    enc: (s) => (encodingType === 'url' ? encodeURIComponent(s).replace(/%2F/g, '/') : s),
    maxKeys: maxText === undefined || maxText === '' ? 1000 : Math.min(Number(maxText), 1000),
  };
}
