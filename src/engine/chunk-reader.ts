// Reads one chunk: tries its copies (healthy ones first, in placement order), verifies each
// through the transformer, and returns the first good one. Copies found missing or corrupt are
// marked in metadata and, once a good copy is in hand, rewritten from it (repair on read).
import { freeView } from '../core/memory.ts';
import type { ChunkId } from '../core/chunk-id.ts';
import { ChunkUnavailableError, errorMessage } from '../core/errors.ts';
import type { ChunkRecord, CopyState } from '../metadata/metadata-store.ts';
import { chunkKey } from '../storage/blob-store.ts';
import type { Backend } from '../storage/placement.ts';
import type { EngineContext } from './context.ts';
import { BACKEND_GONE, classifyFailure, HEDGE_FALLBACK_MS, rankCopies, readCopies, type CopyFailure } from './copy-reads.ts';
import { isSharded, readShardedChunk, readShardedEnvelope } from './erasure-io.ts';
import { PACK_CODEC_ID } from '../core/codecs.ts';
import { memberObjectOffset } from '../core/pack.ts';

// verify and repair classify failed reads the same way.

/** The chunk's recorded copies as backends, ok copies first, each group in placement order. */
export function orderedCopies(ctx: EngineContext, chunk: ChunkRecord): { backend: Backend | undefined; name: string; state: CopyState }[] {
  return rankCopies(ctx, chunk.id, chunk.copies).map((c) => ({ backend: ctx.placement.byName(c.backend), name: c.backend, state: c.state }));
}

/** Read and verify a chunk's envelope from one backend. */
export async function fetchVerified(ctx: EngineContext, id: ChunkId, backend: Backend): Promise<{ plain: Uint8Array; envelope: Uint8Array }> {
  const envelope = await backend.store.get(chunkKey(id));
  // The transformer may take the buffer (worker transfer); keep our own copy for healing.
  const plain = await ctx.transformer.decode(new Uint8Array(envelope), id, backend.name);
  return { plain, envelope };
}

export interface ReadChunkOptions {
  fileName?: string;
  /** Rewrite missing/corrupt copies from the good one (default true). */
  heal?: boolean;
}

/**
 * Hedged first pass over the healthy copies of a chunk on backends that track their latency
 * (network backends): when the first copy is slower than that backend's p95, ask the next one too;
 * the first verified answer wins and the other reads are aborted. Returns undefined when every
 * copy failed, so the caller's full pass records and reports the failures.
 */
async function hedgedChunkRead(ctx: EngineContext, chunk: ChunkRecord, ordered: ReturnType<typeof orderedCopies>, options: ReadChunkOptions): Promise<Uint8Array | undefined> {
  const copies = ordered.filter((c) => c.backend !== undefined && c.state === 'ok');
  const latency = copies[0]?.backend?.store.latency;
  if (!latency || copies.length < 2) return undefined;
  const { got, failures } = await readCopies(
    copies,
    // The transformer takes the buffer (no copy kept: healing is rare and reads the copy again).
    async (c, signal) => ctx.transformer.decode(await c.backend.store.get(chunkKey(chunk.id), { signal }), chunk.id, c.name),
    { delayMs: latency.hedgeDelayMs(HEDGE_FALLBACK_MS) },
  );
  const winner = got[0];
  if (!winner) return undefined;
  for (const f of failures) if (f.state !== 'unreachable') await ctx.metadata.setCopyState(chunk.id, f.backend, f.state);
  if (options.heal !== false && failures.some((f) => f.state === 'missing' || f.state === 'corrupt')) {
    try {
      // Verified again (on a copy the transformer may take): only a good envelope is spread.
      const { envelope } = await fetchVerified(ctx, chunk.id, winner.source.backend!);
      await healCopies(ctx, chunk.id, envelope, failures);
      freeView(envelope);
    } catch (err) {
      ctx.warn(`could not repair chunk ${chunk.id.slice(0, 12)}…: reading it again from ${winner.source.name} failed: ${errorMessage(err)}`);
    }
  }
  return winner.value;
}

