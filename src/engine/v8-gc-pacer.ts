// Threads that move large, short-lived buffers but allocate few JavaScript objects are rarely
// collected by V8 on its own: dead chunk buffers pile up as external memory (tens of MB per
// thread) before a collection runs. A young-generation collection after every few dozen MB frees
// the buffers that died young (about a millisecond); a full one every few hundred MB frees the rest.
// Full collections every 16 MB cost 20% of put throughput; this mix costs a few percent.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;

const MAJOR_EVERY = 8;

export class GcPacer {
  #since = 0;
  #minors = 0;
  readonly #every: number;

  constructor(everyBytes: number) {
    this.#every = everyBytes;
  }

  /** Count bytes handled; collect garbage once enough have passed. */
  processed(bytes: number): void {
    this.#since += bytes;
    if (this.#since < this.#every) return;
    this.#since = 0;
    if (++this.#minors % MAJOR_EVERY === 0) collect({ type: 'major' });
    else collect({ type: 'minor' });
  }
}
