// Deleting garbage chunks: marked in metadata (claims of them answer 'busy' meanwhile), their
// objects deleted on every backend, then their rows forgotten. gc collects all garbage; a
// completed multipart upload reclaims the few chunks its part boundaries made at once.
import type { ChunkId } from '../core/chunk-id.ts';
import { errorMessage } from '../core/errors.ts';
import { shardKey } from '../core/erasure.ts';
import type { GarbageChunk } from '../metadata/metadata-store.ts';
import { chunkKey } from '../storage/blob-store.ts';
import { orderedMap } from './concurrency.ts';
import type { EngineContext } from './context.ts';

const GARBAGE_BATCH = 256;

export interface GarbageReport {
  chunksDeleted: number;
  /** Stored bytes freed on the backends (all copies). */
  bytesFreed: number;
  /** Chunks whose objects could not be deleted now (backend unreachable); retried by the next gc. */
  deferred: number;
}

/** Mark, delete and forget garbage in batches until none is left (or every delete fails). */
export async function collectGarbage(ctx: EngineContext, report: GarbageReport, options: { onProgress?: (p: { chunksDeleted: number }) => void }): Promise<void> {
  for (;;) {
    const garbage = await ctx.metadata.markGarbage(GARBAGE_BATCH);
    if (garbage.length === 0) break;
    const done = await deleteGarbage(ctx, report, garbage);
    options.onProgress?.({ chunksDeleted: report.chunksDeleted });
    if (done === 0) break; // every delete failed: a backend is down; the next gc retries
  }
}

/**
 * Reclaim, now, those of `ids` that no version references and no live upload has claimed: the
 * chunks a completed multipart upload cut at its part boundaries, which the version does not use.
 * The same marking as gc's, so an upload that claims one meanwhile is safe.
 */
export async function reclaimChunks(ctx: EngineContext, ids: readonly ChunkId[]): Promise<GarbageReport> {
  const report: GarbageReport = { chunksDeleted: 0, bytesFreed: 0, deferred: 0 };
  for (let at = 0; at < ids.length; at += GARBAGE_BATCH) {
    const slice = ids.slice(at, at + GARBAGE_BATCH);
    const garbage = await ctx.metadata.markGarbage(slice.length, slice);
    if (garbage.length > 0) await deleteGarbage(ctx, report, garbage);
  }
  return report;
}

/** Delete marked chunks' objects and forget them (or unmark those a backend kept); how many went. */
async function deleteGarbage(ctx: EngineContext, report: GarbageReport, garbage: readonly GarbageChunk[]): Promise<number> {
  const done: ChunkId[] = [];
  const failed: ChunkId[] = [];
  for await (const outcome of orderedMap(garbage, ctx.limits.maintenanceConcurrency, (g) => deleteEverywhere(ctx, g))) {
    report.bytesFreed += outcome.bytes;
    if (outcome.ok) done.push(outcome.id);
    else failed.push(outcome.id);
  }
  await ctx.metadata.forgetGarbage(done);
  if (failed.length > 0) await ctx.metadata.unmarkGarbage(failed);
  report.chunksDeleted += done.length;
  report.deferred += failed.length;
  return done.length;
}

/**
 * Delete a garbage chunk's object on every backend: uncommitted chunks have no recorded copies, and
 * a crashed write may have left a copy anywhere. Deleting an absent object is free and harmless.
 */
async function deleteEverywhere(ctx: EngineContext, g: GarbageChunk): Promise<{ id: ChunkId; ok: boolean; bytes: number }> {
  // A chunk inside a pack has no object; forgetting it releases the pack, deleted once empty.
  if (g.inPack) return { id: g.id, ok: true, bytes: 0 };
  let ok = true;
  let bytes = 0;
  // Erasure-coded chunks: every shard key too (a shard may sit on any backend after repairs).
  const shards = ctx.erasure ? ctx.erasure.data + ctx.erasure.parity : 0;
  const keys = [chunkKey(g.id), ...Array.from({ length: shards }, (_, i) => shardKey(g.id, i))];
  for (const backend of ctx.placement.backends) {
    try {
      let held = false;
      for (const key of keys) {
        const info = await backend.store.head(key);
        if (!info) continue;
        await backend.store.delete(key);
        bytes += info.size;
        held = true;
      }
      if (held) await ctx.metadata.removeCopy(g.id, backend.name);
    } catch (err) {
      ok = false;
      ctx.warn(`could not delete chunk ${g.id.slice(0, 12)}… on ${backend.name}: ${errorMessage(err)}`);
    }
  }
  return { id: g.id, ok, bytes };
}
