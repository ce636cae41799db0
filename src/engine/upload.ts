// Upload pipeline: bytes → FastCDC chunks → ids → dedup claims → (new chunks only) compress /
// encrypt in workers → replicated writes → staged chunk list → one commit. Backpressure: the
// source is read only while fewer than `inFlightChunks` chunks are being encoded or written.
import type { EncodedChunk } from '../core/chunk-codec.ts';
import type { ChunkId } from '../core/chunk-id.ts';
import { freeView } from '../core/memory.ts';
import { codecById, type CodecChoice } from '../core/codecs.ts';
import { DcsError } from '../core/errors.ts';
import type { StagedChunk, StoredChunk, VersionRecord } from '../metadata/metadata-store.ts';
import { stat } from 'node:fs/promises';
import { maxChunk } from '../core/chunker.ts';
import { shardObjectSize } from '../core/erasure.ts';
import { isFileInput, type ChunkInput } from './chunk-source.ts';
import { writeCopies } from './chunk-writer.ts';
import { writeShards } from './erasure-io.ts';
import { Semaphore, sleep, TaskGroup } from './concurrency.ts';
import type { EngineContext } from './context.ts';

export interface UploadProgress {
  bytesRead: number;
  chunks: number;
}

export interface UploadOptions {
  name: string;
  codec?: CodecChoice;
  level?: number;
  onProgress?: (progress: UploadProgress) => void;
  /**
   * What to keep with the version (VersionRecord.attributes), asked for once the input has ended
   * and every chunk is durable, just before the commit: the S3 API's ETag is the MD5 of the bytes.
   */
  attributes?: () => string | undefined;
  /** The input's size where the caller knows it (a request's Content-Length): small inputs are chunked inline. */
  sizeHint?: number;
}

/** What storing a stream added: its size and what of it had to be written. */
export interface IngestCounts {
  size: number;
  chunks: number;
  /** Chunks this upload wrote (the rest were already stored). */
  newChunks: number;
  /** Stored bytes this upload added (one copy). */
  newStoredBytes: number;
  /** Raw bytes of the chunks this upload wrote. */
  newRawBytes: number;
  /** Chunks written per codec name. */
  codecs: Record<string, number>;
}

export interface UploadResult extends IngestCounts {
  version: VersionRecord;
  /** The version's stored size (distinct chunks, one copy), where the upload knows it without a look-up. */
  storedSize?: number;
}

/** Sessions heartbeat this often; gc treats a session silent for far longer as dead. */
export const HEARTBEAT_INTERVAL_MS = 30_000;
const BATCH_CHUNKS = 32;
const BATCH_BYTES = 8 * 1024 * 1024;
const BUSY_RETRY_MS = 50;
/** gc deletes a batch in seconds; a chunk 'busy' for this long belongs to a gc that died. */
const BUSY_GIVE_UP_MS = 120_000;

interface Pending {
  id: ChunkId;
  plain: Uint8Array;
  staged: StagedChunk;
}

export interface Ingested extends IngestCounts {
  /** Chunks stored with fewer copies than the policy wants (allowed by minCopies). */
  degraded: number;
}

/** Counters of what an upload wrote. */
export interface WrittenCounts {
  newChunks: number;
  newStoredBytes: number;
  newRawBytes: number;
  codecs: Record<string, number>;
  degraded: number;
}

export function countWritten(counts: WrittenCounts, stored: StoredChunk, degraded: boolean): void {
  counts.newChunks++;
  counts.newRawBytes += stored.rawSize;
  counts.newStoredBytes += stored.storedSize;
  const name = codecById(stored.codecId).name;
  counts.codecs[name] = (counts.codecs[name] ?? 0) + 1;
  if (degraded) counts.degraded++;
}

/**
 * Claim chunks for a session, waiting out gc's deletions ('busy'): each id ends 'present' (stored;
 * reference it) or 'write' (the caller must store it).
 */
