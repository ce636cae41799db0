// In-memory BlobStore: for tests and as the reference behaviour of the contract. Copies data in
// and out, so callers can never alter stored bytes through a buffer they still hold.
import { BlobNotFoundError } from '../core/errors.ts';
import type { BlobInfo, BlobStore, BlobStoreCapabilities, GetOptions } from './blob-store.ts';
import { validateKey } from './keys.ts';

interface Entry {
  data: Uint8Array;
  modifiedAt: number;
}

export class MemoryBlobStore implements BlobStore {
  readonly name: string;
  readonly capabilities: BlobStoreCapabilities = { rangedReads: true, atomicPut: true, maxObjectSize: 2 ** 31 - 1 };
  readonly #objects = new Map<string, Entry>();

  constructor(options: { name: string }) {
    this.name = options.name;
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    validateKey(key);
    this.#objects.set(key, { data: new Uint8Array(data), modifiedAt: Date.now() });
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    validateKey(key);
    const entry = this.#objects.get(key);
    if (!entry) throw new BlobNotFoundError(key, this.name);
    if (!options.range) return new Uint8Array(entry.data);
    const { offset, length } = options.range;
    return entry.data.slice(offset, offset + length);
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    validateKey(key);
    const entry = this.#objects.get(key);
    return entry ? { key, size: entry.data.length, modifiedAt: entry.modifiedAt } : undefined;
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    this.#objects.delete(key);
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    const keys = [...this.#objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    for (const key of keys) {
      const entry = this.#objects.get(key);
      if (entry) yield { key, size: entry.data.length, modifiedAt: entry.modifiedAt };
    }
  }
}
