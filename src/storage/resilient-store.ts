// Resilience around one backend, as a BlobStore wrapper: retry with exponential backoff and full
// jitter (transient errors only) → circuit breaker → concurrency limit with a queue → per-attempt
// timeout → the backend. The policies are cockatiel's (retry, circuitBreaker, bulkhead, timeout):
// backoff and breaker state machines are easy to get subtly wrong, and cockatiel's are tested,
// small, dependency-free and pass AbortSignals through every layer. See docs/resilience.md.
// The limit sits outside the timeout, where STYLE.md's list has it inside, on purpose: time spent
// in our own queue must not count against the backend (a deep queue of healthy requests would
// time out and trip the breaker), and an attempt that times out still frees its slot at once.
// The metrics wrapper goes around this one (openBackends in repository/stores.ts).
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  fullJitterGenerator,
  handleWhen,
  retry,
  timeout,
} from 'cockatiel';
import type { BulkheadPolicy, CircuitBreakerPolicy, RetryPolicy, TimeoutPolicy } from 'cockatiel';
import { z } from 'zod';
import { BackendError, ConfigError } from '../core/errors.ts';
import { passThrough, type BlobInfo, type BlobStore, type GetOptions, type OperationOptions } from './blob-store.ts';
import { LatencyTracker } from './hedged-read.ts';
import { BackendOverloadedError, BackendTimeoutError, CircuitOpenError, type Operation } from './operations.ts';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().min(0);

/** The `resilience:` section of dcs.yaml (all fields optional; defaults below). */
export const resilienceSchema = z.strictObject({
  /** Per-attempt timeout. Objects are at most one chunk, so 30 s is slow even on a poor link. */
  timeoutMs: positiveInt.default(30_000),
  retry: z
    .strictObject({
      /** Retries after the first attempt (so 4 means at most 5 attempts). */
      retries: nonNegativeInt.max(20).default(4),
      initialDelayMs: positiveInt.default(100),
      maxDelayMs: positiveInt.default(10_000),
    })
    .prefault({}),
  breaker: z
    .strictObject({
      /** Consecutive transient failures that open the breaker. */
      failures: positiveInt.default(5),
      /** How long it stays open before one probe call may test the backend. */
      halfOpenAfterMs: positiveInt.default(10_000),
    })
    .prefault({}),
  concurrency: z
    .strictObject({
      /** Calls running at once against this backend. */
      limit: positiveInt.default(16),
      /** Calls waiting for a slot; beyond this a call fails with a retryable overload error. */
      queue: nonNegativeInt.default(10_000),
    })
    .prefault({}),
});

/** What dcs.yaml (or a caller) may give: any subset. */
export type ResilienceConfig = z.input<typeof resilienceSchema>;
/** Fully resolved options. */
export type ResilienceOptions = z.output<typeof resilienceSchema>;

export const DEFAULT_RESILIENCE: ResilienceOptions = resilienceSchema.parse({});

