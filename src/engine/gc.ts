// `gc`: reclaims storage. (1) Sessions silent for longer than the timeout are dead uploads; their
// claims are dropped. (2) Chunks no version references and no live upload has claimed are marked
// 'deleting' in one metadata transaction (claims of them answer 'busy' meanwhile), their objects
// deleted on every backend, then their rows forgotten. (3) Packs mostly of deleted chunks are
// rewritten (repack.ts) and the emptied ones collected. (4) Chunk objects that metadata does not
// know at all (leftovers of crashes) are deleted. Everything streams in batches.
import type { ChunkId } from '../core/chunk-id.ts';
import { errorMessage } from '../core/errors.ts';
import { orderedMap } from './concurrency.ts';
import type { EngineContext } from './context.ts';
import { collectGarbage } from './reclaim.ts';
import { repackSparse } from './repack.ts';
import { RESUMABLE_TIMEOUT_MS } from './resumable.ts';
import { HEARTBEAT_INTERVAL_MS } from './upload.ts';
import { findOrphans } from './verify.ts';

/** An upload that has not sent a heartbeat for this long is considered dead. */
export const DEFAULT_SESSION_TIMEOUT_MS = 20 * HEARTBEAT_INTERVAL_MS;
/** Orphans deleted per batch. */
const ORPHAN_BATCH = 256;

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
      if (batch.length >= ORPHAN_BATCH) await flush();
    }
    await flush();
  }
  return report;
}
