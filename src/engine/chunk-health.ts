// Health of chunks and files from the recorded state of their copies, relative to the policy.
import type { ChunkRecord } from '../metadata/metadata-store.ts';
import type { ErasurePolicy } from './context.ts';
import { isSharded, okShards } from './erasure-io.ts';

export type Health = 'healthy' | 'degraded' | 'lost';

export function okCopies(chunk: ChunkRecord): number {
  return chunk.copies.filter((c) => c.state === 'ok').length;
}

/**
 * healthy: at least `replicas` ok copies; degraded: fewer but readable; lost: no ok copy. Erasure-
 * coded chunks: healthy with all k+m shards ok, degraded with at least k, lost below k.
 */
export function chunkHealth(chunk: ChunkRecord, replicas: number, erasure?: ErasurePolicy): Health {
  if (erasure && isSharded(chunk)) {
    const ok = okShards(chunk);
    return ok >= erasure.data + erasure.parity ? 'healthy' : ok >= erasure.data ? 'degraded' : 'lost';
  }
  const ok = okCopies(chunk);
  if (ok === 0) return 'lost';
  return ok >= replicas ? 'healthy' : 'degraded';
}

const RANK: Record<Health, number> = { healthy: 0, degraded: 1, lost: 2 };

export function worstHealth(a: Health, b: Health): Health {
  return RANK[a] >= RANK[b] ? a : b;
}
