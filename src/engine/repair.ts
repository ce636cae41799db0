// `repair`: brings every chunk back to its redundancy policy. Copies known (from verify or reads)
// or found (head, or a full read with deep) to be missing or corrupt are rewritten from a verified
// good copy; chunks with too few copies get new ones on the next backends in rendezvous order.
import type { ChunkId } from '../core/chunk-id.ts';
import { errorMessage } from '../core/errors.ts';
import type { ChunkRecord } from '../metadata/metadata-store.ts';
import { chunkKey } from '../storage/blob-store.ts';
import type { Backend } from '../storage/placement.ts';
import { fetchVerified } from './chunk-reader.ts';
import { classifyFailure } from './copy-reads.ts';
import { writeCopies } from './chunk-writer.ts';
import { orderedMap } from './concurrency.ts';
import type { EngineContext } from './context.ts';
import { isSharded, repairShardedChunk } from './erasure-io.ts';
import { checkCopy, MAX_LISTED_PROBLEMS, type VerifyProblem } from './verify.ts';

export interface RepairReport {
  chunks: number;
  /** Missing or corrupt copies rewritten in place. */
  rewritten: number;
  /** Copies added on other backends to restore the replica count. */
  added: number;
  /** Chunks with no good copy anywhere: cannot be repaired. */
  lost: number;
  /** Chunks still below the policy after repair (not enough reachable backends). */
  stillDegraded: number;
  problems: VerifyProblem[];
}

export interface RepairOptions {
  /** Fully read and verify every copy instead of trusting presence and size. */
  deep?: boolean;
  onProgress?: (progress: { chunks: number }) => void;
}

export async function repair(ctx: EngineContext, options: RepairOptions = {}): Promise<RepairReport> {
  const report: RepairReport = { chunks: 0, rewritten: 0, added: 0, lost: 0, stillDegraded: 0, problems: [] };
  const note = (p: VerifyProblem): void => {
    if (report.problems.length < MAX_LISTED_PROBLEMS) report.problems.push(p);
  };

  const repairChunk = async (chunk: ChunkRecord): Promise<void> => {
    if (ctx.erasure && isSharded(chunk)) {
      const r = await repairShardedChunk(ctx, chunk);
      report.rewritten += r.rewritten;
      report.added += r.added;
      if (r.lost) report.lost++;
      else if (r.healthy < ctx.erasure.data + ctx.erasure.parity) report.stillDegraded++;
      for (const p of r.problems) note({ ...p, chunkId: chunk.id });
      return;
    }
    let unconfirmed = false;
    const good: Backend[] = [];
    const bad: Backend[] = [];
    for (const copy of chunk.copies) {
      const backend = ctx.placement.byName(copy.backend);
      if (!backend) continue;
      if (copy.state !== 'ok') {
        bad.push(backend);
        continue;
      }
      const check = await checkCopy(ctx, chunk, backend, options.deep ?? false);
      if (check.state === 'ok') good.push(backend);
      else if (check.state === 'unreachable') {
        // Not confirmed either way: the chunk is not known to be repaired until this copy answers.
        unconfirmed = true;
        note({ kind: 'unreachable', chunkId: chunk.id, backend: backend.name, detail: check.detail });
      }
      else {
        await ctx.metadata.setCopyState(chunk.id, backend.name, check.state);
        bad.push(backend);
      }
    }
    if (bad.length === 0 && good.length >= ctx.replicas) {
      if (unconfirmed) report.stillDegraded++;
      return;
    }

    const source = await goodEnvelope(ctx, chunk.id, good);
    if (!source) {
      report.lost++;
      note({ kind: 'lost', chunkId: chunk.id, detail: 'no healthy copy to repair from' });
      return;
    }
    bad.push(...source.failed);
    let healthy = good.length - source.failed.length;
    for (const backend of bad) {
      try {
        await backend.store.put(chunkKey(chunk.id), source.envelope);
        await ctx.metadata.addCopy(chunk.id, backend.name);
        report.rewritten++;
        healthy++;
      } catch (err) {
        note({ kind: 'unreachable', chunkId: chunk.id, backend: backend.name, detail: errorMessage(err) });
      }
    }
    if (healthy < ctx.replicas) {
      const holders = new Set(chunk.copies.map((c) => c.backend));
      const candidates = ctx.placement.rank(chunk.id).filter((b) => !holders.has(b.name));
      try {
        const { backends: added } = await writeCopies(chunk.id, source.envelope, candidates, ctx.replicas - healthy);
        for (const name of added) await ctx.metadata.addCopy(chunk.id, name);
        report.added += added.length;
        healthy += added.length;
      } catch (err) {
        note({ kind: 'under-replicated', chunkId: chunk.id, detail: errorMessage(err) });
      }
    }
    if (healthy < ctx.replicas || unconfirmed) report.stillDegraded++;
  };

  for await (const _ of orderedMap(ctx.metadata.chunks(), ctx.limits.maintenanceConcurrency, repairChunk)) {
    report.chunks++;
    options.onProgress?.({ chunks: report.chunks });
  }
  return report;
}

/**
 * A verified envelope from the first good-looking copy that really reads back correctly. Copies
 * that fail the full check are marked and returned as `failed` so the caller rewrites them too.
 */
async function goodEnvelope(ctx: EngineContext, id: ChunkId, candidates: Backend[]): Promise<{ envelope: Uint8Array; failed: Backend[] } | undefined> {
  const failed: Backend[] = [];
  for (const backend of candidates) {
    try {
      const { envelope } = await fetchVerified(ctx, id, backend);
      return { envelope, failed };
    } catch (err) {
      const state = classifyFailure(err);
      if (state === 'unreachable') continue;
      await ctx.metadata.setCopyState(id, backend.name, state);
      failed.push(backend);
    }
  }
  return undefined;
}
