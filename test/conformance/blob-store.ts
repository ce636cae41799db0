// ONE behavioural contract for every BlobStore: fs, memory, S3 (s3rver), Azure (Azurite), GCS (the
// fake server, or a real bucket), a remote storage node over gRPC, and the fault, resilience and
// metrics wrappers. Each store's test file calls blobStoreConformance with a factory.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlobNotFoundError, DcsError } from '../../src/core/errors.ts';
import type { BlobInfo, BlobStore } from '../../src/storage/blob-store.ts';
import { randomBytes } from '../helpers/data.ts';

export interface StoreUnderTest {
  store: BlobStore;
  cleanup(): Promise<void>;
}

async function keysOf(list: AsyncIterable<BlobInfo>): Promise<string[]> {
  const out: string[] = [];
  for await (const info of list) out.push(info.key);
  return out;
}

export function blobStoreConformance(label: string, factory: () => Promise<StoreUnderTest>): void {
  const withStore = (fn: (store: BlobStore) => Promise<void>) => async () => {
    const { store, cleanup } = await factory();
    try {
      await fn(store);
    } finally {
      await store.close?.();
      await cleanup();
    }
  };

  describe(`BlobStore conformance: ${label}`, () => {
    it('round-trips objects of 0, 1 and 4 MiB + 1 bytes', withStore(async (store) => {
      for (const size of [0, 1, 4 * 1024 * 1024 + 1]) {
        const data = randomBytes(size, size + 1);
        await store.put(`chunks/aa/obj-${size}`, data);
        assert.deepEqual(await store.get(`chunks/aa/obj-${size}`), data);
        assert.equal((await store.head(`chunks/aa/obj-${size}`))?.size, size);
      }
    }));

    it('put replaces an existing object', withStore(async (store) => {
      await store.put('k/one', new Uint8Array([1, 2, 3]));
      await store.put('k/one', new Uint8Array([9]));
      assert.deepEqual(await store.get('k/one'), new Uint8Array([9]));
    }));

    it('reads ranges: start, middle, end, past the end, zero length', withStore(async (store) => {
      const data = randomBytes(1000, 5);
      await store.put('r/x', data);
      assert.deepEqual(await store.get('r/x', { range: { offset: 0, length: 10 } }), data.subarray(0, 10));
      assert.deepEqual(await store.get('r/x', { range: { offset: 500, length: 100 } }), data.subarray(500, 600));
      assert.deepEqual(await store.get('r/x', { range: { offset: 990, length: 10 } }), data.subarray(990));
      assert.deepEqual(await store.get('r/x', { range: { offset: 995, length: 100 } }), data.subarray(995));
      assert.equal((await store.get('r/x', { range: { offset: 10, length: 0 } })).length, 0);
    }));

    it('reports absent objects: get throws BlobNotFoundError, head is undefined, delete is fine', withStore(async (store) => {
      await assert.rejects(store.get('chunks/00/missing'), (err: unknown) => err instanceof BlobNotFoundError && err.backend === store.name);
      assert.equal(await store.head('chunks/00/missing'), undefined);
      await store.delete('chunks/00/missing');
      await store.put('d/x', new Uint8Array([1]));
      await store.delete('d/x');
      await store.delete('d/x');
      assert.equal(await store.head('d/x'), undefined);
    }));

    it('lists keys under a prefix in ascending order with sizes', withStore(async (store) => {
      const keys = ['chunks/ab/2', 'chunks/ab/10', 'chunks/ac/1', 'chunks/a/1', 'other/x', 'chunks/ab/1'];
      for (const [i, k] of keys.entries()) await store.put(k, new Uint8Array(i));
      assert.deepEqual(await keysOf(store.list('chunks/ab/')), ['chunks/ab/1', 'chunks/ab/10', 'chunks/ab/2']);
      assert.deepEqual(await keysOf(store.list('chunks/')), ['chunks/a/1', 'chunks/ab/1', 'chunks/ab/10', 'chunks/ab/2', 'chunks/ac/1']);
      assert.deepEqual(await keysOf(store.list('')), [...keys].sort());
      assert.deepEqual(await keysOf(store.list('nothing/')), []);
      const sizes = new Map<string, number>();
      for await (const info of store.list('chunks/ab/')) sizes.set(info.key, info.size);
      assert.equal(sizes.get('chunks/ab/10'), 1);
    }));

    it('lists thousands of keys completely and in order', withStore(async (store) => {
      const keys: string[] = [];
      for (let i = 0; i < 2500; i++) keys.push(`chunks/${(i % 256).toString(16).padStart(2, '0')}/k${i}`);
      // Writers in parallel, bounded as the engine bounds them (2,500 sockets at once made the
      // local fake GCS server reset connections now and then; that is not what this test is about).
      let next = 0;
      const writer = async (): Promise<void> => {
        while (next < keys.length) await store.put(keys[next++]!, new Uint8Array([1]));
      };
      await Promise.all(Array.from({ length: 64 }, writer));
      const listed = await keysOf(store.list('chunks/'));
      assert.equal(listed.length, 2500);
      assert.deepEqual(listed, [...keys].sort());
    }));

    it('rejects hostile keys', withStore(async (store) => {
      for (const key of ['', '/abs', '../escape', 'a/../../b', 'a//b', 'a\\b', 'nul\0byte', 'a/./b']) {
        await assert.rejects(store.put(key, new Uint8Array([1])), DcsError, JSON.stringify(key));
        await assert.rejects(store.get(key), DcsError, JSON.stringify(key));
      }
    }));

    it('concurrent puts of one key leave one complete value', withStore(async (store) => {
      const values = Array.from({ length: 8 }, (_, i) => randomBytes(100_000, i + 100));
      await Promise.all(values.map((v) => store.put('c/same', v)));
      const got = await store.get('c/same');
      assert.ok(values.some((v) => Buffer.compare(Buffer.from(v), Buffer.from(got)) === 0));
    }));

    it('does not alias buffers: changing what was put or got leaves the store unchanged', withStore(async (store) => {
      const data = new Uint8Array([1, 2, 3]);
      await store.put('a/x', data);
      data[0] = 99;
      const got = await store.get('a/x');
      got[1] = 99;
      assert.deepEqual(await store.get('a/x'), new Uint8Array([1, 2, 3]));
    }));
  });
}