export async function readChunk(ctx: EngineContext, chunk: ChunkRecord, options: ReadChunkOptions = {}): Promise<Uint8Array> {
  if (chunk.pack) {
    try {
      return await readPackedChunk(ctx, chunk, options);
    } catch (err) {
      // gc may have moved the chunk into a new pack (repack.ts) and deleted this one since the
      // record was read: read it where it is now.
      if (!(err instanceof ChunkUnavailableError)) throw err;
      const now = await ctx.metadata.getChunk(chunk.id);
      if (!now || now.pack?.id === chunk.pack.id) throw err;
      return readChunk(ctx, now, options);
    }
  }
  if (isSharded(chunk)) return readShardedChunk(ctx, chunk, options);
  const copies = orderedCopies(ctx, chunk);
  const hedged = await hedgedChunkRead(ctx, chunk, copies, options);
  if (hedged) return hedged;
  const failures: CopyFailure[] = [];
  for (const copy of copies) {
    if (!copy.backend) {
      failures.push({ backend: copy.name, reason: BACKEND_GONE, state: 'unreachable' });
      continue;
    }
    let got: { plain: Uint8Array; envelope: Uint8Array };
    try {
      if (failures.length === 0) {
        // Fast path: no copy needed for healing, so the envelope can be handed over without a copy.
        const envelope = await copy.backend.store.get(chunkKey(chunk.id));
        const plain = await ctx.transformer.decode(envelope, chunk.id, copy.name);
        if (copy.state !== 'ok') await ctx.metadata.setCopyState(chunk.id, copy.name, 'ok');
        return plain;
      }
      got = await fetchVerified(ctx, chunk.id, copy.backend);
    } catch (err) {
      const state = classifyFailure(err);
      failures.push({ backend: copy.name, reason: errorMessage(err), state });
      if (state !== 'unreachable' && copy.state !== state) await ctx.metadata.setCopyState(chunk.id, copy.name, state);
      continue;
    }
    if (copy.state !== 'ok') await ctx.metadata.setCopyState(chunk.id, copy.name, 'ok');
    if (options.heal !== false) await healCopies(ctx, chunk.id, got.envelope, failures);
    return got.plain;
  }
  throw new ChunkUnavailableError(chunk.id, options.fileName, failures);
}

/** The record of the pack a chunk is in, as readers and healers of chunks take it. */
export function packRecord(chunk: ChunkRecord): ChunkRecord {
  const pack = chunk.pack!;
  return { id: pack.id, rawSize: 0, storedSize: pack.storedSize, codecId: PACK_CODEC_ID, refcount: 0, copies: chunk.copies };
}

/**
 * A chunk inside a pack: its envelope is a range of a whole copy of the pack's object (one ranged
 * read), or a slice of the pack rebuilt from its shards; either way verified against the chunk's
 * own id. A copy whose range is bad is a bad copy of the pack: marked so, and rewritten from a
 * good copy (verified whole against the pack's id) as any chunk's copies are.
 */
async function readPackedChunk(ctx: EngineContext, chunk: ChunkRecord, options: ReadChunkOptions): Promise<Uint8Array> {
  const pack = packRecord(chunk);
  const start = memberObjectOffset(chunk.pack!);
  if (isSharded(pack)) {
    const { envelope, from, heal } = await readShardedEnvelope(ctx, pack, options);
    const plain = await ctx.transformer.decode(envelope.slice(start, start + chunk.storedSize), chunk.id, from);
    await heal();
    return plain;
  }
  const failures: CopyFailure[] = [];
  for (const copy of orderedCopies(ctx, pack)) {
    if (!copy.backend) {
      failures.push({ backend: copy.name, reason: BACKEND_GONE, state: 'unreachable' });
      continue;
    }
    let plain: Uint8Array;
    try {
      const envelope = await copy.backend.store.get(chunkKey(pack.id), { range: { offset: start, length: chunk.storedSize } });
      plain = await ctx.transformer.decode(envelope, chunk.id, copy.name);
    } catch (err) {
      const state = classifyFailure(err);
      failures.push({ backend: copy.name, reason: errorMessage(err), state });
      if (state !== 'unreachable' && copy.state !== state) await ctx.metadata.setCopyState(pack.id, copy.name, state);
      continue;
    }
    if (copy.state !== 'ok') await ctx.metadata.setCopyState(pack.id, copy.name, 'ok');
    if (options.heal !== false && failures.some((f) => f.state === 'missing' || f.state === 'corrupt')) {
      try {
        const { envelope } = await fetchVerified(ctx, pack.id, copy.backend);
        await healCopies(ctx, pack.id, envelope, failures);
      } catch (err) {
        ctx.warn(`could not repair pack ${pack.id.slice(0, 12)}…: reading it whole from ${copy.name} failed: ${errorMessage(err)}`);
      }
    }
    return plain;
  }
  throw new ChunkUnavailableError(chunk.id, options.fileName, failures);
}

/** Rewrite the copies that were found missing or corrupt from a verified envelope. */
export async function healCopies(ctx: EngineContext, id: ChunkId, envelope: Uint8Array, failures: readonly CopyFailure[]): Promise<number> {
  let healed = 0;
  for (const f of failures) {
    if (f.state !== 'missing' && f.state !== 'corrupt') continue;
    const backend = ctx.placement.byName(f.backend);
    if (!backend) continue;
    try {
      await backend.store.put(chunkKey(id), envelope);
      await ctx.metadata.addCopy(id, f.backend);
      healed++;
      ctx.warn(`repaired ${f.state} copy of chunk ${id.slice(0, 12)}… on backend ${f.backend}`);
    } catch (err) {
      ctx.warn(`could not repair chunk ${id.slice(0, 12)}… on backend ${f.backend}: ${errorMessage(err)}`);
    }
  }
  return healed;
}
