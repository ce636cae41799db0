// Which backends hold a chunk: the first N in its rendezvous ranking (N = the replica count).
import { ConfigError } from '../core/errors.ts';
import type { BlobStore } from './blob-store.ts';
import { rankNodes } from './rendezvous.ts';

export interface Backend {
  name: string;
  store: BlobStore;
  weight: number;
}

export class Placement {
  readonly backends: readonly Backend[];
  readonly #byName: Map<string, Backend>;
  /**
   * Health of each backend as last observed (storage nodes are health-checked): backends known to
   * be down rank after all others, so writes skip them and reads try them last — but they stay
   * in the ranking as a last resort, and their copies are found again when they return.
   */
  readonly #availability: ((backendName: string) => boolean)[] = [];

  /** Add a source of availability (storage-node health checks, circuit breakers). */
  addAvailability(isAvailable: (backendName: string) => boolean): void {
    this.#availability.push(isAvailable);
  }

  isUp(backendName: string): boolean {
    return this.#availability.every((f) => f(backendName));
  }

  constructor(backends: Backend[]) {
    if (backends.length === 0) throw new ConfigError('at least one backend is required');
    this.#byName = new Map();
    for (const b of backends) {
      if (this.#byName.has(b.name)) throw new ConfigError(`duplicate backend name ${JSON.stringify(b.name)}`);
      if (!(b.weight > 0) || !Number.isFinite(b.weight)) throw new ConfigError(`backend ${b.name}: weight must be a positive number`);
      this.#byName.set(b.name, b);
    }
    this.backends = [...backends];
  }

  byName(name: string): Backend | undefined {
    return this.#byName.get(name);
  }

  /** Every backend, best first, for this chunk. */
  rank(chunkId: string): Backend[] {
    if (this.backends.length === 1) return [this.backends[0]!];
    const ranked = rankNodes(chunkId, this.backends);
    const down = ranked.filter((b) => !this.isUp(b.name));
    return down.length === 0 ? ranked : [...ranked.filter((b) => this.isUp(b.name)), ...down];
  }

  /** The first n distinct backends for this chunk. */
  targets(chunkId: string, n: number): Backend[] {
    return this.rank(chunkId).slice(0, n);
  }
}
