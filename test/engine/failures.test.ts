// Failing storage: a put that cannot be stored fails cleanly, leaves no visible version, and loses
// nothing already stored; a dead backend is read around while another copy exists.
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ChunkUnavailableError, InsufficientBackendsError } from '../../src/core/errors.ts';
import { download } from '../../src/engine/download.ts';
import { gc } from '../../src/engine/gc.ts';
import { upload } from '../../src/engine/upload.ts';
import { verify } from '../../src/engine/verify.ts';
import { withFaults } from '../../src/storage/fault-store.ts';
import { FsBlobStore } from '../../src/storage/fs-store.ts';
import { MemoryBlobStore } from '../../src/storage/memory-store.ts';
import { tempDir } from '../helpers/cli.ts';
import { collect, pieces, randomBytes } from '../helpers/data.ts';
import { testEngine } from '../helpers/engine.ts';

describe('storage failures', () => {
  it('disk full: the put fails with the reason, no version appears, earlier files stay intact', async () => {
    const store = withFaults(new MemoryBlobStore({ name: 'disk' }));
    const t = await testEngine({ stores: [store] });
    try {
      const kept = randomBytes(200_000, 1);
      await upload(t.ctx, pieces(kept), { name: 'kept' });
      store.faults.capacityBytes = store.bytesWritten + 100_000;
      await assert.rejects(upload(t.ctx, pieces(randomBytes(400_000, 2)), { name: 'big' }), (e: unknown) => {
        assert.ok(e instanceof InsufficientBackendsError);
        assert.match(e.message, /disk: put failed: disk full/);
        return true;
      });
      assert.equal(await t.ctx.metadata.getVersion('big'), undefined);
      // Replacing an existing name fails the same way and keeps the old version.
      await assert.rejects(upload(t.ctx, pieces(randomBytes(400_000, 3)), { name: 'kept' }), InsufficientBackendsError);
      assert.equal((await t.ctx.metadata.listVersions('kept')).length, 1);
      assert.deepEqual(await collect((await download(t.ctx, 'kept')).body), kept);
      // The partial upload's chunks are reclaimable garbage, not leaks.
      const r = await gc(t.ctx);
      assert.ok(r.chunksDeleted > 0);
      assert.deepEqual(await collect((await download(t.ctx, 'kept')).body), kept);
    } finally {
      await t.close();
    }
  });

  it('replicate 2 over 3 backends: a full backend is skipped for the next in rendezvous order', async () => {
    const full = withFaults(new MemoryBlobStore({ name: 'full' }), { capacityBytes: 0 });
    const t = await testEngine({ stores: [full, new MemoryBlobStore({ name: 'b' }), new MemoryBlobStore({ name: 'c' })], replicas: 2 });
    try {
      const data = randomBytes(300_000, 4);
      await upload(t.ctx, pieces(data), { name: 'f' });
      const v = await verify(t.ctx, { deep: true });
      assert.equal(v.underReplicated, 0);
      assert.equal(v.okCopies, v.chunks * 2);
      assert.deepEqual(await collect((await download(t.ctx, 'f')).body), data);
    } finally {
      await t.close();
    }
  });

  it('a backend directory that disappeared: reads use the other copy; with one copy the error names it', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const roots = [join(dir, 'disk1'), join(dir, 'disk2')];
      for (const r of roots) await mkdir(r);
      const stores = roots.map((root, i) => new FsBlobStore({ name: `disk${i + 1}`, root }));
      const t = await testEngine({ stores, replicas: 2 });
      const t1 = await testEngine({ stores: [stores[0]!] });
      try {
        const data = randomBytes(300_000, 5);
        await upload(t.ctx, pieces(data), { name: 'f' });
        await upload(t1.ctx, pieces(data), { name: 'g' });
        await rm(roots[0]!, { recursive: true });
        assert.deepEqual(await collect((await download(t.ctx, 'f')).body), data);
        const v = await verify(t.ctx);
        assert.equal(v.unreachable, v.chunks);
        assert.equal(v.lost, 0);
        await assert.rejects(collect((await download(t1.ctx, 'g')).body), (e: unknown) => {
          assert.ok(e instanceof ChunkUnavailableError);
          assert.match(e.message, /storage directory .*disk1 does not exist/);
          return true;
        });
      } finally {
        await t.close();
        await t1.close();
      }
    } finally {
      await cleanup();
    }
  });
});
