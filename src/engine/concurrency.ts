// Bounded, pull-based concurrency primitives for the upload and download pipelines: nothing is
// read from a source faster than the slowest stage consumes it, so memory stays bounded by the
// configured number of in-flight items, never by the size of the input.

/** A counting semaphore. */
export class Semaphore {
  #available: number;
  readonly #waiters: (() => void)[] = [];

  constructor(permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError(`permits must be a positive integer, got ${permits}`);
    this.#available = permits;
  }

  async acquire(): Promise<void> {
    if (this.#available > 0) {
      this.#available--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#available++;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}

/**
 * Map `fn` over `source` with at most `concurrency` calls in flight, yielding results in source
 * order (read-ahead). The source is pulled only when a slot is free. On error, in-flight work is
 * awaited (so nothing runs detached) and the first error is thrown.
 */
export async function* orderedMap<T, U>(
  source: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  fn: (item: T, index: number) => Promise<U>,
): AsyncGenerator<U> {
  const pending: Promise<U>[] = [];
  const iterator = (Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]()) as
    | AsyncIterator<T>
    | Iterator<T>;
  let index = 0;
  let done = false;
  try {
    while (true) {
      while (!done && pending.length < concurrency) {
        const next = await iterator.next();
        if (next.done) {
          done = true;
          break;
        }
        const p = fn(next.value, index++);
        // Avoid unhandled-rejection noise for results not yet awaited; the rejection is seen when awaited.
        p.catch(() => {});
        pending.push(p);
      }
      const head = pending.shift();
      if (head === undefined) return;
      yield await head;
    }
  } finally {
    await Promise.allSettled(pending);
    if (!done) await iterator.return?.();
  }
}

/** Collects tasks started in the background and surfaces their first failure. */
export class TaskGroup {
  readonly #running = new Set<Promise<void>>();
  #error: unknown;
  #failed = false;

  add(task: Promise<void>): void {
    const tracked = task.then(
      () => {
        this.#running.delete(tracked);
      },
      (err: unknown) => {
        this.#running.delete(tracked);
        if (!this.#failed) {
          this.#failed = true;
          this.#error = err;
        }
      },
    );
    this.#running.add(tracked);
  }

  /** Throws the first failure seen so far, if any. */
  check(): void {
    if (this.#failed) throw this.#error;
  }

  get size(): number {
    return this.#running.size;
  }

  /** Wait for everything started so far; throws the first failure. */
  async wait(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
    this.check();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
