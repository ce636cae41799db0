// Paces background reads (scrub) to a byte rate, so `verify --deep` on a large repository does not
// starve the backends that serve users. Callers reserve bytes before reading; reservations are
// spaced in time, so concurrent readers share the rate.
import { setTimeout as sleep } from 'node:timers/promises';

export class ByteRateLimiter {
  readonly #bytesPerMs: number;
  #nextFree = 0;

  constructor(bytesPerSecond: number) {
    if (!(bytesPerSecond > 0)) throw new RangeError('rate must be positive');
    this.#bytesPerMs = bytesPerSecond / 1000;
  }

  /** Wait until `bytes` may be read without exceeding the rate. */
  async take(bytes: number): Promise<void> {
    const now = performance.now();
    const start = Math.max(now, this.#nextFree);
    this.#nextFree = start + bytes / this.#bytesPerMs;
    if (start > now) await sleep(start - now);
  }
}
