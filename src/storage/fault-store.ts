// Fault injection around any BlobStore: failing operations (always, by seeded probability, or
// after a byte budget — "disk full"), added latency, corrupted reads and a switchable outage.
// Tests use it to prove that failures surface cleanly and nothing stored is lost.
import { setTimeout as sleep } from 'node:timers/promises';
import { BackendError } from '../core/errors.ts';
import { passThrough, type BlobInfo, type BlobStore, type GetOptions, type OperationOptions } from './blob-store.ts';
import type { Operation } from './operations.ts';

export interface Faults {
  /** Probability (0..1) that an operation fails with a transient error, per operation kind. */
  errorRate?: Partial<Record<Operation, number>>;
  /** Seed for the error-rate PRNG, so a failing run can be replayed. */
  seed?: number;
  /** Added latency per operation, in ms. */
  latencyMs?: number;
  /** Flip one byte of every object returned by get. */
  corruptReads?: boolean;
  /** Every operation fails as if the backend were unreachable. */
  outage?: boolean;
  /** put fails with a non-retryable "disk full" once this many bytes were written. */
  capacityBytes?: number;
}

export interface FaultyStore extends BlobStore {
  /** Change faults at run time (e.g. start or end an outage). */
  readonly faults: Faults;
  /** Bytes accepted by put so far. */
  readonly bytesWritten: number;
}

export function withFaults(inner: BlobStore, faults: Faults = {}): FaultyStore {
  let state = (faults.seed ?? 1) >>> 0 || 1;
  const random = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
  let written = 0;
  const before = async (op: Operation, signal?: AbortSignal): Promise<void> => {
    // Injected latency ends early when the caller aborts, like a real request would.
    if (faults.latencyMs) await sleep(faults.latencyMs, undefined, signal ? { signal } : {});
    if (faults.outage) throw new BackendError(inner.name, op, 'backend unreachable (injected outage)', true);
    const rate = faults.errorRate?.[op] ?? 0;
    if (rate > 0 && random() < rate) throw new BackendError(inner.name, op, 'injected transient error', true);
  };
  return {
    ...passThrough(inner),
    name: inner.name,
    capabilities: inner.capabilities,
    faults,
    get bytesWritten() {
      return written;
    },
    async put(key: string, data: Uint8Array, options?: OperationOptions) {
      await before('put', options?.signal);
      if (faults.capacityBytes !== undefined && written + data.length > faults.capacityBytes) {
        throw new BackendError(inner.name, 'put', 'disk full', false);
      }
      await inner.put(key, data, options);
      written += data.length;
    },
    async get(key: string, options?: GetOptions) {
      await before('get', options?.signal);
      const data = await inner.get(key, options);
      if (faults.corruptReads && data.length > 0) data[data.length >> 1]! ^= 0x01;
      return data;
    },
    async head(key: string, options?: OperationOptions) {
      await before('head', options?.signal);
      return inner.head(key, options);
    },
    async delete(key: string, options?: OperationOptions) {
      await before('delete', options?.signal);
      return inner.delete(key, options);
    },
    async *list(prefix: string, options?: OperationOptions): AsyncIterable<BlobInfo> {
      await before('list', options?.signal);
      yield* inner.list(prefix, options);
    },
  };
}
