// The optional members of BlobStore reach callers through any stack of wrappers (no casts, no
// looking inside), the scheme table says which backends are reached over a network, and the one
// hedging loop gathers k distinct pieces for erasure shards.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { registerStorageNodeBackends } from '../../src/services/register.ts';
import type { BlobStore } from '../../src/storage/blob-store.ts';
import { withFaults } from '../../src/storage/fault-store.ts';
import { hedgedGather } from '../../src/storage/hedged-read.ts';
import { MemoryBlobStore } from '../../src/storage/memory-store.ts';
import { withMetrics } from '../../src/storage/metrics-store.ts';
import { isNetworkBackend } from '../../src/storage/registry.ts';
import { withResilience } from '../../src/storage/resilient-store.ts';

/** A memory store that also offers init, a health check and close, and counts their calls. */
function capableStore(): BlobStore & { calls: string[] } {
  const calls: string[] = [];
  const mem = new MemoryBlobStore({ name: 'cap' });
  return Object.assign(mem, {
    calls,
    async init() {
      calls.push('init');
    },
    async checkHealth(timeoutMs: number) {
      calls.push(`health ${timeoutMs}`);
      return true;
    },
    async close() {
      calls.push('close');
    },
  });
}

describe('optional BlobStore members through wrappers', () => {
  it('init, checkHealth and close pass through faults, resilience and metrics', async () => {
    const inner = capableStore();
    const stack = withMetrics(withResilience(withFaults(inner, { outage: true })), new Registry());
    await stack.init?.();
    assert.equal(await stack.checkHealth?.(250), true);
    await stack.close?.();
    assert.deepEqual(inner.calls, ['init', 'health 250', 'close']);
    assert.equal(stack.stats().operations.head.count, 0, 'not counted as operations');
  });

  it('the breaker availability and read latency of the resilience wrapper reach the outermost store', async () => {
    const faulty = withFaults(new MemoryBlobStore({ name: 'b' }));
    const resilient = withResilience(faulty, { retry: { retries: 0, initialDelayMs: 1, maxDelayMs: 1 }, breaker: { failures: 1, halfOpenAfterMs: 10_000 } });
    const outer = withMetrics(resilient);
    assert.equal(outer.latency, resilient.latency);
    await outer.put('a', new Uint8Array([1]));
    await outer.get('a');
    assert.equal(resilient.latency.count, 1);
    assert.equal(outer.isAvailable?.(), true);
    faulty.faults.outage = true;
    await assert.rejects(outer.head('a'));
    assert.equal(outer.isAvailable?.(), false);
  });

  it('stores without them offer none, wrapped or not', () => {
    const stores: BlobStore[] = [new MemoryBlobStore({ name: 'm' }), withMetrics(withFaults(new MemoryBlobStore({ name: 'm' })))];
    for (const store of stores) {
      assert.equal(store.init, undefined);
      assert.equal(store.isAvailable, undefined);
      assert.equal(store.latency, undefined);
      assert.equal(store.checkHealth, undefined);
    }
  });
});

describe('scheme table', () => {
  it('says which backends are reached over a network, storage nodes included', () => {
    assert.equal(isNetworkBackend('fs:/srv/dcs'), false);
    assert.equal(isNetworkBackend('mem:x'), false);
    for (const url of ['s3://bucket', 'azure://container', 'gs://bucket']) assert.equal(isNetworkBackend(url), true, url);
    registerStorageNodeBackends({});
    assert.equal(isNetworkBackend('grpc://127.0.0.1:7070'), true);
    assert.equal(isNetworkBackend('grpcs://node:7070'), true);
  });
});

describe('hedgedGather', () => {
  const after = <T>(ms: number, value: T, log: string[], name: string) => async (signal: AbortSignal): Promise<T> => {
    log.push(`start ${name}`);
    await sleep(ms, undefined, { signal });
    return value;
  };

  it('gathers k distinct pieces, skips copies of a piece in hand, and aborts the rest', async () => {
    const log: string[] = [];
    const now = (value: string, name: string) => async (): Promise<string> => {
      log.push(`start ${name}`);
      return value;
    };
    const hanging = (signal: AbortSignal): Promise<string> => {
      log.push('start p0b');
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
    };
    const fail = async (): Promise<string> => {
      log.push('start bad');
      throw new Error('gone');
    };
    // Pieces: 0, 0 (a second copy of piece 0, which never answers), 1 (fails), 2, 3, 4 (never needed).
    const signals: AbortSignal[] = [];
    const result = await hedgedGather(
      [now('a', 'p0'), (signal) => (signals.push(signal), hanging(signal)), fail, now('c', 'p2'), now('d', 'p3'), now('e', 'p4')],
      { wanted: 3, pieceOf: (i) => [0, 0, 1, 2, 3, 4][i]!, delayMs: 30 },
    );
    assert.deepEqual(result.got.map((g) => [g.piece, g.value]), [[0, 'a'], [2, 'c'], [3, 'd']]);
    assert.deepEqual(result.failed.map((f) => f.candidate), [2]);
    // k reads at once; the failure starts the next at once; the copy of piece 0 still in flight
    // starts nothing, so the hedge delay starts piece 3; piece 4 is never read.
    assert.deepEqual(log, ['start p0', 'start p0b', 'start bad', 'start p2', 'start p3']);
    assert.equal(signals[0]?.aborted, true, 'the read still in flight was aborted');
  });

  it('starts one more read when the ones in flight are slow', async () => {
    const log: string[] = [];
    const started = performance.now();
    const result = await hedgedGather([after(2000, 'slow', log, 's0'), after(2, 'b', log, 's1'), after(2, 'c', log, 's2')], { wanted: 2, delayMs: 20 });
    assert.ok(performance.now() - started < 1000, 'did not wait for the slow read');
    assert.deepEqual(result.got.map((g) => g.value).sort(), ['b', 'c']);
    assert.deepEqual(result.failed, [], 'the aborted slow read is not a failure');
  });

  it('returns what it got when too few pieces can be read', async () => {
    const result = await hedgedGather([async () => 'x', async () => Promise.reject(new Error('no'))], { wanted: 2, delayMs: 10 });
    assert.deepEqual(result.got.map((g) => g.value), ['x']);
    assert.equal(result.failed.length, 1);
    assert.deepEqual(await hedgedGather([], { wanted: 2, delayMs: 10 }), { got: [], failed: [] });
  });
});