export async function claimChunks(ctx: EngineContext, sessionId: string, ids: ChunkId[]): Promise<Map<ChunkId, 'present' | 'write'>> {
  const settled = new Map<ChunkId, 'present' | 'write'>();
  let todo = ids;
  const started = Date.now();
  while (todo.length > 0) {
    const claims = await ctx.metadata.claimChunks(sessionId, todo);
    const busy: ChunkId[] = [];
    for (const id of todo) {
      const r = claims.get(id);
      if (r === 'busy' || r === undefined) busy.push(id);
      else settled.set(id, r);
    }
    todo = busy;
    // gc is deleting these right now; once it is done they are simply new chunks.
    if (todo.length === 0) break;
    if (Date.now() - started > BUSY_GIVE_UP_MS) {
      throw new DcsError('GC_IN_PROGRESS', `chunk ${todo[0]!.slice(0, 12)}… has been marked for deletion by gc for over 2 minutes; run 'dcs gc' again, then retry`);
    }
    await sleep(BUSY_RETRY_MS);
  }
  return settled;
}

/**
 * Write an encoded chunk to its backends (whole copies, or k+m shards) and describe what is now
 * durable, for recordStored. `degraded`: fewer copies or shards than the policy wants.
 */
export async function storeEncoded(ctx: EngineContext, encoded: EncodedChunk): Promise<{ stored: StoredChunk; degraded: boolean }> {
  const { id, rawSize, storedSize, codecId } = encoded;
  if (ctx.erasure) {
    const shards = await writeShards(id, encoded.envelope, ctx.placement.rank(id), ctx.erasure);
    const shardBytes = shardObjectSize(storedSize, ctx.erasure.data);
    const degraded = shards.length < ctx.erasure.data + ctx.erasure.parity;
    return { stored: { id, rawSize, storedSize, codecId, backends: shards.map((s) => s.backend), shards, shardBytes }, degraded };
  }
  const { backends, clean } = await writeCopies(id, encoded.envelope, ctx.placement.rank(id), ctx.replicas, ctx.minCopies ?? ctx.replicas);
  // Envelopes are fresh buffers (ChunkTransformer.encode/admit) that the stores no longer read.
  if (clean) freeView(encoded.envelope);
  return { stored: { id, rawSize, storedSize, codecId, backends }, degraded: backends.length < ctx.replicas };
}

/**
 * The pipeline shared by streamed uploads and parts of resumable ones: chunk `input`, claim,
 * write new chunks, record them in the session, and hand the ordered chunk list to `stage` in
 * batches (offsets relative to the start of `input`). Returns once everything is durable.
 */
export async function ingest(
  ctx: EngineContext,
  sessionId: string,
  input: ChunkInput,
  encoding: { codec: CodecChoice; level: number | undefined },
  stage: (entries: StagedChunk[]) => Promise<void>,
  onProgress?: (progress: UploadProgress) => void,
  sizeHint?: number,
): Promise<Ingested> {
  const { codec, level } = encoding;
  const { metadata } = ctx;
  const slots = new Semaphore(ctx.limits.inFlightChunks);
  const tasks = new TaskGroup();
  // Ids this session is writing right now; once written they are recorded and claim as 'present'.
  const writing = new Set<ChunkId>();
  const result = { chunks: 0, newChunks: 0, newStoredBytes: 0, newRawBytes: 0, codecs: {} as Record<string, number>, degraded: 0 };
  let batch: Pending[] = [];
  let batchBytes = 0;
  let offset = 0;

  // Written chunks are recorded in metadata in batches; until then they stay in `writing`, so a
  // later batch neither claims nor rewrites them.
  let unrecorded: StoredChunk[] = [];
  const recordWritten = async (): Promise<void> => {
    if (unrecorded.length === 0) return;
    const done = unrecorded;
    unrecorded = [];
    await metadata.recordStored(sessionId, done);
    for (const c of done) writing.delete(c.id);
  };

  const store = async (id: ChunkId, plain: Uint8Array): Promise<void> => {
    try {
      const encoded = await ctx.transformer.encode(plain, id, codec, level);
      const { stored, degraded } = await storeEncoded(ctx, encoded);
      unrecorded.push(stored);
      countWritten(result, stored, degraded);
    } finally {
      slots.release();
    }
  };

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const current = batch;
    batch = [];
    batchBytes = 0;
    await recordWritten();
    const ids = [...new Set(current.map((p) => p.id).filter((id) => !writing.has(id)))];
    const claims = await claimChunks(ctx, sessionId, ids);
    // A chunk repeated within the batch is written once, even if its first write already finished.
    const scheduled = new Set<ChunkId>();
    for (const p of current) {
      if (claims.get(p.id) !== 'write' || scheduled.has(p.id)) {
        // Already stored: chunk sources emit buffers their consumer owns, and this one ends here.
        freeView(p.plain);
        continue;
      }
      scheduled.add(p.id);
      writing.add(p.id);
      await slots.acquire();
      tasks.check();
      tasks.add(store(p.id, p.plain));
    }
    await stage(current.map((p) => p.staged));
  };

  try {
    const source = ctx.smallChunkSource && (await isSmall(input, ctx, sizeHint)) ? ctx.smallChunkSource : ctx.chunkSource;
    for await (const { id, data: plain } of source(input, ctx.chunker)) {
      tasks.check();
      batch.push({ id, plain, staged: { seq: result.chunks, offset, length: plain.length, id } });
      result.chunks++;
      offset += plain.length;
      batchBytes += plain.length;
      onProgress?.({ bytesRead: offset, chunks: result.chunks });
      if (batch.length >= BATCH_CHUNKS || batchBytes >= BATCH_BYTES) await flush();
    }
    await flush();
    await tasks.wait();
    await recordWritten();
    return { size: offset, ...result };
  } catch (err) {
    await tasks.wait().catch(() => {});
    throw err;
  }
}

