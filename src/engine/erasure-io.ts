// Erasure-coded chunks in storage: a chunk's envelope is split into k data + m parity shards
// (src/core/erasure.ts), shard i stored as `chunks/ab/<id>.<i>` on its own backend, and any k
// valid shards rebuild it. This module writes shards (like writeCopies: best-ranked backends
// first, a failing one replaced by the next), reads them fastest first with hedging and repair on
// read, checks single shards for verify, and rebuilds missing ones for repair.
import type { ChunkId } from '../core/chunk-id.ts';
import {
  checkShard,
  decodeShardsDetailed,
  encodeShards,
  reconstructShards,
  SHARD_HEADER_SIZE,
  SHARD_MAGIC,
  shardKey,
  shardObjectSize,
} from '../core/erasure.ts';
import { ChunkCorruptError, ChunkUnavailableError, DcsError, errorMessage, InsufficientBackendsError } from '../core/errors.ts';
import type { ChunkRecord, CopyRecord, CopyState } from '../metadata/metadata-store.ts';
import type { Backend } from '../storage/placement.ts';
import type { EngineContext, ErasurePolicy } from './context.ts';
import { classifyFailure, HEDGE_FALLBACK_MS, rankCopies, readCopies, type CopyFailure } from './copy-reads.ts';

/** Where one shard of a chunk went. */
export interface ShardPlacement {
  backend: string;
  index: number;
}

/** A chunk stored as erasure shards (its copies carry shard indexes) rather than whole replicas. */
export function isSharded(chunk: ChunkRecord): boolean {
  return chunk.copies.some((c) => c.shard !== undefined);
}

/** Distinct shard indexes recorded ok. */
export function okShards(chunk: ChunkRecord): number {
  return new Set(chunk.copies.filter((c) => c.state === 'ok' && c.shard !== undefined).map((c) => c.shard)).size;
}

function policyOf(ctx: EngineContext, id: ChunkId): ErasurePolicy {
  if (!ctx.erasure) {
    throw new DcsError('ERASURE_NOT_CONFIGURED', `chunk ${id.slice(0, 16)}… is stored as erasure shards but the repository's redundancy policy is not erasure`);
  }
  return ctx.erasure;
}

/** A read-only policy for shards coded as k+m (thresholds matter only to writes and repair). */
function codingOf(k: number, m: number): ErasurePolicy {
  return { data: k, parity: m, successThreshold: k + m, repairThreshold: k + 1 };
}

/** k and m from the header of the first readable shard (when the repository no longer names erasure). */
async function codedPolicy(chunk: ChunkRecord, sources: readonly ShardSource[]): Promise<ErasurePolicy | undefined> {
  for (const s of sources) {
    if (!s.backend) continue;
    try {
      const bytes = await s.backend.store.get(shardKey(chunk.id, s.index));
      if (bytes.length < SHARD_HEADER_SIZE || new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) !== SHARD_MAGIC) continue;
      return codingOf(bytes[5]!, bytes[6]!);
    } catch {
      continue;
    }
  }
  return undefined;
}

/**
 * Encode `envelope` into k+m shards and put shard i on the i-th of `candidates` (distinct
 * backends in rendezvous order); a backend that fails is replaced by the next unused one. Fails
 * unless at least `minimum` (default: the policy's successThreshold) shards are durable.
 */
export async function writeShards(id: ChunkId, envelope: Uint8Array, candidates: readonly Backend[], policy: ErasurePolicy, minimum = policy.successThreshold): Promise<ShardPlacement[]> {
  const shards = await encodeShards(envelope, policy.data, policy.parity);
  return putShards(id, shards.map((bytes, index) => ({ index, bytes })), candidates, minimum);
}

/** Put each shard on its own backend, taken in order from `candidates`; at least `minimum` must succeed. */
export async function putShards(id: ChunkId, shards: readonly { index: number; bytes: Uint8Array }[], candidates: readonly Backend[], minimum: number): Promise<ShardPlacement[]> {
  const placed: ShardPlacement[] = [];
  const failures: string[] = [];
  let cursor = 0;
  // Lanes start synchronously, so shard i first tries candidates[i]; failures take the next free one.
  const lane = async (shard: { index: number; bytes: Uint8Array }): Promise<void> => {
    while (cursor < candidates.length) {
      const backend = candidates[cursor++]!;
      try {
        await backend.store.put(shardKey(id, shard.index), shard.bytes);
        placed.push({ backend: backend.name, index: shard.index });
        return;
      } catch (err) {
        failures.push(`${backend.name}: ${errorMessage(err)}`);
      }
    }
  };
  await Promise.all(shards.map(lane));
  if (placed.length < minimum) {
    const detail = failures.length > 0 ? failures.join('; ') : `only ${candidates.length} backend(s) available`;
    throw new InsufficientBackendsError(
      `cannot store chunk ${id.slice(0, 12)}… as erasure shards: ${placed.length} of ${shards.length} stored, ${minimum} needed (${detail})`,
    );
  }
  return placed.sort((a, b) => a.index - b.index);
}

