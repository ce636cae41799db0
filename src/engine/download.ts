// Download pipeline: a version's chunk list (streamed from metadata) → parallel fetch and verify
// with bounded read-ahead → bytes out in order. Byte ranges start at the chunk holding the first
// byte and trim the ends, so a small range reads only the chunks it covers.
import type { ChunkId } from '../core/chunk-id.ts';
import { CIPHER_NONE } from '../core/cipher.ts';
import { parseEnvelope } from '../core/envelope.ts';
import { ChunkCorruptError, FileNotFoundError } from '../core/errors.ts';
import { resolveRange, type RangeRequest } from '../core/input/ranges.ts';
import type { VersionChunk, VersionRecord } from '../metadata/metadata-store.ts';
import { chunkKey } from '../storage/blob-store.ts';
import { readChunk } from './chunk-reader.ts';
import { rankCopies } from './copy-reads.ts';
import { isSharded } from './erasure-io.ts';
import type { ChunkTransformer } from './chunk-transformer.ts';
import { orderedMap } from './concurrency.ts';
import type { EngineContext } from './context.ts';

export interface DownloadOptions {
  version?: number | undefined;
  range?: RangeRequest | undefined;
}

export interface Download {
  version: VersionRecord;
  /** Bytes the stream will produce. */
  length: number;
  /** First byte offset within the file. */
  start: number;
  /** The bytes, in order. Each piece belongs to the consumer: it may keep it or free it once written. */
  body: AsyncIterable<Uint8Array>;
}

export async function resolveVersion(ctx: EngineContext, name: string, version?: number): Promise<VersionRecord> {
  const record = await ctx.metadata.getVersion(name, version);
  if (!record) throw new FileNotFoundError(name, version);
  return record;
}

/** The version and byte span a download reads (the whole file when no range is asked for). */
async function plan(ctx: EngineContext, name: string, options: DownloadOptions): Promise<{ version: VersionRecord; start: number; end: number; length: number }> {
  const version = await resolveVersion(ctx, name, options.version);
  const { start, end } = options.range ? resolveRange(options.range, version.size, name) : { start: 0, end: version.size - 1 };
  return { version, start, end, length: Math.max(0, end - start + 1) };
}

export async function download(ctx: EngineContext, name: string, options: DownloadOptions = {}): Promise<Download> {
  const { version, start, end, length } = await plan(ctx, name, options);
  return { version, length, start, body: counted(ctx, name, length === 0 ? emptyBody() : body(ctx, version, start, end), (c) => c.length) };
}

async function* emptyBody<T>(): AsyncGenerator<T> {}

/**
 * Analytics: one download of `name` with the bytes actually sent, recorded when the body ends
 * (also when the reader stops early). A failure to record never fails the download.
 */
async function* counted<T>(ctx: EngineContext, name: string, pieces: AsyncIterable<T>, bytesOf: (piece: T) => number): AsyncGenerator<T> {
  let sent = 0;
  try {
    for await (const piece of pieces) {
      // Counted before it is handed over: the consumer may free the piece once written.
      const n = bytesOf(piece);
      yield piece;
      sent += n;
    }
  } finally {
    await ctx.metadata.recordDownload(name, sent).catch((err: unknown) => ctx.warn(`could not record the download of ${JSON.stringify(name)}: ${String(err)}`));
  }
}

async function* body(ctx: EngineContext, version: VersionRecord, start: number, end: number): AsyncGenerator<Uint8Array> {
  const chunks = takeUntil(ctx.metadata.versionChunks(version.versionId, start), end);
  const read = async (entry: VersionChunk): Promise<{ vc: VersionChunk; plain: Uint8Array }> => ({
    vc: entry,
    plain: await readChunk(ctx, entry.chunk, { fileName: version.name }),
  });
  for await (const { vc, plain } of orderedMap(chunks, ctx.limits.readAhead, read)) {
    const from = Math.max(0, start - vc.offset);
    const to = Math.min(vc.length, end - vc.offset + 1);
    yield from === 0 && to === vc.length ? plain : plain.subarray(from, to);
  }
}

/** Stop pulling the chunk list once past `end`, so a range read does not scan the rest. */
async function* takeUntil(chunks: AsyncIterable<VersionChunk>, end: number): AsyncGenerator<VersionChunk> {
  for await (const vc of chunks) {
    if (vc.offset > end) return;
    yield vc;
  }
}

/** One chunk of an envelope download: its unencrypted envelope and which of its bytes are wanted. */
export interface EnvelopePiece {
  id: ChunkId;
  /** Bytes of the plain chunk to drop from its start, and then to keep (range downloads). */
  skip: number;
  take: number;
  envelope: Uint8Array;
}

