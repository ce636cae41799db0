// Hedged reads: when a chunk has several copies (replicas, or more erasure shards than it needs),
// ask the first ones; if they have not answered within a delay (the p95 of recent reads, from a
// LatencyTracker), ask one more too, and take whichever answer first. The losers are aborted. This
// cuts tail latency caused by one slow backend without doubling the load: only the slowest ~5% of
// reads send an extra request. hedgedGather is the one loop; hedgedRead is its any-copy form.

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

export interface HedgedGatherOptions extends HedgedReadOptions {
  /** Distinct pieces needed: 1 for a replicated object (any copy will do), k for erasure shards. Default 1. */
  wanted?: number;
  /**
   * The piece candidate i reads (default i: every candidate its own piece). Several candidates
   * may hold the same piece; one whose piece is already in hand is not started.
   */
  pieceOf?: (candidate: number) => number;
}

/** A read of one copy; it must stop work when its signal aborts. */
export type ReadCandidate<T> = (signal: AbortSignal) => Promise<T>;

export interface Gathered<T> {
  /** Successful reads in the order they arrived, one per piece, at most `wanted`. */
  got: { candidate: number; piece: number; value: T }[];
  /** Failed reads in the order they failed; reads aborted because enough had arrived are not failures. */
  failed: { candidate: number; error: unknown }[];
}

/**
 * The one hedging loop, for replicas and erasure shards alike. Start `wanted` candidates at once
 * (in order); a failure starts the next candidate at once; and whenever delayMs passes after the
 * last start, one more is started as well (the hedge). Settles when `wanted` distinct pieces are
 * in hand — every read still in flight is then aborted — or when no read is left to start or
 * wait for (then `got` is short). Rejects only when the caller's signal aborts.
 */
export function hedgedGather<T>(candidates: readonly ReadCandidate<T>[], options: HedgedGatherOptions): Promise<Gathered<T>> {
  const { delayMs, signal } = options;
  const wanted = Math.max(1, options.wanted ?? 1);
  const pieceOf = options.pieceOf ?? ((candidate: number) => candidate);
  if (signal?.aborted) return Promise.reject(signal.reason);

  return new Promise<Gathered<T>>((resolve, reject) => {
    const got: Gathered<T>['got'] = [];
    const failed: Gathered<T>['failed'] = [];
    const inHand = new Set<number>();
    const running = new Map<number, AbortController>();
    let next = 0;
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const settle = (abortReason: unknown): void => {
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
      for (const controller of running.values()) controller.abort(abortReason);
    };
    const onCallerAbort = (): void => {
      if (settled) return;
      settle(signal?.reason);
      reject(signal?.reason);
    };
    const check = (): void => {
      if (settled || (inHand.size < wanted && (running.size > 0 || next < candidates.length))) return;
      // Reads are usually all done by now; a DOMException costs a stack trace, so only when needed.
      settle(running.size > 0 ? new DOMException('enough copies answered', 'AbortError') : undefined);
      resolve({ got, failed });
    };
    /** Start the next candidate whose piece is not in hand yet, if any. */
    const startNext = (): void => {
      while (next < candidates.length) {
        const index = next++;
        const piece = pieceOf(index);
        if (inHand.has(piece)) continue;
        const controller = new AbortController();
        running.set(index, controller);
        let attempt: Promise<T>;
        try {
          attempt = Promise.resolve(candidates[index]!(controller.signal));
        } catch (err) {
          attempt = Promise.reject(err);
        }
        attempt.then(
          (value) => {
            running.delete(index);
            if (settled) return;
            if (!inHand.has(piece)) {
              inHand.add(piece);
              got.push({ candidate: index, piece, value });
            }
            check();
          },
          (error: unknown) => {
            running.delete(index);
            if (settled) return;
            failed.push({ candidate: index, error });
            startNext();
            armHedge();
            check();
          },
        );
        return;
      }
    };

    /** The hedge: delayMs after the last start, start one more while any is left. */
    const armHedge = (): void => {
      clearTimeout(timer);
      if (!settled && next < candidates.length) timer = setTimeout(hedge, Math.max(0, delayMs));
    };
    const hedge = (): void => {
      if (settled) return;
      startNext();
      armHedge();
    };

    signal?.addEventListener('abort', onCallerAbort, { once: true });
    for (let i = 0; i < wanted && next < candidates.length; i++) startNext();
    armHedge();
    check();
  });
}

/**
 * Read from the first candidate; every delayMs without an answer, start the next one as well; a
 * failure starts the next one at once. The first success wins and every other attempt is aborted.
 * When all fail, rejects with an AggregateError whose `errors` are in candidate order.
 */
export async function hedgedRead<T>(candidates: readonly ReadCandidate<T>[], options: HedgedReadOptions): Promise<T> {
  if (candidates.length === 0) throw new AggregateError([], 'hedged read: no copies to read');
  const { got, failed } = await hedgedGather(candidates, options);
  if (got[0]) return got[0].value;
  const errors: unknown[] = [];
  for (const f of failed) errors[f.candidate] = f.error;
  const why = errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
  throw new AggregateError(errors, `all ${candidates.length} copies failed: ${why}`);
}
