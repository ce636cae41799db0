// Resilience wrappers: retry/backoff, timeout, circuit breaker, concurrency limit (withResilience),
// hedged reads, and metrics (withMetrics). Faults come from withFaults; every delay is small.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { BackendError, BlobNotFoundError, ConfigError, UsageError } from '../../src/core/errors.ts';
import type { BlobInfo, BlobStore, GetOptions, OperationOptions } from '../../src/storage/blob-store.ts';
import { withFaults } from '../../src/storage/fault-store.ts';
import { LatencyTracker, hedgedRead } from '../../src/storage/hedged-read.ts';
import { MemoryBlobStore } from '../../src/storage/memory-store.ts';
import { withMetrics } from '../../src/storage/metrics-store.ts';
import { BackendOverloadedError, BackendTimeoutError, CircuitOpenError } from '../../src/storage/operations.ts';
import { DEFAULT_RESILIENCE, resolveResilience, withResilience, type ResilienceConfig } from '../../src/storage/resilient-store.ts';
import { blobStoreConformance } from '../conformance/blob-store.ts';

blobStoreConformance('resilience wrapper (defaults, no faults)', async () => ({
  store: withResilience(new MemoryBlobStore({ name: 'mem' })),
  cleanup: async () => {},
}));

blobStoreConformance('metrics wrapper', async () => ({
  store: withMetrics(new MemoryBlobStore({ name: 'mem' }), new Registry()),
  cleanup: async () => {},
}));

blobStoreConformance('metrics ∘ resilience ∘ faults (no faults)', async () => ({
  store: withMetrics(withResilience(withFaults(new MemoryBlobStore({ name: 'mem' })))),
  cleanup: async () => {},
}));

