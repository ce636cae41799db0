// Uploads from clients that chunk for themselves (dedup before the wire): the client cuts and
// hashes the file with the repository's own chunker parameters, offers its chunk list in order,
// sends only the chunks the repository lacks, as envelopes it compressed itself, and commits.
// The session rules are a streamed upload's (upload.ts): offered chunks are claimed (gc keeps off
// them), a sent chunk is verified against its id before it is stored and recorded only once
// durable, and nothing is visible before the commit. Every step is stateless on this side — the
// session lives in metadata — so with shared PostgreSQL any orchestrator can serve any step.
import { maxChunk } from '../core/chunker.ts';
import { isChunkId, type ChunkId } from '../core/chunk-id.ts';
import type { Recompress } from '../core/chunk-codec.ts';
import { ChunkCorruptError, UsageError } from '../core/errors.ts';
import type { StoredChunk } from '../metadata/metadata-store.ts';
import { Semaphore, TaskGroup } from './concurrency.ts';
import type { EngineContext } from './context.ts';
import { claimChunks, countWritten, storeEncoded, type WrittenCounts } from './upload.ts';

/** Most chunks one offer may carry (a message of ~40 bytes each). */
export const MAX_OFFER_CHUNKS = 4096;

export interface OfferedChunk {
  id: ChunkId;
  length: number;
}

export interface SentChunk {
  id: ChunkId;
  /** Unencrypted envelope (src/core/envelope.ts), compressed or not. */
  envelope: Uint8Array;
}

/**
 * Claim and stage the next entries of a session's chunk list, `firstSeq`/`firstOffset` being where
 * they start. Returns the indexes (into `chunks`) whose data the client must send: the first
 * occurrence of each chunk the repository has no durable copy of.
 */
export async function offerChunks(ctx: EngineContext, sessionId: string, firstSeq: number, firstOffset: number, chunks: readonly OfferedChunk[]): Promise<number[]> {
  if (chunks.length > MAX_OFFER_CHUNKS) throw new UsageError(`an offer carries at most ${MAX_OFFER_CHUNKS} chunks (got ${chunks.length})`);
  if (!Number.isSafeInteger(firstSeq) || firstSeq < 0 || !Number.isSafeInteger(firstOffset) || firstOffset < 0) throw new UsageError('offer: first seq and offset must be non-negative integers');
  const largest = maxChunk(ctx.chunker);
  let offset = firstOffset;
  const entries = chunks.map((c, i) => {
    if (!isChunkId(c.id)) throw new UsageError(`offer: chunk ${i} has no valid id (64 lowercase hex characters)`);
    if (!Number.isInteger(c.length) || c.length < 1 || c.length > largest) throw new UsageError(`offer: chunk ${i} has length ${c.length} (1 to ${largest} bytes with this repository's chunker)`);
    const e = { seq: firstSeq + i, offset, length: c.length, id: c.id };
    offset += c.length;
    return e;
  });
  const ids = [...new Set(chunks.map((c) => c.id))];
  const claims = await claimChunks(ctx, sessionId, ids);
  await ctx.metadata.stageChunks(sessionId, entries);
  const wanted: number[] = [];
  const seen = new Set<ChunkId>();
  chunks.forEach((c, i) => {
    if (claims.get(c.id) === 'write' && !seen.has(c.id)) wanted.push(i);
    seen.add(c.id);
  });
  return wanted;
}

export interface PutChunksOptions {
  /** Compress chunks that arrive uncompressed (the client asked the server to compress). */
  recompress?: Recompress;
}

/**
 * Verify, seal and store chunks a client sent for a session, `inFlightChunks` at a time, and record
 * them once every one is durable. A chunk whose content does not match its id, or whose envelope
 * is malformed, fails the call (CHUNK_REJECTED) and is not stored.
 */
export async function putChunks(ctx: EngineContext, sessionId: string, chunks: AsyncIterable<SentChunk>, options: PutChunksOptions = {}): Promise<WrittenCounts> {
  const slots = new Semaphore(ctx.limits.inFlightChunks);
  const tasks = new TaskGroup();
  const counts: WrittenCounts = { newChunks: 0, newStoredBytes: 0, newRawBytes: 0, codecs: {}, degraded: 0 };
  const stored: StoredChunk[] = [];
  const largest = maxChunk(ctx.chunker);
  const one = async (c: SentChunk): Promise<void> => {
    try {
      let encoded;
      try {
        encoded = await ctx.transformer.admit(c.envelope, c.id, largest, options.recompress);
      } catch (err) {
        if (err instanceof ChunkCorruptError) throw new UsageError(`chunk ${c.id.slice(0, 16)}… rejected: ${err.reason}`, 'CHUNK_REJECTED');
        throw err;
      }
      const r = await storeEncoded(ctx, encoded);
      stored.push(r.stored);
      countWritten(counts, r.stored, r.degraded);
    } finally {
      slots.release();
    }
  };
  try {
    for await (const c of chunks) {
      if (!isChunkId(c.id)) throw new UsageError('a sent chunk has no valid id (64 lowercase hex characters)');
      await slots.acquire();
      tasks.check();
      tasks.add(one(c));
    }
    await tasks.wait();
  } catch (err) {
    await tasks.wait().catch(() => {});
    // What did get stored is recorded all the same, so a retry of the session need not send it again.
    if (stored.length > 0) await ctx.metadata.recordStored(sessionId, stored).catch(() => {});
    throw err;
  }
  if (stored.length > 0) await ctx.metadata.recordStored(sessionId, stored);
  await ctx.metadata.heartbeat(sessionId);
  return counts;
}