interface ShardSource {
  index: number;
  name: string;
  backend: Backend | undefined;
  state: CopyState;
}

/** The chunk's shard copies, ok ones first, each group in placement order. */
function shardSources(ctx: EngineContext, chunk: ChunkRecord): ShardSource[] {
  const shards = chunk.copies.filter((c): c is CopyRecord & { shard: number } => c.shard !== undefined);
  return rankCopies(ctx, chunk.id, shards).map((c) => ({ index: c.shard, name: c.backend, backend: ctx.placement.byName(c.backend), state: c.state }));
}

type ShardFailure = CopyFailure & { index: number };

/** Read one shard and check it on its own (header, lengths, CRC); throws BlobNotFound/ChunkCorrupt. */
async function fetchShard(id: ChunkId, source: ShardSource & { backend: Backend }, policy: ErasurePolicy, signal?: AbortSignal): Promise<Uint8Array> {
  const bytes = await source.backend.store.get(shardKey(id, source.index), signal ? { signal } : undefined);
  const checked = checkShard(bytes, policy.data, policy.parity, source.index);
  if (typeof checked === 'string') throw new ChunkCorruptError(id, `shard ${source.index}: ${checked}`, source.name);
  return bytes;
}

/** Untracked (local) backends get this long before another shard read is started. */
const UNTRACKED_HEDGE_MS = 500;

/**
 * Fetch shards until k valid ones are in hand: k reads start at once (ok copies first, placement
 * order), each failure starts the next source, and when the reads are slow (beyond the backend's
 * p95, or a fixed delay for untracked backends) one more is started. Returns shards by index.
 */
async function gatherShards(chunk: ChunkRecord, policy: ErasurePolicy, sources: readonly ShardSource[]): Promise<{ shards: (Uint8Array | undefined)[]; valid: number; failures: ShardFailure[]; used: ShardSource[] }> {
  const latency = sources.find((s) => s.backend)?.backend?.store.latency;
  const { got, failures } = await readCopies(sources, (source, signal) => fetchShard(chunk.id, source, policy, signal), {
    wanted: policy.data,
    pieceOf: (source) => source.index,
    delayMs: latency ? latency.hedgeDelayMs(HEDGE_FALLBACK_MS) : UNTRACKED_HEDGE_MS,
  });
  const shards: (Uint8Array | undefined)[] = Array.from<Uint8Array | undefined>({ length: policy.data + policy.parity });
  for (const g of got) shards[g.source.index] = g.value;
  return {
    shards,
    valid: got.length,
    failures: failures.map((f) => ({ backend: f.backend, index: f.source.index, reason: f.reason, state: f.state })),
    used: got.map((g) => g.source),
  };
}

export interface ShardedReadOptions {
  fileName?: string;
  /** Rebuild missing/corrupt shards found on the way (default true). */
  heal?: boolean;
}

/** Read an erasure-coded chunk: any k valid shards, decoded, verified through the transformer. */
export async function readShardedChunk(ctx: EngineContext, chunk: ChunkRecord, options: ShardedReadOptions = {}): Promise<Uint8Array> {
  const { envelope, from, heal } = await readShardedEnvelope(ctx, chunk, options);
  // The transformer may take the buffer (worker transfer); the decoder's output may be scratch.
  const plain = await ctx.transformer.decode(envelope.slice(), chunk.id, from);
  await heal();
  return plain;
}

/**
 * An erasure-coded chunk's envelope, rebuilt from any k valid shards (each checked on its own),
 * not yet decoded; `from` names the backends it came from. `heal` rewrites the failed shards:
 * the caller calls it once it has verified what it read.
 */
