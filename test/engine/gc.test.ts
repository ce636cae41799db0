// rm + gc reclaim exactly the chunks nothing references, never one a version or a running upload needs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { download } from '../../src/engine/download.ts';
import { gc } from '../../src/engine/gc.ts';
import { remove } from '../../src/engine/remove.ts';
import { upload } from '../../src/engine/upload.ts';
import { verify } from '../../src/engine/verify.ts';
import { chunkKey } from '../../src/storage/blob-store.ts';
import { collect, pieces, randomBytes } from '../helpers/data.ts';
import { testEngine } from '../helpers/engine.ts';

async function objectCount(t: Awaited<ReturnType<typeof testEngine>>): Promise<number> {
  let n = 0;
  for (const s of t.stores) for await (const _ of s.list('chunks/')) n++;
  return n;
}

describe('gc', () => {
  it('reclaims the chunks of a removed file and keeps shared ones', async () => {
    const t = await testEngine();
    try {
      const shared = randomBytes(200_000, 1);
      const own = randomBytes(200_000, 2);
      const a = new Uint8Array([...shared, ...own]);
      await upload(t.ctx, pieces(a), { name: 'a' });
      await upload(t.ctx, pieces(shared), { name: 'b' });
      const before = await objectCount(t);
      await remove(t.ctx, 'a');
      const r = await gc(t.ctx);
      assert.ok(r.chunksDeleted > 0);
      assert.ok(r.bytesFreed > 150_000, `freed ${r.bytesFreed}`);
      assert.equal(await objectCount(t), before - r.chunksDeleted);
      assert.deepEqual(await collect((await download(t.ctx, 'b')).body), shared);
      assert.equal((await verify(t.ctx, { deep: true })).lost, 0);
      assert.equal((await gc(t.ctx)).chunksDeleted, 0, 'a second gc finds nothing');
    } finally {
      await t.close();
    }
  });

  it('keeps chunks an older version still references', async () => {
    const t = await testEngine();
    try {
      const v1 = randomBytes(300_000, 3);
      await upload(t.ctx, pieces(v1), { name: 'f' });
      await upload(t.ctx, pieces(randomBytes(300_000, 4)), { name: 'f' });
      await remove(t.ctx, 'f', { version: 2 });
      await gc(t.ctx);
      assert.deepEqual(await collect((await download(t.ctx, 'f', { version: 1 })).body), v1);
    } finally {
      await t.close();
    }
  });

  it('never deletes chunks of an upload in progress, and reclaims them once it is dead', async () => {
    let now = 1_000_000;
    const t = await testEngine({ now: () => now });
    try {
      const data = randomBytes(300_000, 5);
      // An upload whose source stalls halfway: its first chunks are written and claimed, not committed.
      let release!: () => void;
      const stalled = new Promise<void>((r) => (release = r));
      async function* source(): AsyncGenerator<Uint8Array> {
        yield data.subarray(0, 150_000);
        await stalled;
        yield data.subarray(150_000);
      }
      const pending = upload(t.ctx, source(), { name: 'slow' });
      await new Promise((r) => setTimeout(r, 100));
      const r1 = await gc(t.ctx);
      assert.equal(r1.chunksDeleted, 0);
      assert.equal(r1.orphansDeleted, 0);
      release();
      await pending;
      assert.deepEqual(await collect((await download(t.ctx, 'slow')).body), data);

      // A crashed upload: session started, chunks written, never committed nor aborted.
      const { sessionId } = await t.ctx.metadata.beginUpload('crashed');
      const id = 'ab'.repeat(32);
      await t.ctx.metadata.claimChunks(sessionId, [id]);
      await t.stores[0]!.put(chunkKey(id), new Uint8Array(100));
      assert.equal((await gc(t.ctx)).chunksDeleted, 0, 'a live session protects its chunks');
      now += 3_600_000;
      const r2 = await gc(t.ctx);
      assert.equal(r2.sessionsExpired, 1);
      assert.equal(r2.chunksDeleted, 1);
      assert.equal(await t.stores[0]!.head(chunkKey(id)), undefined);
    } finally {
      await t.close();
    }
  });

  it('deletes orphaned objects that metadata does not know', async () => {
    const t = await testEngine();
    try {
      await upload(t.ctx, pieces(randomBytes(100_000, 6)), { name: 'keep' });
      const orphan = 'cd'.repeat(32);
      await t.stores[0]!.put(chunkKey(orphan), new Uint8Array(1234));
      assert.equal((await verify(t.ctx)).orphans, 1);
      const r = await gc(t.ctx);
      assert.equal(r.orphansDeleted, 1);
      assert.equal(r.orphanBytes, 1234);
      assert.equal((await verify(t.ctx)).orphans, 0);
      assert.equal((await verify(t.ctx, { deep: true })).lost, 0);
    } finally {
      await t.close();
    }
  });
});
