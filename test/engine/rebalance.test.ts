// Rebalance after adding or removing a backend: copies end up exactly where the rendezvous
// ranking names, data stays readable, and adding one backend to three moves only about a
// replicas/4 share of the copies — all of them onto the new backend.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { download } from '../../src/engine/download.ts';
import { rebalance } from '../../src/engine/rebalance.ts';
import { upload } from '../../src/engine/upload.ts';
import { verify } from '../../src/engine/verify.ts';
import { MemoryBlobStore } from '../../src/storage/memory-store.ts';
import { Placement } from '../../src/storage/placement.ts';
import { collect, pieces, randomBytes } from '../helpers/data.ts';
import { testEngine } from '../helpers/engine.ts';

const backend = (store: MemoryBlobStore) => ({ name: store.name, store, weight: 1 });

describe('rebalance', () => {
  it('moves a minimal share of copies onto a new backend, and everything off a removed one', async () => {
    const stores = [0, 1, 2, 3].map((i) => new MemoryBlobStore({ name: `b${i}` }));
    const t = await testEngine({ stores: stores.slice(0, 3), replicas: 2 });
    try {
      const data = randomBytes(3_000_000, 9);
      await upload(t.ctx, pieces(data), { name: 'f' });
      const chunks = (await verify(t.ctx)).chunks;
      assert.ok(chunks > 100);

      // Add b3: only copies whose ranking now names b3 move, and only onto b3.
      t.ctx.placement = new Placement(stores.map(backend));
      const dry = await rebalance(t.ctx, { dryRun: true });
      const r = await rebalance(t.ctx);
      assert.equal(r.copiesAdded, dry.copiesAdded);
      const share = r.copiesAdded / (chunks * 2);
      // Expected share: 2 of 4 ranks → each chunk has b3 in its top two with probability 1/2, so
      // copies moved ≈ chunks / 2 = a quarter of all copies.
      assert.ok(share > 0.15 && share < 0.35, `moved ${(share * 100).toFixed(1)}% of copies`);
      assert.equal(r.copiesRemoved, r.copiesAdded);
      assert.equal((await stores[3]!.list('chunks/')[Symbol.asyncIterator]().next()).done, false);
      let onB3 = 0;
      for await (const _ of stores[3]!.list('chunks/')) onB3++;
      assert.equal(onB3, r.copiesAdded, 'every moved copy went to the new backend');
      assert.equal((await rebalance(t.ctx)).inPlace, chunks, 'a second run finds nothing to move');

      // Remove b0: its copies move to the others; reads never need b0 again.
      t.ctx.placement = new Placement(stores.slice(1).map(backend));
      const removed = await rebalance(t.ctx);
      assert.ok(removed.forgotten > 0);
      assert.equal(removed.failed, 0);
      const v = await verify(t.ctx, { deep: true });
      assert.equal(v.underReplicated + v.missing + v.lost + v.unreachable, 0);
      assert.deepEqual(await collect((await download(t.ctx, 'f')).body), data);
    } finally {
      await t.close();
    }
  });

  it('moves one shard per affected chunk onto a new backend for erasure-coded chunks', async () => {
    const stores = Array.from({ length: 7 }, (_, i) => new MemoryBlobStore({ name: `e${i}` }));
    const t = await testEngine({ stores: stores.slice(0, 6), erasure: { data: 4, parity: 2, successThreshold: 6, repairThreshold: 5 } });
    try {
      const data = randomBytes(2_000_000, 21);
      await upload(t.ctx, pieces(data), { name: 'f' });
      const chunks = (await verify(t.ctx)).chunks;
      t.ctx.placement = new Placement(stores.map(backend));
      const r = await rebalance(t.ctx);
      assert.equal(r.failed, 0);
      const share = r.copiesAdded / (chunks * 6);
      // A chunk's six ranks include the new backend with probability 6/7: one shard of six moves.
      assert.ok(share > 0.08 && share < 0.22, `moved ${(share * 100).toFixed(1)}% of shards`);
      let onNew = 0;
      for await (const _ of stores[6]!.list('chunks/')) onNew++;
      assert.equal(onNew, r.copiesAdded);
      const v = await verify(t.ctx, { deep: true });
      assert.equal(v.missing + v.corrupt + v.lost + v.underReplicated, 0);
      assert.deepEqual(await collect((await download(t.ctx, 'f')).body), data);
      assert.equal((await rebalance(t.ctx)).inPlace, chunks);
    } finally {
      await t.close();
    }
  });
});