export async function readShardedEnvelope(
  ctx: EngineContext,
  chunk: ChunkRecord,
  options: ShardedReadOptions = {},
): Promise<{ envelope: Uint8Array; from: string; heal: () => Promise<void> }> {
  const sources = shardSources(ctx, chunk);
  let policy = ctx.erasure ?? (await codedPolicy(chunk, sources)) ?? policyOf(ctx, chunk.id);
  let got = await gatherShards(chunk, policy, sources);
  if (got.valid < policy.data) {
    // Written under another k+m than dcs.yaml names now: the shards' own headers say which.
    const coded = got.failures.map((f) => /coded as (\d+)\+(\d+), expected/.exec(f.reason)).find((m) => m !== null);
    if (coded) {
      policy = codingOf(Number(coded[1]), Number(coded[2]));
      got = await gatherShards(chunk, policy, sources);
    }
  }
  for (const f of got.failures) {
    const recorded = chunk.copies.find((c) => c.backend === f.backend);
    if (f.state !== 'unreachable' && recorded?.state !== f.state) await ctx.metadata.setCopyState(chunk.id, f.backend, f.state);
  }
  if (got.valid < policy.data) {
    const failures = got.failures.map((f) => ({ backend: f.backend, reason: `shard ${f.index}: ${f.reason}` }));
    failures.push({ backend: '(erasure)', reason: `only ${got.valid} of ${policy.data + policy.parity} shards readable, ${policy.data} needed` });
    throw new ChunkUnavailableError(chunk.id, options.fileName, failures);
  }
  for (const s of got.used) if (s.state !== 'ok') await ctx.metadata.setCopyState(chunk.id, s.name, 'ok');
  const { envelope } = await decodeShardsDetailed(got.shards, policy.data, policy.parity, undefined, chunk.id);
  const bad = options.heal === false ? [] : got.failures.filter((f) => f.state === 'missing' || f.state === 'corrupt');
  const heal = async (): Promise<void> => {
    if (bad.length > 0) await healShards(ctx, chunk.id, policy, got.shards, bad);
  };
  return { envelope, from: got.used.map((s) => s.name).join('+'), heal };
}

/** Rebuild the given failed shards from the valid ones and write each back to its backend. */
async function healShards(ctx: EngineContext, id: ChunkId, policy: ErasurePolicy, shards: readonly (Uint8Array | undefined)[], bad: readonly ShardFailure[]): Promise<number> {
  let rebuilt: Uint8Array[];
  try {
    rebuilt = await reconstructShards(shards, policy.data, policy.parity, bad.map((b) => b.index), undefined, id);
  } catch (err) {
    ctx.warn(`could not rebuild shards of chunk ${id.slice(0, 12)}…: ${errorMessage(err)}`);
    return 0;
  }
  let healed = 0;
  for (const [i, f] of bad.entries()) {
    const backend = ctx.placement.byName(f.backend);
    if (!backend) continue;
    try {
      await backend.store.put(shardKey(id, f.index), rebuilt[i]!);
      await ctx.metadata.addCopy(id, f.backend, f.index);
      healed++;
      ctx.warn(`repaired ${f.state} shard ${f.index} of chunk ${id.slice(0, 12)}… on backend ${f.backend}`);
    } catch (err) {
      ctx.warn(`could not repair shard ${f.index} of chunk ${id.slice(0, 12)}… on backend ${f.backend}: ${errorMessage(err)}`);
    }
  }
  return healed;
}

export type ShardCheck = { state: CopyState | 'unreachable'; detail: string; bytes: number };

/** Check one shard copy: deep reads it and checks header and CRC; shallow checks presence and size. */
export async function checkShardCopy(ctx: EngineContext, chunk: ChunkRecord, backend: Backend, index: number, deep: boolean): Promise<ShardCheck> {
  const policy = policyOf(ctx, chunk.id);
  try {
    if (deep) {
      const bytes = await fetchShard(chunk.id, { index, name: backend.name, backend, state: 'ok' }, policy);
      return { state: 'ok', detail: '', bytes: bytes.length };
    }
    const info = await backend.store.head(shardKey(chunk.id, index));
    if (!info) return { state: 'missing', detail: `shard ${index}: object not found`, bytes: 0 };
    const expected = shardObjectSize(chunk.storedSize, policy.data);
    if (chunk.storedSize > 0 && info.size !== expected) return { state: 'corrupt', detail: `shard ${index}: size ${info.size}, expected ${expected}`, bytes: 0 };
    return { state: 'ok', detail: '', bytes: 0 };
  } catch (err) {
    return { state: classifyFailure(err), detail: errorMessage(err), bytes: 0 };
  }
}

