// Hedged reads: when a chunk has several copies, ask the first one; if it has not answered within a
// delay (the p95 of recent reads, from a LatencyTracker), ask the next one too, and take whichever
// answers first. The losers are aborted. This cuts tail latency caused by one slow backend without
// doubling the load: only the slowest ~5% of reads send a second request.

/** Rolling window of recent latencies (ms); answers percentiles for the hedge delay. */
export class LatencyTracker {
  readonly #samples: number[] = [];
  readonly #window: number;
  readonly #minSamples: number;
  #next = 0;

  /** window: how many recent samples count; minSamples: below this, percentiles are unknown. */
  constructor(options: { window?: number; minSamples?: number } = {}) {
    this.#window = Math.max(1, options.window ?? 200);
    this.#minSamples = Math.max(1, options.minSamples ?? 10);
  }

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.#samples.length < this.#window) this.#samples.push(ms);
    else this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.#window;
  }

  /** Samples currently in the window. */
  get count(): number {
    return this.#samples.length;
  }

  /** Nearest-rank percentile (p in 0..1) of the window, or undefined with too few samples. */
  percentile(p: number): number | undefined {
    if (this.#samples.length < this.#minSamples) return undefined;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
    return sorted[rank - 1];
  }

  p95(): number | undefined {
    return this.percentile(0.95);
  }

  /** The delay before hedging: p95 of the window, or fallbackMs until enough samples exist. */
  hedgeDelayMs(fallbackMs = 100): number {
    return this.p95() ?? fallbackMs;
  }
}

export interface HedgedReadOptions {
  /** Start the next candidate when the ones in flight have not answered after this long. */
  delayMs: number;
  /** Abort everything (the caller gave up). */
  signal?: AbortSignal;
}

/** A read of one copy; it must stop work when its signal aborts. */
export type ReadCandidate<T> = (signal: AbortSignal) => Promise<T>;

/**
 * Read from the first candidate; every delayMs without an answer, start the next one as well; a
 * failure starts the next one at once. The first success wins and every other attempt is aborted.
 * When all fail, rejects with an AggregateError whose `errors` are in candidate order.
 */
export function hedgedRead<T>(candidates: readonly ReadCandidate<T>[], options: HedgedReadOptions): Promise<T> {
  const { delayMs, signal } = options;
  if (candidates.length === 0) return Promise.reject(new AggregateError([], 'hedged read: no copies to read'));
  if (signal?.aborted) return Promise.reject(signal.reason);

  return new Promise<T>((resolve, reject) => {
    const controllers: AbortController[] = [];
    const errors: unknown[] = [];
    let started = 0;
    let failed = 0;
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const abortAll = (except: number, reason: unknown): void => {
      controllers.forEach((c, i) => {
        if (i !== except) c.abort(reason);
      });
    };
    const finish = (): void => {
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
    };
    const onCallerAbort = (): void => {
      if (settled) return;
      finish();
      abortAll(-1, signal?.reason);
      reject(signal?.reason);
    };
    const startNext = (): void => {
      clearTimeout(timer);
      if (settled || started >= candidates.length) return;
      const index = started++;
      const controller = new AbortController();
      controllers[index] = controller;
      let attempt: Promise<T>;
      try {
        attempt = Promise.resolve(candidates[index]!(controller.signal));
      } catch (err) {
        attempt = Promise.reject(err);
      }
      attempt.then(
        (value) => {
          if (settled) return;
          finish();
          abortAll(index, new DOMException('another copy answered first', 'AbortError'));
          resolve(value);
        },
        (err: unknown) => {
          if (settled) return;
          errors[index] = err;
          failed++;
          if (failed === candidates.length) {
            finish();
            const why = errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
            reject(new AggregateError(errors, `all ${candidates.length} copies failed: ${why}`));
          } else {
            startNext();
          }
        },
      );
      if (started < candidates.length) timer = setTimeout(startNext, Math.max(0, delayMs));
    };

    signal?.addEventListener('abort', onCallerAbort, { once: true });
    startNext();
  });
}
