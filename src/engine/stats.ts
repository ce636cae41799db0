// `stats`: repository-wide sizes and ratios, computed by metadata aggregates (no row scans in JS).
import { codecById } from '../core/codecs.ts';
import type { RepositoryStats } from '../metadata/metadata-store.ts';
import type { EngineContext } from './context.ts';

export interface StatsReport extends Omit<RepositoryStats, 'perCodec'> {
  /** logicalBytes / uniqueBytes: how much deduplication saved. */
  dedupRatio: number;
  /** uniqueBytes / storedBytes: how much compression saved. */
  compressionRatio: number;
  /** logicalBytes / storedBytes: both together. */
  totalRatio: number;
  perCodec: { codec: string; chunks: number; rawBytes: number; storedBytes: number; ratio: number }[];
}

const ratio = (a: number, b: number): number => (b === 0 ? 1 : a / b);

export async function stats(ctx: EngineContext): Promise<StatsReport> {
  const s = await ctx.metadata.stats();
  return {
    ...s,
    dedupRatio: ratio(s.logicalBytes, s.uniqueBytes),
    compressionRatio: ratio(s.uniqueBytes, s.storedBytes),
    totalRatio: ratio(s.logicalBytes, s.storedBytes),
    perCodec: s.perCodec.map((c) => ({
      codec: codecById(c.codecId).name,
      chunks: c.chunks,
      rawBytes: c.rawBytes,
      storedBytes: c.storedBytes,
      ratio: ratio(c.rawBytes, c.storedBytes),
    })),
  };
}
