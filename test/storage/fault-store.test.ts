import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackendError } from '../../src/core/errors.ts';
import { withFaults } from '../../src/storage/fault-store.ts';
import { MemoryBlobStore } from '../../src/storage/memory-store.ts';
import { blobStoreConformance } from '../conformance/blob-store.ts';

// With no faults configured the wrapper must be invisible.
blobStoreConformance('fault wrapper (no faults)', async () => ({ store: withFaults(new MemoryBlobStore({ name: 'mem' })), cleanup: async () => {} }));

describe('fault injection', () => {
  it('fails puts with a non-retryable "disk full" past its capacity', async () => {
    const store = withFaults(new MemoryBlobStore({ name: 'small' }), { capacityBytes: 10 });
    await store.put('a', new Uint8Array(8));
    await assert.rejects(store.put('b', new Uint8Array(8)), (e: unknown) => e instanceof BackendError && !e.retryable && /disk full/.test(e.message));
    assert.equal(await store.head('b'), undefined);
  });

  it('switches outages on and off at run time', async () => {
    const store = withFaults(new MemoryBlobStore({ name: 'flaky' }));
    await store.put('a', new Uint8Array([1]));
    store.faults.outage = true;
    await assert.rejects(store.get('a'), (e: unknown) => e instanceof BackendError && e.retryable);
    store.faults.outage = false;
    assert.deepEqual(await store.get('a'), new Uint8Array([1]));
  });

  it('injects errors at the configured rate, reproducibly', async () => {
    const count = async (): Promise<number> => {
      const store = withFaults(new MemoryBlobStore({ name: 'x' }), { errorRate: { head: 0.2 }, seed: 42 });
      let failed = 0;
      for (let i = 0; i < 2000; i++) await store.head(`k${i}`).catch(() => failed++);
      return failed;
    };
    const a = await count();
    assert.equal(a, await count());
    assert.ok(a > 300 && a < 500, `${a} of 2000`);
  });

  it('corrupts reads without touching the stored object', async () => {
    const inner = new MemoryBlobStore({ name: 'x' });
    const store = withFaults(inner, { corruptReads: true });
    await store.put('a', new Uint8Array([0, 0, 0]));
    assert.deepEqual(await store.get('a'), new Uint8Array([0, 1, 0]));
    assert.deepEqual(await inner.get('a'), new Uint8Array([0, 0, 0]));
  });
});