/** Counts calls reaching a store, the most running at once, and the signals it was given. */
function spy(inner: BlobStore) {
  const calls = { put: 0, get: 0, head: 0, delete: 0, list: 0 };
  const signals: (AbortSignal | undefined)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const track = async <T>(op: keyof typeof calls, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> => {
    calls[op]++;
    signals.push(signal);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await fn();
    } finally {
      inFlight--;
    }
  };
  const store: BlobStore = {
    name: inner.name,
    capabilities: inner.capabilities,
    put: (k: string, d: Uint8Array, o?: OperationOptions) => track('put', o?.signal, () => inner.put(k, d, o)),
    get: (k: string, o?: GetOptions) => track('get', o?.signal, () => inner.get(k, o)),
    head: (k: string, o?: OperationOptions) => track('head', o?.signal, () => inner.head(k, o)),
    delete: (k: string, o?: OperationOptions) => track('delete', o?.signal, () => inner.delete(k, o)),
    list(prefix: string, o?: OperationOptions) {
      calls.list++;
      return inner.list(prefix, o);
    },
  };
  return {
    store,
    calls,
    signals,
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

/** Fast policies for tests: tiny backoff, short breaker pause. */
const fast = (over: ResilienceConfig = {}): ResilienceConfig => ({
  timeoutMs: 1000,
  ...over,
  retry: { retries: 4, initialDelayMs: 1, maxDelayMs: 5, ...over.retry },
  breaker: { failures: 50, halfOpenAfterMs: 30, ...over.breaker },
});

const isTransient = (e: unknown): boolean => e instanceof BackendError && e.retryable;

describe('withResilience: options', () => {
  it('has sane defaults and validates config with clear messages', () => {
    assert.equal(DEFAULT_RESILIENCE.timeoutMs, 30_000);
    assert.deepEqual(DEFAULT_RESILIENCE.retry, { retries: 4, initialDelayMs: 100, maxDelayMs: 10_000 });
    assert.deepEqual(DEFAULT_RESILIENCE.breaker, { failures: 5, halfOpenAfterMs: 10_000 });
    assert.deepEqual(DEFAULT_RESILIENCE.concurrency, { limit: 16, queue: 10_000 });
    assert.equal(resolveResilience({ retry: { retries: 2 } }).retry.initialDelayMs, 100);
    assert.throws(() => resolveResilience({ timeoutMs: -1 }), (e: unknown) => e instanceof ConfigError && /resilience\.timeoutMs/.test(e.message));
    assert.throws(() => resolveResilience({ retry: { initialDelayMs: 50, maxDelayMs: 10 } }), ConfigError);
    assert.throws(() => resolveResilience({ bogus: 1 } as unknown as ResilienceConfig), ConfigError);
  });
});

describe('withResilience: retry', () => {
  it('retries transient errors (seeded 30% failure rate) and returns the right data', async () => {
    const faulty = spy(withFaults(new MemoryBlobStore({ name: 'flaky' }), { errorRate: { put: 0.3, get: 0.3, head: 0.3 }, seed: 7 }));
    const store = withResilience(faulty.store, fast({ retry: { retries: 10 } }));
    const values = Array.from({ length: 40 }, (_, i) => new Uint8Array([i, i + 1, i + 2]));
    for (const [i, v] of values.entries()) await store.put(`k/${i}`, v);
    for (const [i, v] of values.entries()) assert.deepEqual(await store.get(`k/${i}`), v);
    assert.equal((await store.head('k/3'))?.size, 3);
    assert.ok(faulty.calls.put > 40 && faulty.calls.get > 40, `retries happened: ${JSON.stringify(faulty.calls)}`);
  });

  it('does not retry BlobNotFoundError, UsageError or non-retryable BackendErrors', async () => {
    const inner = spy(withFaults(new MemoryBlobStore({ name: 'm' }), { capacityBytes: 0 }));
    const store = withResilience(inner.store, fast());
    await assert.rejects(store.get('chunks/00/missing'), BlobNotFoundError);
    assert.equal(inner.calls.get, 1);
    await assert.rejects(store.head('../escape'), UsageError);
    assert.equal(inner.calls.head, 1);
    await assert.rejects(store.put('a', new Uint8Array(1)), (e: unknown) => e instanceof BackendError && !e.retryable && /disk full/.test(e.message));
    assert.equal(inner.calls.put, 1);
  });

  it('gives up after the configured retries with the last transient error', async () => {
    const inner = spy(withFaults(new MemoryBlobStore({ name: 'down' }), { outage: true }));
    const store = withResilience(inner.store, fast({ retry: { retries: 3 } }));
    await assert.rejects(store.head('a'), isTransient);
    assert.equal(inner.calls.head, 4);
  });

  it('backoff delays are fully jittered below an exponentially growing cap', async (t) => {
    const delaysByAttempt: number[][] = [[], [], []];
    for (let run = 0; run < 8; run++) {
      const store = withResilience(withFaults(new MemoryBlobStore({ name: 'x' }), { outage: true }), fast({ retry: { retries: 3, initialDelayMs: 4, maxDelayMs: 1000 } }));
      store.policies.retry.onRetry(({ attempt, delay }) => delaysByAttempt[attempt - 1]!.push(delay));
      await assert.rejects(store.head('a'), isTransient);
    }
    const caps = [4, 8, 16];
    delaysByAttempt.forEach((ds, i) => {
      assert.equal(ds.length, 8);
      for (const d of ds) assert.ok(d >= 0 && d < caps[i]!, `attempt ${i + 1}: ${d} within [0, ${caps[i]})`);
    });
    assert.ok(new Set(delaysByAttempt[2]).size > 1, 'jittered: delays differ between runs');
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    assert.ok(mean(delaysByAttempt[2]!) > mean(delaysByAttempt[0]!), 'later retries wait longer on average');

    // With the random draw pinned near 1, the delays are the caps: they double each retry.
    t.mock.method(Math, 'random', () => 0.999);
    const pinned: number[] = [];
    const store = withResilience(withFaults(new MemoryBlobStore({ name: 'x' }), { outage: true }), fast({ retry: { retries: 4, initialDelayMs: 2, maxDelayMs: 1000 } }));
    store.policies.retry.onRetry(({ delay }) => pinned.push(delay));
    await assert.rejects(store.head('a'), isTransient);
    assert.deepEqual(pinned, [1, 3, 7, 15]);
  });

  it('a listing that fails part-way resumes after the last key, each key once', async () => {
    const mem = new MemoryBlobStore({ name: 'm' });
    for (let i = 0; i < 10; i++) await mem.put(`p/${i}`, new Uint8Array(i));
    let failuresLeft = 2;
    const broken: BlobStore = {
      ...spy(mem).store,
      async *list(prefix: string, o?: OperationOptions): AsyncIterable<BlobInfo> {
        let n = 0;
        for await (const info of (mem as BlobStore).list(prefix, o)) {
          if (n++ === 4 && failuresLeft > 0 && failuresLeft--) throw new BackendError('m', 'list', 'connection reset', true);
          yield info;
        }
      },
    };
    const store = withResilience(broken, fast());
    const keys: string[] = [];
    for await (const info of store.list('p/')) keys.push(info.key);
    assert.deepEqual(keys, Array.from({ length: 10 }, (_, i) => `p/${i}`));
    assert.equal(failuresLeft, 0);
  });
});

describe('withResilience: timeout', () => {
  it('aborts a slow attempt: the caller gets a timeout error and the inner store sees the abort', async () => {
    const inner = spy(withFaults(new MemoryBlobStore({ name: 'slow' }), { latencyMs: 150 }));
    const store = withResilience(inner.store, fast({ timeoutMs: 20, retry: { retries: 0 } }));
    const start = performance.now();
    await assert.rejects(store.head('a'), (e: unknown) => e instanceof BackendTimeoutError && e.retryable && e.backend === 'slow');
    assert.ok(performance.now() - start < 120, 'failed at the timeout, not after the slow call');
    assert.equal(inner.signals.length, 1);
    assert.equal(inner.signals[0]?.aborted, true);
  });

  it('retries a timed-out attempt', async () => {
    const mem = new MemoryBlobStore({ name: 'm' });
    await mem.put('a', new Uint8Array([7]));
    const faulty = withFaults(mem, { latencyMs: 100 });
    const inner = spy(faulty);
    const store = withResilience(inner.store, fast({ timeoutMs: 20 }));
    store.policies.retry.onRetry(() => {
      faulty.faults.latencyMs = 0;
    });
    assert.deepEqual(await store.get('a'), new Uint8Array([7]));
    assert.equal(inner.calls.get, 2);
  });

  it('the caller aborting stops retries and reports the caller reason', async () => {
    const inner = spy(withFaults(new MemoryBlobStore({ name: 'down' }), { outage: true }));
    const store = withResilience(inner.store, fast({ retry: { retries: 20, initialDelayMs: 20, maxDelayMs: 20 } }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user gave up')), 15);
    await assert.rejects(store.head('a', { signal: controller.signal }), /user gave up/);
    const callsAtAbort = inner.calls.head;
    assert.ok(callsAtAbort >= 1 && callsAtAbort < 21);
    await sleep(40);
    assert.equal(inner.calls.head, callsAtAbort, 'no attempt after the abort');
  });
});

describe('withResilience: circuit breaker', () => {
  it('opens after N consecutive failures, fails fast without calling the backend, closes after a good probe', async () => {
    const faulty = withFaults(new MemoryBlobStore({ name: 'b1' }), { outage: true });
    const inner = spy(faulty);
    const store = withResilience(inner.store, fast({ retry: { retries: 0 }, breaker: { failures: 3, halfOpenAfterMs: 40 } }));
    assert.equal(store.isAvailable(), true);
    for (let i = 0; i < 3; i++) await assert.rejects(store.head('a'), isTransient);
    assert.equal(store.breakerState, 'open');
    assert.equal(store.isAvailable(), false);

    const start = performance.now();
    await assert.rejects(store.head('a'), (e: unknown) => e instanceof CircuitOpenError && e.retryable && /breaker is open/.test(e.message));
    await assert.rejects(store.put('a', new Uint8Array(1)), CircuitOpenError);
    assert.ok(performance.now() - start < 20, 'fails fast');
    assert.equal(inner.calls.head, 3);
    assert.equal(inner.calls.put, 0);

    faulty.faults.outage = false;
    await sleep(50);
    assert.equal(store.isAvailable(), true, 'due for a probe');
    await store.put('a', new Uint8Array([1]));
    assert.equal(store.breakerState, 'closed');
    assert.equal(inner.calls.put, 1);
    assert.deepEqual(await store.get('a'), new Uint8Array([1]));
  });

  it('a failed probe reopens it', async () => {
    const inner = spy(withFaults(new MemoryBlobStore({ name: 'b2' }), { outage: true }));
    const store = withResilience(inner.store, fast({ retry: { retries: 0 }, breaker: { failures: 2, halfOpenAfterMs: 20 } }));
    for (let i = 0; i < 2; i++) await assert.rejects(store.head('a'), isTransient);
    await sleep(30);
    await assert.rejects(store.head('a'), (e: unknown) => isTransient(e) && !(e instanceof CircuitOpenError));
    assert.equal(store.breakerState, 'open');
    await assert.rejects(store.head('a'), CircuitOpenError);
    assert.equal(inner.calls.head, 3);
  });

  it('an open breaker is not retried, and missing objects do not count as failures', async () => {
    const faulty = withFaults(new MemoryBlobStore({ name: 'b3' }));
    const inner = spy(faulty);
    const store = withResilience(inner.store, fast({ retry: { retries: 5 }, breaker: { failures: 2, halfOpenAfterMs: 10_000 } }));
    for (let i = 0; i < 5; i++) await assert.rejects(store.get('chunks/00/none'), BlobNotFoundError);
    assert.equal(store.breakerState, 'closed');
    faulty.faults.outage = true;
    await assert.rejects(store.head('a'), CircuitOpenError);
    assert.equal(inner.calls.head, 2, 'two failures opened it; the retry after that failed fast');
  });
});

describe('withResilience: concurrency limit', () => {
  it('runs at most `limit` calls at once and queues the rest', async () => {
    const mem = new MemoryBlobStore({ name: 'm' });
    await mem.put('a', new Uint8Array([1]));
    const inner = spy(withFaults(mem, { latencyMs: 5 }));
    const store = withResilience(inner.store, fast({ concurrency: { limit: 3, queue: 100 } }));
    const results = await Promise.all(Array.from({ length: 20 }, () => store.get('a')));
    assert.equal(results.length, 20);
    assert.equal(inner.maxInFlight, 3);
    assert.equal(inner.calls.get, 20);
  });

  it('rejects with a retryable overload error when the queue is full', async () => {
    const mem = new MemoryBlobStore({ name: 'm' });
    const store = withResilience(withFaults(mem, { latencyMs: 10 }), fast({ retry: { retries: 0 }, concurrency: { limit: 1, queue: 1 } }));
    const outcomes = await Promise.allSettled([store.head('a'), store.head('b'), store.head('c')]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled', 'rejected']);
    const third = outcomes[2] as PromiseRejectedResult;
    assert.ok(third.reason instanceof BackendOverloadedError && third.reason.retryable);
    assert.equal(store.breakerState, 'closed', 'overload is not a backend failure');
  });
});

describe('hedged reads', () => {
  const slowCopy = (ms: number, value: number, log: { aborted: boolean; started: boolean }) => (signal: AbortSignal) =>
    new Promise<Uint8Array>((resolve, reject) => {
      log.started = true;
      const t = setTimeout(() => resolve(new Uint8Array([value])), ms);
      signal.addEventListener('abort', () => {
        log.aborted = true;
        clearTimeout(t);
        reject(signal.reason);
      });
    });

  it('asks the second copy when the first is slow, returns the fast one and aborts the loser', async () => {
    const first = { aborted: false, started: false };
    const second = { aborted: false, started: false };
    const start = performance.now();
    const data = await hedgedRead([slowCopy(200, 1, first), slowCopy(5, 2, second)], { delayMs: 10 });
    assert.deepEqual(data, new Uint8Array([2]));
    assert.ok(performance.now() - start < 100);
    assert.equal(first.aborted, true);
    assert.equal(second.aborted, false);
  });

  it('does not ask a second copy when the first answers within the delay', async () => {
    const first = { aborted: false, started: false };
    const second = { aborted: false, started: false };
    assert.deepEqual(await hedgedRead([slowCopy(2, 1, first), slowCopy(2, 2, second)], { delayMs: 50 }), new Uint8Array([1]));
    assert.equal(second.started, false);
  });

  it('fails over at once when a copy fails, and reports every error when all fail', async () => {
    const start = performance.now();
    const got = await hedgedRead([async () => { throw new BackendError('a', 'get', 'reset', true); }, async () => new Uint8Array([3])], { delayMs: 1000 });
    assert.deepEqual(got, new Uint8Array([3]));
    assert.ok(performance.now() - start < 100, 'did not wait for the hedge delay');

    const missing = new BlobNotFoundError('k', 'b');
    await assert.rejects(
      hedgedRead([async () => { throw new BackendError('a', 'get', 'reset', true); }, async () => { throw missing; }], { delayMs: 1 }),
      (e: unknown) => e instanceof AggregateError && e.errors.length === 2 && e.errors[1] === missing && /all 2 copies failed/.test(e.message),
    );
    await assert.rejects(hedgedRead([], { delayMs: 1 }), AggregateError);
  });

  it('the caller aborting aborts every copy in flight', async () => {
    const first = { aborted: false, started: false };
    const second = { aborted: false, started: false };
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 15);
    await assert.rejects(hedgedRead([slowCopy(200, 1, first), slowCopy(200, 2, second)], { delayMs: 5, signal: controller.signal }), /stop/);
    assert.equal(first.aborted && second.aborted, true);
  });

  it('LatencyTracker gives p95 over a rolling window, and the resilient store feeds it', async () => {
    const tracker = new LatencyTracker({ window: 100, minSamples: 10 });
    assert.equal(tracker.p95(), undefined);
    assert.equal(tracker.hedgeDelayMs(42), 42);
    for (let i = 1; i <= 100; i++) tracker.record(i);
    assert.equal(tracker.p95(), 95);
    for (let i = 0; i < 100; i++) tracker.record(1000);
    assert.equal(tracker.count, 100);
    assert.equal(tracker.p95(), 1000, 'old samples rolled out');

    const store = withResilience(new MemoryBlobStore({ name: 'm' }), fast());
    await store.put('a', new Uint8Array([1]));
    for (let i = 0; i < 12; i++) await store.get('a');
    assert.equal(store.latency.count, 12);
    assert.ok((store.latency.p95() ?? -1) >= 0);
  });
});

describe('withMetrics', () => {
  it('counts operations, errors by kind and bytes, in stats() and in Prometheus', async () => {
    const registry = new Registry();
    const a = withMetrics(new MemoryBlobStore({ name: 'a' }), registry);
    const b = withMetrics(withFaults(new MemoryBlobStore({ name: 'b' }), { outage: true }), registry);
    await a.put('x', new Uint8Array(10));
    await a.put('y', new Uint8Array(5));
    assert.equal((await a.get('x', { range: { offset: 0, length: 4 } })).length, 4);
    await assert.rejects(a.get('missing'), BlobNotFoundError);
    await assert.rejects(a.put('../bad', new Uint8Array(1)), UsageError);
    const listed: string[] = [];
    for await (const info of a.list('')) listed.push(info.key);
    assert.deepEqual(listed, ['x', 'y']);
    await assert.rejects(b.head('x'), BackendError);

    const s = a.stats();
    assert.equal(s.backend, 'a');
    assert.deepEqual(
      { ...s.operations.put, totalMs: 0, maxMs: 0 },
      { count: 3, errors: 1, bytesWritten: 15, bytesRead: 0, totalMs: 0, maxMs: 0 },
    );
    assert.equal(s.operations.get.count, 2);
    assert.equal(s.operations.get.bytesRead, 4);
    assert.equal(s.operations.list.count, 1);
    assert.deepEqual(s.errors, { not_found: 1, invalid: 1 });
    assert.deepEqual(b.stats().errors, { transient: 1 });

    const text = await registry.metrics();
    assert.match(text, /dcs_backend_operations_total\{backend="a",op="put"\} 3/);
    assert.match(text, /dcs_backend_errors_total\{backend="a",op="get",kind="not_found"\} 1/);
    assert.match(text, /dcs_backend_errors_total\{backend="b",op="head",kind="transient"\} 1/);
    assert.match(text, /dcs_backend_written_bytes_total\{backend="a",op="put"\} 15/);
    assert.match(text, /dcs_backend_read_bytes_total\{backend="a",op="get"\} 4/);
    assert.match(text, /dcs_backend_operation_duration_seconds_count\{backend="a",op="get"\} 2/);
  });

  it('names resilience failures: breaker open and timeout', async () => {
    const faulty = withFaults(new MemoryBlobStore({ name: 'r' }), { latencyMs: 100 });
    const store = withMetrics(withResilience(faulty, fast({ timeoutMs: 10, retry: { retries: 0 }, breaker: { failures: 1, halfOpenAfterMs: 10_000 } })));
    await assert.rejects(store.head('a'), BackendTimeoutError);
    await assert.rejects(store.head('a'), CircuitOpenError);
    assert.deepEqual(store.stats().errors, { timeout: 1, circuit_open: 1 });
  });
});
