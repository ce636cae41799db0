// `gc`: reclaims storage. (1) Sessions silent for longer than the timeout are dead uploads; their
// claims are dropped. (2) Chunks no version references and no live upload has claimed are marked
// 'deleting' in one metadata transaction (claims of them answer 'busy' meanwhile), their objects
// deleted on every backend, then their rows forgotten. (3) Packs mostly of deleted chunks are
// rewritten (repack.ts) and the emptied ones collected. (4) Chunk objects that metadata does not
// know at all (leftovers of crashes) are deleted. Everything streams in batches.
import type { ChunkId } from '../core/chunk-id.ts';
import { errorMessage } from '../core/errors.ts';
import type { GarbageChunk } from '../metadata/metadata-store.ts';
import { shardKey } from '../core/erasure.ts';
import { chunkKey } from '../storage/blob-store.ts';
import { orderedMap } from './concurrency.ts';
import type { EngineContext } from './context.ts';
import { repackSparse } from './repack.ts';
import { RESUMABLE_TIMEOUT_MS } from './resumable.ts';
import { HEARTBEAT_INTERVAL_MS } from './upload.ts';
import { findOrphans } from './verify.ts';

/** An upload that has not sent a heartbeat for this long is considered dead. */
export const DEFAULT_SESSION_TIMEOUT_MS = 20 * HEARTBEAT_INTERVAL_MS;
const GARBAGE_BATCH = 256;

export interface GcOptions {
  sessionTimeoutMs?: number;
  /** Resumable (multipart) uploads wait for their next part this long (default 24 h). */
  resumableTimeoutMs?: number;
  /** Also delete chunk objects unknown to metadata (default true). */
  orphans?: boolean;
  onProgress?: (progress: { chunksDeleted: number }) => void;
}

export interface GcReport {
  sessionsExpired: number;
  chunksDeleted: number;
  /** Stored bytes freed on the backends (all copies). */
  bytesFreed: number;
  orphansDeleted: number;
  orphanBytes: number;
  /** Chunks whose objects could not be deleted now (backend unreachable); retried by the next gc. */
  deferred: number;
  /** Packs mostly of deleted chunks rewritten (their remaining chunks copied into new packs). */
  packsRewritten?: number;
  /** Stored bytes those remaining chunks hold (what the rewrite copied). */
  repackedBytes?: number;
}

export async function gc(ctx: EngineContext, options: GcOptions = {}): Promise<GcReport> {
  const report: GcReport = { sessionsExpired: 0, chunksDeleted: 0, bytesFreed: 0, orphansDeleted: 0, orphanBytes: 0, deferred: 0 };
  const now = ctx.now();
  report.sessionsExpired = await ctx.metadata.expireSessions(
    now - (options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS),
    now - (options.resumableTimeoutMs ?? RESUMABLE_TIMEOUT_MS),
  );

  await collectGarbage(ctx, report, options);
  // Packs mostly of deleted chunks are rewritten; the old ones, now empty, are garbage in turn.
  const repacked = await repackSparse(ctx);
  if (repacked.packsRewritten > 0) {
    report.packsRewritten = repacked.packsRewritten;
    report.repackedBytes = repacked.bytesCopied;
    await collectGarbage(ctx, report, options);
  }

  if (options.orphans !== false) {
    // Orphans are deleted in bounded batches as the listings stream by.
    let batch: { id: ChunkId; key: string; size: number; backend: string }[] = [];
    const flush = async (): Promise<void> => {
      for await (const _ of orderedMap(batch, ctx.limits.maintenanceConcurrency, async (o) => {
        const backend = ctx.placement.byName(o.backend)!;
        try {
          await backend.store.delete(o.key);
          report.orphansDeleted++;
          report.orphanBytes += o.size;
        } catch (err) {
          ctx.warn(`could not delete orphan ${o.id.slice(0, 12)}… on ${o.backend}: ${errorMessage(err)}`);
        }
      }));
      batch = [];
    };
    for await (const orphan of findOrphans(ctx)) {
      batch.push({ id: orphan.id, key: orphan.info.key, size: orphan.info.size, backend: orphan.backend.name });
      if (batch.length >= GARBAGE_BATCH) await flush();
    }
    await flush();
  }
  return report;
}

/** Mark, delete and forget garbage in batches until none is left (or every delete fails). */
async function collectGarbage(ctx: EngineContext, report: GcReport, options: GcOptions): Promise<void> {
  for (;;) {
    const garbage = await ctx.metadata.markGarbage(GARBAGE_BATCH);
    if (garbage.length === 0) break;
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
    options.onProgress?.({ chunksDeleted: report.chunksDeleted });
    if (done.length === 0) break; // every delete failed: a backend is down; the next gc retries
  }
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