export interface ShardRepair {
  rewritten: number;
  added: number;
  lost: boolean;
  /** Healthy shards after repair (distinct indexes). */
  healthy: number;
  problems: { kind: 'lost' | 'unreachable' | 'under-replicated'; backend?: string; detail: string }[];
}

/**
 * Bring an erasure-coded chunk back to k+m shards: every shard copy is read and checked; shards
 * found missing or corrupt on a reachable backend are rebuilt in place, and shards with no usable
 * home (never written, or their backend gone or down) are rebuilt onto the next backends in the
 * ranking that hold no shard of the chunk — the latter only when at most repairThreshold shards
 * are healthy (a chunk written with successThreshold < k+m shards is left as it is until then).
 * Needs k valid shards.
 */
export async function repairShardedChunk(ctx: EngineContext, chunk: ChunkRecord): Promise<ShardRepair> {
  const policy = policyOf(ctx, chunk.id);
  const n = policy.data + policy.parity;
  const out: ShardRepair = { rewritten: 0, added: 0, lost: false, healthy: 0, problems: [] };
  const shards: (Uint8Array | undefined)[] = Array.from<Uint8Array | undefined>({ length: n });
  const inPlace = new Map<number, Backend>();
  const unreachable: CopyRecord[] = [];
  for (const s of shardSources(ctx, chunk)) {
    const backend = s.backend;
    if (!backend) {
      unreachable.push(chunk.copies.find((c) => c.backend === s.name)!);
      continue;
    }
    try {
      const bytes = await fetchShard(chunk.id, { ...s, backend }, policy);
      if (shards[s.index] === undefined) shards[s.index] = bytes;
      if (s.state !== 'ok') await ctx.metadata.setCopyState(chunk.id, s.name, 'ok');
    } catch (err) {
      const state = classifyFailure(err);
      if (state === 'unreachable') {
        out.problems.push({ kind: 'unreachable', backend: s.name, detail: errorMessage(err) });
        unreachable.push(chunk.copies.find((c) => c.backend === s.name)!);
        continue;
      }
      if (state !== s.state) await ctx.metadata.setCopyState(chunk.id, s.name, state);
      inPlace.set(s.index, backend);
    }
  }
  const valid = shards.filter((s) => s !== undefined).length;
  out.healthy = valid;
  if (valid === n) return out;
  if (valid < policy.data) {
    out.lost = true;
    out.problems.push({ kind: 'lost', detail: `only ${valid} of ${n} shards valid, ${policy.data} needed` });
    return out;
  }
  const missing = [...Array(n).keys()].filter((i) => shards[i] === undefined);
  const homeless = missing.filter((i) => !inPlace.has(i));
  const wanted = valid <= policy.repairThreshold ? missing : missing.filter((i) => inPlace.has(i));
  if (wanted.length === 0) return out;
  const rebuilt = await reconstructShards(shards, policy.data, policy.parity, wanted, undefined, chunk.id);
  const pieces = new Map(wanted.map((index, i) => [index, rebuilt[i]!]));
  for (const [index, backend] of inPlace) {
    try {
      await backend.store.put(shardKey(chunk.id, index), pieces.get(index)!);
      await ctx.metadata.addCopy(chunk.id, backend.name, index);
      out.rewritten++;
      out.healthy++;
    } catch (err) {
      out.problems.push({ kind: 'unreachable', backend: backend.name, detail: errorMessage(err) });
    }
  }
  const toPlace = homeless.filter((i) => pieces.has(i));
  if (toPlace.length > 0) {
    const holders = new Set(chunk.copies.map((c) => c.backend));
    const candidates = ctx.placement.rank(chunk.id).filter((b) => !holders.has(b.name));
    try {
      const placed = await putShards(chunk.id, toPlace.map((index) => ({ index, bytes: pieces.get(index)! })), candidates, 0);
      for (const p of placed) {
        await ctx.metadata.addCopy(chunk.id, p.backend, p.index);
        // The old record of this shard (on a backend that is gone or down) no longer counts.
        for (const old of unreachable) if (old.shard === p.index) await ctx.metadata.removeCopy(chunk.id, old.backend);
      }
      out.added += placed.length;
      out.healthy += placed.length;
      if (placed.length < toPlace.length) {
        out.problems.push({ kind: 'under-replicated', detail: `${toPlace.length - placed.length} shard(s) found no free backend` });
      }
    } catch (err) {
      out.problems.push({ kind: 'under-replicated', detail: errorMessage(err) });
    }
  }
  return out;
}