export interface EnvelopeDownload extends Omit<Download, 'body'> {
  pieces: AsyncIterable<EnvelopePiece>;
}

/**
 * A download for a client that decompresses and verifies for itself: chunks are read with the same
 * copy fallback, hedging, healing and erasure decoding as `download`, but handed out as envelopes
 * (frame checked; decrypted and re-framed in an encrypted repository) instead of plain bytes, so
 * the orchestrator never decompresses and the wire carries compressed bytes.
 */
export async function downloadEnvelopes(ctx: EngineContext, name: string, options: DownloadOptions = {}, repository: { encrypted: boolean } = { encrypted: true }): Promise<EnvelopeDownload> {
  const { version, start, end, length } = await plan(ctx, name, options);
  const unsealing: EngineContext = { ...ctx, transformer: unsealingView(ctx.transformer, repository.encrypted) };
  async function* pieces(): AsyncGenerator<EnvelopePiece> {
    const chunks = takeUntil(ctx.metadata.versionChunks(version.versionId, start), end);
    const read = async (vc: VersionChunk): Promise<EnvelopePiece> => {
      const skip = Math.max(0, start - vc.offset);
      const take = Math.min(vc.length, end - vc.offset + 1) - skip;
      return { id: vc.chunk.id, skip, take, envelope: await readChunk(unsealing, vc.chunk, { fileName: version.name }) };
    };
    yield* orderedMap(chunks, ctx.limits.readAhead, read);
  }
  return { version, length, start, pieces: counted(ctx, name, length === 0 ? emptyBody<EnvelopePiece>() : pieces(), (p) => p.take) };
}

/**
 * The transformer as readChunk sees it, answering decode with unseal. Unsealing an unencrypted
 * repository's envelope is only its frame check (a CRC of a compressed chunk, tens of
 * microseconds): done here rather than at the price of a round trip to a worker thread.
 */
function unsealingView(t: ChunkTransformer, encrypted: boolean): ChunkTransformer {
  return {
    encode: (plain, id, codec, level, options) => t.encode(plain, id, codec, level, options),
    decode: async (envelope, id, backend) => {
      if (encrypted) return t.unseal(envelope, id, backend);
      const { header } = parseEnvelope(envelope, id, backend);
      if (header.cipherId !== CIPHER_NONE) throw new ChunkCorruptError(id, 'object is encrypted but the repository has no key', backend);
      return envelope;
    },
    admit: (envelope, id, maxPlain, recompress) => t.admit(envelope, id, maxPlain, recompress),
    unseal: (envelope, id, backend) => t.unseal(envelope, id, backend),
    close: async () => {},
  };
}

/** One chunk of a download plan: where the client reads it itself (direct reads). */
export interface PlanPiece {
  id: ChunkId;
  /** The object key its copies are stored under on every backend. */
  key: string;
  /** Where the chunk starts in the file, and its plain length. */
  offset: number;
  length: number;
  skip: number;
  take: number;
  /** Backends holding a whole copy recorded ok, best first; none: read it through the orchestrator. */
  copies: string[];
}

export interface DownloadPlan extends Omit<Download, 'body'> {
  pieces: AsyncIterable<PlanPiece>;
}

/**
 * A download a client reads from the backends itself: each chunk with its healthy whole copies in
 * the order `readChunk` would try them. Erasure-coded chunks and chunks inside packs have none
 * (the orchestrator decodes them). Counted as a download of the bytes planned.
 */
export async function downloadPlan(ctx: EngineContext, name: string, options: DownloadOptions = {}): Promise<DownloadPlan> {
  const { version, start, end, length } = await plan(ctx, name, options);
  async function* pieces(): AsyncGenerator<PlanPiece> {
    for await (const vc of takeUntil(ctx.metadata.versionChunks(version.versionId, start), end)) {
      const skip = Math.max(0, start - vc.offset);
      const take = Math.min(vc.length, end - vc.offset + 1) - skip;
      // Chunks inside packs are read through the orchestrator (a range of the pack's object).
      const copies = isSharded(vc.chunk) || vc.chunk.pack ? [] : rankCopies(ctx, vc.chunk.id, vc.chunk.copies).filter((c) => c.state === 'ok').map((c) => c.backend);
      yield { id: vc.chunk.id, key: chunkKey(vc.chunk.id), offset: vc.offset, length: vc.length, skip, take, copies };
    }
  }
  return { version, length, start, pieces: counted(ctx, name, length === 0 ? emptyBody<PlanPiece>() : pieces(), (p) => p.take) };
}
