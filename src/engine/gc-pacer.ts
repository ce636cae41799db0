// Threads that move large, short-lived buffers but allocate few JavaScript objects are rarely
// collected by V8 on its own: dead chunk buffers pile up as external memory (tens of MB per
// thread) before a collection runs. Collecting after every few dozen MB handled keeps memory at
// the working set. Each thread's heap is small, so a collection costs about a millisecond.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

export class GcPacer {
  #since = 0;
  readonly #every: number;

  constructor(everyBytes: number) {
    this.#every = everyBytes;
  }

  /** Count bytes handled; collect garbage once enough have passed. */
  processed(bytes: number): void {
    this.#since += bytes;
    if (this.#since >= this.#every) {
      this.#since = 0;
      collect();
    }
  }
}
