// What reading a chunk's copies — whole replicas (chunk-reader.ts) or erasure shards
// (erasure-io.ts) — has in common: the order copies are tried in, the one hedged read over them
// (storage/hedged-read.ts), and the one classification of a failed read (missing, corrupt, or
// unreachable), which decides whether a copy is marked in metadata and rewritten.
import type { ChunkId } from '../core/chunk-id.ts';
import { BlobNotFoundError, ChunkCorruptError, errorMessage } from '../core/errors.ts';
import type { CopyState } from '../metadata/metadata-store.ts';
import { hedgedGather } from '../storage/hedged-read.ts';
import type { Backend } from '../storage/placement.ts';
import type { EngineContext } from './context.ts';

export interface CopyFailure {
  backend: string;
  reason: string;
  /** missing/corrupt copies can be healed by rewriting; others (backend down) cannot now. */
  state: CopyState | 'unreachable';
}

/** Why reading one copy failed: absent, damaged, or anything else (backend down, timeout, …). */
export function classifyFailure(err: unknown): CopyFailure['state'] {
  if (err instanceof BlobNotFoundError) return 'missing';
  if (err instanceof ChunkCorruptError) return 'corrupt';
  return 'unreachable';
}

/** Hedge delay for a backend that tracks its latency but has too few samples for a p95 yet. */
export const HEDGE_FALLBACK_MS = 50;

/** Why a recorded copy cannot even be tried. */
export const BACKEND_GONE = 'backend is no longer configured';

/** Copies recorded ok first, each group in the chunk's placement order (best-ranked backend first). */
export function rankCopies<C extends { backend: string; state: CopyState }>(ctx: EngineContext, id: ChunkId, copies: readonly C[]): C[] {
  const rank = ctx.placement.rank(id).map((b) => b.name);
  const pos = (name: string): number => {
    const i = rank.indexOf(name);
    return i === -1 ? rank.length : i;
  };
  return [...copies].sort((a, b) => Number(a.state !== 'ok') - Number(b.state !== 'ok') || pos(a.backend) - pos(b.backend));
}

/** One copy to read: a replica, or shard `piece` of an erasure-coded chunk. */
export interface CopySource {
  /** Backend name as recorded in metadata. */
  name: string;
  /** Undefined when the backend is no longer configured. */
  backend: Backend | undefined;
}

export interface CopyReads<S, T> {
  /** Successful reads in the order they arrived, one per piece. */
  got: { source: S; value: T }[];
  /** Failed reads in the order they failed, classified; copies aborted once enough had arrived are not failures. */
  failures: (CopyFailure & { source: S })[];
}

/**
 * Read `wanted` distinct pieces from `sources` (in the order given) with hedging: see
 * hedgedGather. `read` fetches and verifies one copy, so a corrupt copy is a failed read and the
 * next source is tried at once.
 */
export async function readCopies<S extends CopySource, T>(
  sources: readonly S[],
  read: (source: S & { backend: Backend }, signal: AbortSignal) => Promise<T>,
  options: { delayMs: number; wanted?: number; pieceOf?: (source: S) => number },
): Promise<CopyReads<S, T>> {
  const { pieceOf } = options;
  const { got, failed } = await hedgedGather<T>(
    sources.map((s) => (signal: AbortSignal) => (s.backend ? read({ ...s, backend: s.backend }, signal) : Promise.reject(new Error(BACKEND_GONE)))),
    { delayMs: options.delayMs, ...(options.wanted ? { wanted: options.wanted } : {}), ...(pieceOf ? { pieceOf: (i: number) => pieceOf(sources[i]!) } : {}) },
  );
  return {
    got: got.map((g) => ({ source: sources[g.candidate]!, value: g.value })),
    failures: failed.map((f) => ({ source: sources[f.candidate]!, backend: sources[f.candidate]!.name, reason: errorMessage(f.error), state: classifyFailure(f.error) })),
  };
}