/** Validate a resilience config and fill in defaults; `where` prefixes error messages. */
export function resolveResilience(config: ResilienceConfig | undefined = {}, where = 'resilience'): ResilienceOptions {
  const parsed = resilienceSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${[where, ...issue.path.map(String)].join('.')}: ${issue.message}`);
  }
  if (parsed.data.retry.maxDelayMs < parsed.data.retry.initialDelayMs) {
    throw new ConfigError(`${where}.retry.maxDelayMs must be at least initialDelayMs`);
  }
  return parsed.data;
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

export interface ResilientStore extends BlobStore {
  readonly options: ResilienceOptions;
  /** Breaker state of this backend. */
  readonly breakerState: BreakerState;
  /**
   * False while the breaker is open and not yet due for a probe: placement should skip this
   * backend for writes (reads may still try it last). True when closed, half-open, or when the
   * open period has elapsed (the next call is the probe).
   */
  isAvailable(): boolean;
  /** Latencies of successful gets (whole operation, retries included): the hedge delay source. */
  readonly latency: LatencyTracker;
  /** The cockatiel policies, for events (onRetry, onBreak, ...) and introspection. */
  readonly policies: {
    readonly retry: RetryPolicy;
    readonly breaker: CircuitBreakerPolicy;
    readonly bulkhead: BulkheadPolicy;
    readonly timeout: TimeoutPolicy;
  };
}

const isTransient = (err: unknown): boolean => err instanceof BackendError && err.retryable;

export function withResilience(inner: BlobStore, config?: ResilienceConfig): ResilientStore {
  const options = resolveResilience(config);
  const backend = inner.name;

  // Retry only transient backend errors. Never: BlobNotFoundError, UsageError, non-retryable
  // BackendErrors (disk full, auth), the caller's abort — nor an open breaker (that must fail fast).
  const retryPolicy = retry(
    handleWhen((err) => isTransient(err) && !(err instanceof CircuitOpenError)),
    {
      maxAttempts: options.retry.retries,
      backoff: new ExponentialBackoff({
        generator: fullJitterGenerator,
        initialDelay: options.retry.initialDelayMs,
        maxDelay: options.retry.maxDelayMs,
      }),
    },
  );
  // Only transient failures say the backend is unhealthy; a missing object or a full local queue
  // does not.
  const breakerPolicy = circuitBreaker(
    handleWhen((err) => isTransient(err) && !(err instanceof BackendOverloadedError)),
    { halfOpenAfter: options.breaker.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.breaker.failures) },
  );
  // The limiter sits inside retry (a backoff never holds a slot) and outside the timeout (time
  // spent queueing is not blamed on the backend).
  const bulkheadPolicy = bulkhead(options.concurrency.limit, options.concurrency.queue);
  // Not aborted once an operation returns: every operation here hands back a finished result, and
  // an abort after the fact destroys the HTTP connection it used instead of returning it to the
  // keep-alive pool (a storage node saw a new TCP connection per object).
  const timeoutPolicy = timeout(options.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });

  let openedAt = 0;
  breakerPolicy.onBreak(() => {
    openedAt = Date.now();
  });

  /** One attempt through breaker → limiter → timeout, with cockatiel's errors turned into ours. */
  const attempt = async <T>(op: Operation, fn: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> => {
    try {
      return await breakerPolicy.execute(async ({ signal: breakerSignal }) => {
        try {
          return await bulkheadPolicy.execute(
            ({ signal: slotSignal }) => timeoutPolicy.execute(({ signal: attemptSignal }) => fn(attemptSignal), slotSignal),
            breakerSignal,
          );
        } catch (err) {
          // Translated inside the breaker, so that it counts timeouts as failures.
          if (err instanceof TaskCancelledError && !breakerSignal.aborted) throw new BackendTimeoutError(backend, op, options.timeoutMs);
          if (err instanceof BulkheadRejectedError) {
            throw new BackendOverloadedError(backend, op, options.concurrency.limit, options.concurrency.queue);
          }
          throw err;
        }
      }, signal);
    } catch (err) {
      if (err instanceof BrokenCircuitError) throw new CircuitOpenError(backend, op);
      throw err;
    }
  };

  const run = async <T>(op: Operation, fn: (signal: AbortSignal) => Promise<T>, callerSignal?: AbortSignal): Promise<T> => {
    try {
      return await retryPolicy.execute(({ signal }) => attempt(op, fn, signal), callerSignal);
    } catch (err) {
      // The caller gave up: report their reason, not cockatiel's cancellation error.
      if (callerSignal?.aborted) throw callerSignal.reason;
      throw err;
    }
  };

  const latency = new LatencyTracker();

  const stateName = (): BreakerState => {
    switch (breakerPolicy.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.Open:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return 'isolated';
    }
  };

  return {
    // init (`dcs init` creates the bucket/container/directory), health checks and close go
    // straight to the store: they are not guarded by retry, breaker or limit.
    ...passThrough(inner),
    name: backend,
    capabilities: inner.capabilities,
    options,
    latency,
    policies: { retry: retryPolicy, breaker: breakerPolicy, bulkhead: bulkheadPolicy, timeout: timeoutPolicy },
    get breakerState() {
      return stateName();
    },
    isAvailable() {
      const state = stateName();
      if (state === 'closed' || state === 'half-open') return true;
      if (state === 'open') return Date.now() - openedAt >= options.breaker.halfOpenAfterMs;
      return false;
    },
    put(key: string, data: Uint8Array, opts?: OperationOptions) {
      return run('put', (signal) => inner.put(key, data, { signal }), opts?.signal);
    },
    async get(key: string, opts?: GetOptions) {
      const start = performance.now();
      const range = opts?.range;
      const data = await run('get', (signal) => inner.get(key, range ? { range, signal } : { signal }), opts?.signal);
      latency.record(performance.now() - start);
      return data;
    },
    head(key: string, opts?: OperationOptions) {
      return run('head', (signal) => inner.head(key, { signal }), opts?.signal);
    },
    delete(key: string, opts?: OperationOptions) {
      return run('delete', (signal) => inner.delete(key, { signal }), opts?.signal);
    },
    // Each step of the listing is one guarded call. A listing that fails part-way is restarted and
    // resumed after the last key already yielded (lists are in ascending key order), so the
    // consumer sees every key once.
    async *list(prefix: string, opts?: OperationOptions): AsyncIterable<BlobInfo> {
      let after: string | undefined;
      let current: { iterator: AsyncIterator<BlobInfo>; controller: AbortController } | undefined;
      const drop = (): void => {
        const c = current;
        current = undefined;
        if (!c) return;
        c.controller.abort();
        c.iterator.return?.().catch(() => {});
      };
      const step = async (signal: AbortSignal): Promise<IteratorResult<BlobInfo>> => {
        if (!current) {
          const controller = new AbortController();
          current = { controller, iterator: inner.list(prefix, { signal: controller.signal })[Symbol.asyncIterator]() };
        }
        const c = current;
        // A timed-out step kills its listing; the retry starts a fresh one.
        const onAbort = (): void => {
          if (current === c) drop();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        try {
          for (;;) {
            const r = await c.iterator.next();
            if (r.done || after === undefined || r.value.key > after) return r;
          }
        } catch (err) {
          if (current === c) drop();
          throw err;
        } finally {
          signal.removeEventListener('abort', onAbort);
        }
      };
      try {
        for (;;) {
          const r = await run('list', step, opts?.signal);
          if (r.done) return;
          after = r.value.key;
          yield r.value;
        }
      } finally {
        drop();
      }
    },
  };
}