/**
 * An input of at most two maximum-size chunks (a file, or a stream whose size the caller knows:
 * an HTTP or S3 request's Content-Length) is chunked on this thread: that takes milliseconds,
 * while starting a chunking worker costs ~0.25 CPU-s (its module graph), which made every small
 * object PUT cost that much. Same cut points either way.
 */
async function isSmall(input: ChunkInput, ctx: EngineContext, sizeHint: number | undefined): Promise<boolean> {
  const limit = 2 * maxChunk(ctx.chunker);
  if (!isFileInput(input)) return sizeHint !== undefined && sizeHint <= limit;
  const size = await stat(input.path).then((s) => s.size, () => Infinity);
  return size <= limit;
}

/** Heartbeat a session while `work` runs, so gc does not take it for a crashed upload. */
export async function withHeartbeat<T>(ctx: EngineContext, sessionId: string, work: () => Promise<T>): Promise<T> {
  const heartbeat = setInterval(() => {
    ctx.metadata.heartbeat(sessionId).catch((err: unknown) => ctx.warn(`upload heartbeat failed: ${String(err)}`));
  }, HEARTBEAT_INTERVAL_MS);
  heartbeat.unref();
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
  }
}

export function warnDegraded(ctx: EngineContext, name: string, degraded: number): void {
  if (degraded > 0) ctx.warn(`${name}: ${degraded} chunk(s) stored with fewer than ${ctx.replicas} copies (degraded); run 'dcs repair' when the backends are back`);
}

export async function upload(ctx: EngineContext, input: ChunkInput, options: UploadOptions): Promise<UploadResult> {
  const codec = options.codec ?? ctx.compression.codec;
  const level = options.level ?? (options.codec === undefined ? ctx.compression.level : undefined);
  const { metadata } = ctx;
  const { sessionId } = await metadata.beginUpload(options.name);
  try {
    return await withHeartbeat(ctx, sessionId, async () => {
      const { degraded, ...ingested } = await ingest(ctx, sessionId, input, { codec, level }, (entries) => metadata.stageChunks(sessionId, entries), options.onProgress, options.sizeHint);
      const attributes = options.attributes?.();
      const version = await metadata.commitUpload(sessionId, { name: options.name, size: ingested.size, codec, ...(attributes === undefined ? {} : { attributes }) });
      warnDegraded(ctx, options.name, degraded);
      return { version, ...ingested };
    });
  } catch (err) {
    await metadata.abortUpload(sessionId).catch(() => {});
    throw err;
  }
}
