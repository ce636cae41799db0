// `verify`: checks metadata against storage. Every recorded copy is looked up (head: present, right
// size) or, with deep, read and fully verified (checksum, decryption, decompression, chunk id).
// It streams over the chunk table and storage listings, so memory does not grow with repository size.
import type { ChunkId } from '../core/chunk-id.ts';
import { shardIdFromKey } from '../core/erasure.ts';
import { errorMessage } from '../core/errors.ts';
import type { ChunkRecord, CopyState } from '../metadata/metadata-store.ts';
import { CHUNK_PREFIX, chunkIdFromKey, chunkKey, type BlobInfo } from '../storage/blob-store.ts';
import type { Backend } from '../storage/placement.ts';
import { fetchVerified, packRecord } from './chunk-reader.ts';
import { classifyFailure } from './copy-reads.ts';
import { orderedMap } from './concurrency.ts';
import type { EngineContext } from './context.ts';
import { checkShardCopy, isSharded } from './erasure-io.ts';
import { ByteRateLimiter } from './rate-limit.ts';
import { resolveVersion } from './download.ts';

export type ProblemKind = 'missing' | 'corrupt' | 'unreachable' | 'under-replicated' | 'lost' | 'orphan';

export interface VerifyProblem {
  kind: ProblemKind;
  chunkId: ChunkId;
  backend?: string;
  detail: string;
}

export interface VerifyReport {
  deep: boolean;
  chunks: number;
  copies: number;
  okCopies: number;
  missing: number;
  corrupt: number;
  unreachable: number;
  underReplicated: number;
  lost: number;
  orphans: number;
  bytesChecked: number;
  /** Copy states per backend (what each backend holds of what it should). */
  perBackend: BackendHealth[];
  /** The first problems found (at most MAX_LISTED_PROBLEMS; the counters hold the totals). */
  problems: VerifyProblem[];
}

export interface BackendHealth {
  backend: string;
  ok: number;
  missing: number;
  corrupt: number;
  unreachable: number;
  /** healthy: every copy ok; degraded: some copies missing or corrupt; down: unreachable. */
  health: 'healthy' | 'degraded' | 'down';
}

export const MAX_LISTED_PROBLEMS = 1000;

export interface VerifyOptions {
  deep?: boolean;
  /** Only this file's chunks (latest version unless `version`). */
  name?: string;
  version?: number;
  onProgress?: (progress: { chunks: number; bytes: number }) => void;
  /** With deep: read at most this many bytes per second across all backends (scrub pacing). */
  rateBytesPerSec?: number;
}

export type CopyCheck = { state: CopyState; detail: string; bytes: number } | { state: 'unreachable'; detail: string; bytes: number };

/** Check one copy of a chunk on one backend. */
export async function checkCopy(ctx: EngineContext, chunk: ChunkRecord, backend: Backend, deep: boolean): Promise<CopyCheck> {
  try {
    if (deep) {
      const { envelope } = await fetchVerified(ctx, chunk.id, backend);
      return { state: 'ok', detail: '', bytes: envelope.length };
    }
    const info = await backend.store.head(chunkKey(chunk.id));
    if (!info) return { state: 'missing', detail: 'object not found', bytes: 0 };
    if (chunk.storedSize > 0 && info.size !== chunk.storedSize) {
      return { state: 'corrupt', detail: `size ${info.size}, expected ${chunk.storedSize}`, bytes: 0 };
    }
    return { state: 'ok', detail: '', bytes: 0 };
  } catch (err) {
    return { state: classifyFailure(err), detail: errorMessage(err), bytes: 0 };
  }
}

/** The distinct objects holding a file version's chunks (chunks, packs), in order (each once). */
async function* fileChunks(ctx: EngineContext, name: string, version?: number): AsyncGenerator<ChunkRecord> {
  const record = await resolveVersion(ctx, name, version);
  const seen = new Set<ChunkId>();
  for await (const vc of ctx.metadata.versionChunks(record.versionId)) {
    const object = vc.chunk.pack ? packRecord(vc.chunk) : vc.chunk;
    if (seen.has(object.id)) continue;
    seen.add(object.id);
    yield object;
  }
}

