// Corrupt, truncated, mis-headed or missing copies: detected and named with one copy; read
// around, healed on read, found by verify --deep and fixed by repair with two.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkUnavailableError } from '../../src/core/errors.ts';
import { download } from '../../src/engine/download.ts';
import { repair } from '../../src/engine/repair.ts';
import { stat } from '../../src/engine/stat.ts';
import { upload } from '../../src/engine/upload.ts';
import { verify } from '../../src/engine/verify.ts';
import { chunkKey, type BlobStore } from '../../src/storage/blob-store.ts';
import { collect, pieces, randomBytes, textBytes } from '../helpers/data.ts';
import { testEngine } from '../helpers/engine.ts';

type Damage = (store: BlobStore, key: string) => Promise<void>;

const DAMAGE: Record<string, Damage> = {
  'flipped byte': async (store, key) => {
    const bytes = await store.get(key);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x40;
    await store.put(key, bytes);
  },
  'truncated object': async (store, key) => {
    const bytes = await store.get(key);
    await store.put(key, bytes.subarray(0, bytes.length - 10));
  },
  'wrong header': async (store, key) => {
    const bytes = await store.get(key);
    bytes[0] = 0x00;
    await store.put(key, bytes);
  },
  'missing object': async (store, key) => store.delete(key),
};

async function firstChunkId(t: Awaited<ReturnType<typeof testEngine>>, name: string): Promise<string> {
  const s = await stat(t.ctx, name, { chunks: true });
  return s.chunkList![1]!.id;
}

describe('damaged copies', () => {
  for (const [what, damage] of Object.entries(DAMAGE)) {
    it(`one copy, ${what}: get fails naming the file and the chunk`, async () => {
      const t = await testEngine();
      try {
        await upload(t.ctx, pieces(textBytes(300_000)), { name: 'report.txt' });
        const id = await firstChunkId(t, 'report.txt');
        await damage(t.stores[0]!, chunkKey(id));
        const dl = await download(t.ctx, 'report.txt');
        await assert.rejects(collect(dl.body), (err: unknown) => {
          assert.ok(err instanceof ChunkUnavailableError);
          assert.match(err.message, /report\.txt/);
          assert.match(err.message, new RegExp(id.slice(0, 16)));
          assert.match(err.message, /m1/);
          return true;
        });
        const report = await verify(t.ctx, { deep: true });
        assert.equal(report.lost, 1);
      } finally {
        await t.close();
      }
    });

    it(`two copies, ${what}: get succeeds and heals; verify --deep + repair restore the copy`, async () => {
      const t = await testEngine({ backends: 2, replicas: 2 });
      try {
        const data = randomBytes(300_000, 9);
        await upload(t.ctx, pieces(data), { name: 'f' });
        const id = await firstChunkId(t, 'f');
        // Damage the copy reads try first, so the read must fall back.
        const first = t.ctx.placement.rank(id)[0]!;
        await damage(first.store, chunkKey(id));

        const deep = await verify(t.ctx, { deep: true });
        assert.equal(deep.missing + deep.corrupt, 1, JSON.stringify(deep.problems));
        assert.equal(deep.underReplicated, 1);
        assert.equal((await stat(t.ctx, 'f')).health, 'degraded');

        const fixed = await repair(t.ctx);
        assert.equal(fixed.rewritten, 1);
        assert.equal(fixed.lost, 0);
        const after = await verify(t.ctx, { deep: true });
        assert.equal(after.missing + after.corrupt + after.underReplicated, 0, JSON.stringify(after.problems));
        assert.equal((await stat(t.ctx, 'f')).health, 'healthy');
        assert.deepEqual(await collect((await download(t.ctx, 'f')).body), data);
      } finally {
        await t.close();
      }
    });
  }

  it('repair on read: a read that falls back rewrites the bad copy', async () => {
    const t = await testEngine({ backends: 2, replicas: 2 });
    try {
      const data = randomBytes(200_000, 10);
      await upload(t.ctx, pieces(data), { name: 'f' });
      const id = await firstChunkId(t, 'f');
      const first = t.ctx.placement.rank(id)[0]!;
      await DAMAGE['flipped byte']!(first.store, chunkKey(id));
      assert.deepEqual(await collect((await download(t.ctx, 'f')).body), data);
      assert.ok(t.warnings.some((w) => w.includes('repaired corrupt copy')), t.warnings.join('\n'));
      const report = await verify(t.ctx, { deep: true });
      assert.equal(report.corrupt, 0);
      assert.equal(report.okCopies, report.copies);
    } finally {
      await t.close();
    }
  });

  it('repair adds copies when a backend lost everything', async () => {
    const t = await testEngine({ backends: 3, replicas: 2 });
    try {
      const data = randomBytes(400_000, 14);
      await upload(t.ctx, pieces(data), { name: 'f' });
      for await (const info of t.stores[0]!.list('chunks/')) await t.stores[0]!.delete(info.key);
      const v = await verify(t.ctx);
      assert.ok(v.missing > 0);
      const r = await repair(t.ctx);
      assert.equal(r.rewritten, v.missing);
      assert.equal((await verify(t.ctx, { deep: true })).underReplicated, 0);
    } finally {
      await t.close();
    }
  });
});
