// `rebalance`: after backends are added, removed or reweighted, move every chunk's copies to the
// backends its rendezvous ranking now names. Rendezvous hashing keeps this minimal: adding one
// backend to n moves about replicas/(n+1) of the copies, and only onto the new backend. Each chunk
// gets its new copies (read from a verified copy) before any old one is deleted, so a crash midway
// leaves extra copies, never fewer.
import { errorMessage } from '../core/errors.ts';
import type { ChunkRecord } from '../metadata/metadata-store.ts';
import { chunkKey } from '../storage/blob-store.ts';
import { fetchVerified } from './chunk-reader.ts';
import { orderedMap } from './concurrency.ts';
import type { EngineContext } from './context.ts';
import { checkShard, shardKey } from '../core/erasure.ts';
import { isSharded } from './erasure-io.ts';

export interface RebalanceReport {
  chunks: number;
  /** Chunks whose copies were already where the ranking wants them. */
  inPlace: number;
  /** Copies written to their new backends. */
  copiesAdded: number;
  /** Copies deleted from backends the ranking no longer names. */
  copiesRemoved: number;
  /** Stored bytes copied. */
  bytesMoved: number;
  /** Copies recorded on backends that are no longer configured (their records were dropped). */
  forgotten: number;
  /** Chunks that could not be moved now (no readable copy, target unreachable); run again later. */
  failed: number;
  problems: string[];
}

export interface RebalanceOptions {
  /** Count what would move without moving anything. */
  dryRun?: boolean;
  onProgress?: (progress: { chunks: number }) => void;
}

export async function rebalance(ctx: EngineContext, options: RebalanceOptions = {}): Promise<RebalanceReport> {
  const report: RebalanceReport = { chunks: 0, inPlace: 0, copiesAdded: 0, copiesRemoved: 0, bytesMoved: 0, forgotten: 0, failed: 0, problems: [] };
  const problem = (message: string): void => {
    if (report.problems.length < 1000) report.problems.push(message);
  };

  /**
   * Erasure-coded chunk: shards on backends outside the chunk's first k+m are moved, as they are
   * (checked against their own header and CRC), to ranked backends that hold none. A shard whose
   * backend is gone cannot be moved; `dcs repair` rebuilds it from the others.
   */
  const moveShards = async (chunk: ChunkRecord): Promise<void> => {
    const n = chunk.copies.reduce((max, c) => Math.max(max, (c.shard ?? 0) + 1), ctx.erasure ? ctx.erasure.data + ctx.erasure.parity : 0);
    const targets = ctx.placement.targets(chunk.id, n).map((b) => b.name);
    const holders = new Set(chunk.copies.map((c) => c.backend));
    const free = targets.filter((t) => !holders.has(t));
    const movers = chunk.copies.filter((c) => !targets.includes(c.backend) && c.shard !== undefined);
    if (movers.length === 0) {
      report.inPlace++;
      return;
    }
    for (const copy of movers) {
      const from = ctx.placement.byName(copy.backend);
      const to = free.shift();
      if (!from || !to || copy.state !== 'ok') {
        if (!from) problem(`chunk ${chunk.id.slice(0, 16)}: shard ${copy.shard} is on ${copy.backend}, which is no longer configured (run 'dcs repair' to rebuild it)`);
        continue;
      }
      const key = shardKey(chunk.id, copy.shard!);
      if (options.dryRun) {
        report.copiesAdded++;
        report.copiesRemoved++;
        continue;
      }
      try {
        const bytes = await from.store.get(key);
        const k = ctx.erasure?.data;
        const m = ctx.erasure?.parity;
        const check = k !== undefined && m !== undefined ? checkShard(bytes, k, m, copy.shard!) : 'the repository has no erasure policy';
        if (typeof check === 'string') throw new Error(`shard ${copy.shard} on ${copy.backend} is not usable: ${check}`);
        await ctx.placement.byName(to)!.store.put(key, bytes);
        await ctx.metadata.addCopy(chunk.id, to, copy.shard);
        report.copiesAdded++;
        report.bytesMoved += bytes.length;
        await from.store.delete(key);
        await ctx.metadata.removeCopy(chunk.id, copy.backend);
        report.copiesRemoved++;
      } catch (err) {
        report.failed++;
        problem(`chunk ${chunk.id.slice(0, 16)}: cannot move shard ${copy.shard} from ${copy.backend} to ${to}: ${errorMessage(err)}`);
      }
    }
  };

  const move = async (chunk: ChunkRecord): Promise<void> => {
    if (isSharded(chunk)) return moveShards(chunk);
    const targets = ctx.placement.targets(chunk.id, ctx.replicas).map((b) => b.name);
    const held = new Set(chunk.copies.filter((c) => c.state === 'ok').map((c) => c.backend));
    const missing = targets.filter((t) => !held.has(t));
    const extra = chunk.copies.filter((c) => !targets.includes(c.backend));
    if (missing.length === 0 && extra.length === 0) {
      report.inPlace++;
      return;
    }
    if (options.dryRun) {
      report.copiesAdded += missing.length;
      report.bytesMoved += missing.length * chunk.storedSize;
      report.copiesRemoved += extra.filter((c) => ctx.placement.byName(c.backend)).length;
      report.forgotten += extra.filter((c) => !ctx.placement.byName(c.backend)).length;
      return;
    }
    if (missing.length > 0) {
      let envelope: Uint8Array | undefined;
      for (const name of held) {
        const backend = ctx.placement.byName(name);
        if (!backend) continue;
        try {
          envelope = (await fetchVerified(ctx, chunk.id, backend)).envelope;
          break;
        } catch (err) {
          problem(`chunk ${chunk.id.slice(0, 16)}: cannot read the copy on ${name}: ${errorMessage(err)}`);
        }
      }
      if (!envelope) {
        report.failed++;
        problem(`chunk ${chunk.id.slice(0, 16)}: no readable copy to move (run 'dcs repair')`);
        return;
      }
      for (const name of missing) {
        try {
          await ctx.placement.byName(name)!.store.put(chunkKey(chunk.id), envelope);
          await ctx.metadata.addCopy(chunk.id, name);
          report.copiesAdded++;
          report.bytesMoved += envelope.length;
        } catch (err) {
          report.failed++;
          problem(`chunk ${chunk.id.slice(0, 16)}: cannot write to ${name}: ${errorMessage(err)}`);
          // Keep every old copy: the chunk must not end up with fewer copies than it had.
          return;
        }
      }
    }
    for (const copy of extra) {
      const backend = ctx.placement.byName(copy.backend);
      try {
        if (backend) await backend.store.delete(chunkKey(chunk.id));
        await ctx.metadata.removeCopy(chunk.id, copy.backend);
        if (backend) report.copiesRemoved++;
        else report.forgotten++;
      } catch (err) {
        problem(`chunk ${chunk.id.slice(0, 16)}: cannot delete the old copy on ${copy.backend}: ${errorMessage(err)}`);
      }
    }
  };

  for await (const _ of orderedMap(ctx.metadata.chunks(), ctx.limits.maintenanceConcurrency, move)) {
    report.chunks++;
    options.onProgress?.({ chunks: report.chunks });
  }
  return report;
}