export async function verify(ctx: EngineContext, options: VerifyOptions = {}): Promise<VerifyReport> {
  const deep = options.deep ?? false;
  const report: VerifyReport = {
    deep,
    chunks: 0,
    copies: 0,
    okCopies: 0,
    missing: 0,
    corrupt: 0,
    unreachable: 0,
    underReplicated: 0,
    lost: 0,
    orphans: 0,
    bytesChecked: 0,
    perBackend: [],
    problems: [],
  };
  const byBackend = new Map<string, BackendHealth>(
    ctx.placement.backends.map((b) => [b.name, { backend: b.name, ok: 0, missing: 0, corrupt: 0, unreachable: 0, health: 'healthy' }]),
  );
  const tally = (backend: string, state: 'ok' | 'missing' | 'corrupt' | 'unreachable'): void => {
    let h = byBackend.get(backend);
    if (!h) byBackend.set(backend, (h = { backend, ok: 0, missing: 0, corrupt: 0, unreachable: 0, health: 'healthy' }));
    h[state]++;
  };
  const note = (p: VerifyProblem): void => {
    if (report.problems.length < MAX_LISTED_PROBLEMS) report.problems.push(p);
  };
  const source = options.name === undefined ? ctx.metadata.chunks() : fileChunks(ctx, options.name, options.version);
  const pace = deep && options.rateBytesPerSec ? new ByteRateLimiter(options.rateBytesPerSec) : undefined;

  const checkChunk = async (chunk: ChunkRecord): Promise<void> => {
    const sharded = ctx.erasure !== undefined && isSharded(chunk);
    const okShards = new Set<number>();
    let ok = 0;
    for (const copy of chunk.copies) {
      report.copies++;
      const backend = ctx.placement.byName(copy.backend);
      if (backend && pace) await pace.take(sharded ? Math.ceil(chunk.storedSize / ctx.erasure!.data) : chunk.storedSize);
      const check: CopyCheck = !backend
        ? { state: 'unreachable', detail: 'backend is no longer configured', bytes: 0 }
        : sharded && copy.shard !== undefined
          ? await checkShardCopy(ctx, chunk, backend, copy.shard, deep)
          : await checkCopy(ctx, chunk, backend, deep);
      if (check.state === 'ok' && copy.shard !== undefined) okShards.add(copy.shard);
      report.bytesChecked += check.bytes;
      tally(copy.backend, check.state);
      if (check.state === 'ok') {
        ok++;
        report.okCopies++;
      } else {
        report[check.state]++;
        note({ kind: check.state, chunkId: chunk.id, backend: copy.backend, detail: check.detail });
      }
      if (check.state !== 'unreachable' && check.state !== copy.state) {
        await ctx.metadata.setCopyState(chunk.id, copy.backend, check.state);
      }
    }
    if (sharded) {
      const k = ctx.erasure!.data;
      const n = k + ctx.erasure!.parity;
      if (okShards.size < k) {
        report.lost++;
        note({ kind: 'lost', chunkId: chunk.id, detail: `only ${okShards.size} of ${n} erasure shards healthy, ${k} needed` });
      } else if (okShards.size < n) {
        report.underReplicated++;
        note({ kind: 'under-replicated', chunkId: chunk.id, detail: `${okShards.size} of ${n} erasure shards healthy` });
      }
    } else if (ok === 0) {
      report.lost++;
      note({ kind: 'lost', chunkId: chunk.id, detail: 'no healthy copy left' });
    } else if (ok < ctx.replicas) {
      report.underReplicated++;
      note({ kind: 'under-replicated', chunkId: chunk.id, detail: `${ok} of ${ctx.replicas} copies healthy` });
    }
  };

  for await (const _ of orderedMap(source, ctx.limits.maintenanceConcurrency, checkChunk)) {
    report.chunks++;
    options.onProgress?.({ chunks: report.chunks, bytes: report.bytesChecked });
  }

  report.perBackend = [...byBackend.values()].map((h) => ({
    ...h,
    health: h.unreachable > 0 && h.ok === 0 ? 'down' : h.missing + h.corrupt + h.unreachable > 0 ? 'degraded' : 'healthy',
  }));
  if (options.name === undefined) {
    for await (const orphan of findOrphans(ctx)) {
      report.orphans++;
      note({ kind: 'orphan', chunkId: orphan.id, backend: orphan.backend.name, detail: `${orphan.info.size} bytes not referenced by metadata` });
    }
  }
  return report;
}

export interface Orphan {
  id: ChunkId;
  backend: Backend;
  info: BlobInfo;
}

const ORPHAN_BATCH = 500;

/** Chunk objects in storage that metadata does not know, streamed backend by backend in batches. */
export async function* findOrphans(ctx: EngineContext): AsyncGenerator<Orphan> {
  for (const backend of ctx.placement.backends) {
    let batch: { id: ChunkId; info: BlobInfo }[] = [];
    const drain = async function* (): AsyncGenerator<Orphan> {
      const known = await ctx.metadata.existingChunks(batch.map((b) => b.id));
      for (const b of batch) if (!known.has(b.id)) yield { id: b.id, backend, info: b.info };
      batch = [];
    };
    let listing: AsyncIterable<BlobInfo>;
    try {
      listing = backend.store.list(CHUNK_PREFIX);
      for await (const info of listing) {
        const id = chunkIdFromKey(info.key) ?? shardIdFromKey(info.key)?.id;
        if (id === undefined) continue;
        batch.push({ id, info });
        if (batch.length >= ORPHAN_BATCH) yield* drain();
      }
    } catch (err) {
      ctx.warn(`could not list backend ${backend.name}: ${errorMessage(err)}`);
      batch = [];
      continue;
    }
    if (batch.length > 0) yield* drain();
  }
}
