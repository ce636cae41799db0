// Erasure coding in the engine: 6 memory backends, 4 data + 2 parity shards per chunk. Files
// round-trip; any two backends can lose everything and every file still reads; verify names the
// missing shards, repair rebuilds them; a corrupt shard is read around and healed; three lost
// backends give a clear error naming the chunk; writes honour successThreshold.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SHARD_HEADER_SIZE, shardKey } from '../../src/core/erasure.ts';
import { ChunkUnavailableError, InsufficientBackendsError } from '../../src/core/errors.ts';
import type { ErasurePolicy } from '../../src/engine/context.ts';
import { download } from '../../src/engine/download.ts';
import { gc } from '../../src/engine/gc.ts';
import { remove } from '../../src/engine/remove.ts';
import { repair } from '../../src/engine/repair.ts';
import { stat } from '../../src/engine/stat.ts';
import { upload } from '../../src/engine/upload.ts';
import { verify } from '../../src/engine/verify.ts';
import { initRepository } from '../../src/repository/init-repository.ts';
import { openEngine } from '../../src/repository/open-engine.ts';
import { CHUNK_PREFIX, chunkKey, type BlobStore } from '../../src/storage/blob-store.ts';
import { withFaults } from '../../src/storage/fault-store.ts';
import { MemoryBlobStore } from '../../src/storage/memory-store.ts';
import { collect, pieces, randomBytes, textBytes } from '../helpers/data.ts';
import { tempDir } from '../helpers/cli.ts';
import { testEngine, type TestEngine } from '../helpers/engine.ts';

const EC: ErasurePolicy = { data: 4, parity: 2, successThreshold: 6, repairThreshold: 5 };

async function keysOf(store: BlobStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list(CHUNK_PREFIX)) keys.push(info.key);
  return keys;
}

/** Delete every chunk object of a backend (the backend "loses everything"). */
async function wipe(store: BlobStore): Promise<Map<string, Uint8Array>> {
  const saved = new Map<string, Uint8Array>();
  for (const key of await keysOf(store)) {
    saved.set(key, await store.get(key));
    await store.delete(key);
  }
  return saved;
}

async function readAll(t: TestEngine, name: string): Promise<Uint8Array> {
  return collect((await download(t.ctx, name)).body);
}

function pairs(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) out.push([a, b]);
  return out;
}

describe('erasure coding 4+2 over 6 backends', () => {
  it('round-trips files; each chunk is 6 shards chunks/ab/<id>.<i>, one per backend, recorded with its index', async () => {
    const t = await testEngine({ backends: 6, erasure: EC });
    try {
      const files = new Map([
        ['empty', new Uint8Array(0)],
        ['tiny', textBytes(10)],
        ['text', textBytes(300_000)],
        ['random', randomBytes(250_000, 3)],
      ]);
      for (const [name, data] of files) await upload(t.ctx, pieces(data), { name });
      for (const [name, data] of files) assert.deepEqual(await readAll(t, name), data, name);
      const s = await stat(t.ctx, 'text', { chunks: true });
      assert.equal(s.health, 'healthy');
      assert.ok(s.chunkList!.length > 3);
      for (const c of s.chunkList!) {
        assert.deepEqual(c.copies.map((k) => k.shard).sort(), [0, 1, 2, 3, 4, 5]);
        assert.equal(new Set(c.copies.map((k) => k.backend)).size, 6);
        // Shard i sits on the i-th backend of the chunk's rendezvous ranking.
        const rank = t.ctx.placement.rank(c.id).map((b) => b.name);
        for (const k of c.copies) assert.equal(rank.indexOf(k.backend), k.shard);
        for (const k of c.copies) {
          const store = t.stores.find((x) => x.name === k.backend)!;
          const info = await store.head(shardKey(c.id, k.shard!));
          assert.ok(info && info.size > SHARD_HEADER_SIZE);
          assert.equal(await store.head(chunkKey(c.id)), undefined, 'no whole-chunk object');
        }
      }
      const clean = await verify(t.ctx, { deep: true });
      assert.equal(clean.copies, clean.okCopies);
      assert.equal(clean.underReplicated + clean.lost + clean.orphans, 0);
      // What stats say the backends hold is what their shard objects add up to (about 6/4 of the
      // stored bytes), per backend and in total.
      const st = await t.ctx.metadata.stats();
      let held = 0;
      for (const store of t.stores) {
        let onThis = 0;
        for await (const o of store.list(CHUNK_PREFIX)) onThis += o.size;
        assert.equal(st.perBackend.find((b) => b.backend === store.name)?.bytes ?? 0, onThis, store.name);
        held += onThis;
      }
      assert.equal(st.physicalBytes, held);
      assert.ok(held > 1.4 * st.storedBytes && held < 1.7 * st.storedBytes, `${held} vs ${st.storedBytes} stored`);
    } finally {
      await t.close();
    }
  });

  it('any two backends deleted entirely (all 15 pairs): the file reads, verify names the missing shards, repair rebuilds them, verify --deep is clean', async () => {
    const data = textBytes(120_000, 11);
    for (const [a, b] of pairs(6)) {
      const t = await testEngine({ backends: 6, erasure: EC });
      try {
        await upload(t.ctx, pieces(data), { name: 'f' });
        const chunks = (await stat(t.ctx, 'f')).distinctChunks;
        await wipe(t.stores[a]!);
        await wipe(t.stores[b]!);
        const before = await verify(t.ctx);
        assert.equal(before.missing, 2 * chunks, `pair ${a},${b}`);
        assert.equal(before.underReplicated, chunks);
        assert.equal(before.lost, 0);
        assert.ok(before.problems.some((p) => p.kind === 'missing' && p.backend === t.stores[a]!.name));
        assert.deepEqual(await readAll(t, 'f'), data, `pair ${a},${b}`);
        assert.equal((await stat(t.ctx, 'f')).health, 'degraded');
        const fixed = await repair(t.ctx);
        assert.equal(fixed.lost, 0);
        assert.equal(fixed.stillDegraded, 0);
        assert.ok(fixed.rewritten + fixed.added > 0);
        const after = await verify(t.ctx, { deep: true });
        assert.equal(after.missing + after.corrupt + after.underReplicated + after.lost, 0, `pair ${a},${b}: ${JSON.stringify(after.problems)}`);
        assert.equal(after.okCopies, 6 * chunks);
        assert.equal((await stat(t.ctx, 'f')).health, 'healthy');
        assert.equal((await keysOf(t.stores[a]!)).length, chunks);
      } finally {
        await t.close();
      }
    }
  });

  it('a corrupt shard byte: the read is still correct and the shard is healed', async () => {
    const t = await testEngine({ backends: 6, erasure: EC });
    try {
      const data = randomBytes(200_000, 5);
      await upload(t.ctx, pieces(data), { name: 'f' });
      const c = (await stat(t.ctx, 'f', { chunks: true })).chunkList![0]!;
      const first = c.copies.find((k) => k.shard === 0)!;
      const store = t.stores.find((s) => s.name === first.backend)!;
      const key = shardKey(c.id, 0);
      const original = await store.get(key);
      const bad = new Uint8Array(original);
      bad[SHARD_HEADER_SIZE + 3]! ^= 0x10;
      await store.put(key, bad);
      assert.deepEqual(await readAll(t, 'f'), data);
      assert.deepEqual(await store.get(key), original, 'shard 0 rewritten');
      assert.ok(t.warnings.some((w) => /repaired corrupt shard 0/.test(w)), t.warnings.join('\n'));
      const after = await verify(t.ctx, { deep: true });
      assert.equal(after.corrupt + after.missing + after.underReplicated, 0);
    } finally {
      await t.close();
    }
  });

  it('verify --deep finds a corrupt shard that a shallow verify cannot see; repair rewrites it', async () => {
    const t = await testEngine({ backends: 6, erasure: EC });
    try {
      const data = textBytes(100_000, 2);
      await upload(t.ctx, pieces(data), { name: 'f' });
      const c = (await stat(t.ctx, 'f', { chunks: true })).chunkList![0]!;
      const copy = c.copies.find((k) => k.shard === 5)!;
      const store = t.stores.find((s) => s.name === copy.backend)!;
      const bytes = await store.get(shardKey(c.id, 5));
      bytes[bytes.length - 1]! ^= 0x01;
      await store.put(shardKey(c.id, 5), bytes);
      assert.equal((await verify(t.ctx)).corrupt, 0);
      const deep = await verify(t.ctx, { deep: true });
      assert.equal(deep.corrupt, 1);
      assert.ok(deep.problems.some((p) => p.kind === 'corrupt' && p.backend === copy.backend && p.chunkId === c.id));
      const fixed = await repair(t.ctx);
      assert.equal(fixed.rewritten, 1);
      assert.equal((await verify(t.ctx, { deep: true })).corrupt, 0);
      assert.deepEqual(await readAll(t, 'f'), data);
    } finally {
      await t.close();
    }
  });

  it('three backends lost: a clear error naming the file and the chunk; verify calls it lost', async () => {
    const t = await testEngine({ backends: 6, erasure: EC });
    try {
      await upload(t.ctx, pieces(textBytes(50_000)), { name: 'report.txt' });
      const id = (await stat(t.ctx, 'report.txt', { chunks: true })).chunkList![0]!.id;
      for (const s of t.stores.slice(0, 3)) await wipe(s);
      await assert.rejects(readAll(t, 'report.txt'), (err: unknown) => {
        assert.ok(err instanceof ChunkUnavailableError);
        assert.match(err.message, /report\.txt/);
        assert.match(err.message, new RegExp(id.slice(0, 16)));
        assert.match(err.message, /only 3 of 6 shards readable, 4 needed/);
        return true;
      });
      const report = await verify(t.ctx);
      assert.ok(report.lost > 0);
      assert.equal((await stat(t.ctx, 'report.txt')).health, 'lost');
      const fixed = await repair(t.ctx);
      assert.equal(fixed.lost, report.lost);
    } finally {
      await t.close();
    }
  });

  it('with only k+1 live backends a write fails cleanly when successThreshold is k+m, and succeeds (degraded) when it is k+1', async () => {
    const stores = Array.from({ length: 6 }, (_, i) => withFaults(new MemoryBlobStore({ name: `m${i + 1}` })));
    stores[2]!.faults.outage = true;
    const strict = await testEngine({ stores, erasure: EC });
    try {
      await assert.rejects(upload(strict.ctx, pieces(textBytes(80_000)), { name: 'f' }), (err: unknown) => {
        assert.ok(err instanceof InsufficientBackendsError);
        assert.match(err.message, /5 of 6 stored, 6 needed/);
        assert.match(err.message, /m3/);
        return true;
      });
      assert.equal(await strict.ctx.metadata.getVersion('f'), undefined);
    } finally {
      await strict.close();
    }
    const lenient = await testEngine({ stores, erasure: { ...EC, successThreshold: 5, repairThreshold: 4 } });
    try {
      const data = textBytes(80_000, 4);
      await upload(lenient.ctx, pieces(data), { name: 'f' });
      assert.deepEqual(await readAll(lenient, 'f'), data);
      const s = await stat(lenient.ctx, 'f', { chunks: true });
      assert.equal(s.health, 'degraded');
      for (const c of s.chunkList!) {
        assert.equal(c.copies.length, 5);
        assert.ok(!c.copies.some((k) => k.backend === 'm3'));
      }
      // Below repairThreshold the missing shard is rebuilt on the next free backend once m3 is back.
      stores[2]!.faults.outage = false;
      await wipe(stores[0]!);
      const fixed = await repair(lenient.ctx);
      assert.equal(fixed.lost, 0);
      assert.equal((await stat(lenient.ctx, 'f')).health, 'healthy');
      assert.deepEqual(await readAll(lenient, 'f'), data);
    } finally {
      await lenient.close();
    }
  });

  it('reads around a slow backend: after a delay one more shard is fetched and the slow read is abandoned', async () => {
    const stores = Array.from({ length: 6 }, (_, i) => withFaults(new MemoryBlobStore({ name: `m${i + 1}` })));
    const t = await testEngine({ stores, erasure: EC });
    try {
      const data = textBytes(12_000, 3);
      await upload(t.ctx, pieces(data), { name: 'f' });
      const c = (await stat(t.ctx, 'f', { chunks: true })).chunkList![0]!;
      const slow = stores.find((s) => s.name === c.copies.find((k) => k.shard === 0)!.backend)!;
      slow.faults.latencyMs = 10_000;
      const started = Date.now();
      assert.deepEqual(await readAll(t, 'f'), data);
      assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
      slow.faults.latencyMs = 0;
      assert.equal((await verify(t.ctx)).missing, 0);
    } finally {
      await t.close();
    }
  });

  it('chunks stay readable after dcs.yaml changes the coding (3+3) or goes back to replication', async () => {
    const t = await testEngine({ backends: 6, erasure: EC });
    try {
      const data = randomBytes(90_000, 21);
      await upload(t.ctx, pieces(data), { name: 'f' });
      t.ctx.erasure = { data: 3, parity: 3, successThreshold: 6, repairThreshold: 4 };
      assert.deepEqual(await readAll(t, 'f'), data);
      delete t.ctx.erasure;
      t.ctx.replicas = 2;
      assert.deepEqual(await readAll(t, 'f'), data);
      t.ctx.erasure = EC;
      assert.equal((await verify(t.ctx, { deep: true })).corrupt, 0);
    } finally {
      await t.close();
    }
  });

  it('gc deletes every shard of garbage chunks and shard orphans', async () => {
    const t = await testEngine({ backends: 6, erasure: EC });
    try {
      await upload(t.ctx, pieces(randomBytes(100_000, 9)), { name: 'gone' });
      const data = randomBytes(60_000, 10);
      await upload(t.ctx, pieces(data), { name: 'kept' });
      const kept = (await stat(t.ctx, 'kept')).distinctChunks;
      await remove(t.ctx, 'gone');
      const orphan = shardKey('ab'.repeat(32), 3);
      await t.stores[1]!.put(orphan, new Uint8Array(40));
      assert.equal((await verify(t.ctx)).orphans, 1);
      const report = await gc(t.ctx);
      assert.ok(report.chunksDeleted > 0);
      assert.equal(report.orphansDeleted, 1);
      let total = 0;
      for (const s of t.stores) total += (await keysOf(s)).length;
      assert.equal(total, 6 * kept);
      assert.deepEqual(await readAll(t, 'kept'), data);
    } finally {
      await t.close();
    }
  });
});

describe('erasure in a repository (dcs.yaml redundancy.erasure)', () => {
  it('fills the engine policy from dcs.yaml and stores shard files on six fs backends', async () => {
    const { dir, cleanup } = await tempDir('dcs-erasure-');
    try {
      const config = await initRepository(dir, {
        backends: Array.from({ length: 6 }, (_, i) => `d${i}=fs:${join(dir, `d${i}`)}`),
        erasure: { data: 4, parity: 2 },
        chunking: { kind: 'fastcdc', min: 4096, avg: 16384, max: 65536 },
      });
      assert.deepEqual(config.redundancy, { erasure: { data: 4, parity: 2, successThreshold: 6, repairThreshold: 5 } });
      const repo = await openEngine(dir, { workers: 0 });
      try {
        assert.deepEqual(repo.ctx.erasure, { data: 4, parity: 2, successThreshold: 6, repairThreshold: 5 });
        assert.equal(repo.ctx.replicas, 6);
        const data = textBytes(150_000, 8);
        await upload(repo.ctx, pieces(data), { name: 'f' });
        assert.deepEqual(await collect((await download(repo.ctx, 'f')).body), data);
        const c = (await stat(repo.ctx, 'f', { chunks: true })).chunkList![0]!;
        const holder = c.copies.find((k) => k.shard === 2)!;
        const files = await readdir(join(dir, holder.backend, 'chunks', c.id.slice(0, 2)));
        assert.ok(files.includes(`${c.id}.2`), files.join(','));
      } finally {
        await repo.close();
      }
    } finally {
      await cleanup();
    }
  });
});

describe('erasure chaos', () => {
  it('with erasure 4+2, any two of six backends deleted entirely, every one of 50 random files still reads', async () => {
    const t = await testEngine({ backends: 6, erasure: EC });
    try {
      let seed = 12345;
      const rnd = (): number => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      const files = new Map<string, Uint8Array>();
      for (let i = 0; i < 50; i++) {
        const size = Math.floor(rnd() * 90_000);
        const data = rnd() < 0.5 ? randomBytes(size, i + 1) : textBytes(size, i + 1);
        files.set(`file-${i}`, data);
        await upload(t.ctx, pieces(data, [1 + Math.floor(rnd() * 40_000)]), { name: `file-${i}` });
      }
      for (const [a, b] of pairs(6)) {
        const savedA = await wipe(t.stores[a]!);
        const savedB = await wipe(t.stores[b]!);
        for (const [name, data] of files) assert.deepEqual(await readAll(t, name), data, `${name} without backends ${a} and ${b}`);
        // Put the backends back as they were (reads may have healed some shards meanwhile).
        for (const [key, bytes] of savedA) await t.stores[a]!.put(key, bytes);
        for (const [key, bytes] of savedB) await t.stores[b]!.put(key, bytes);
      }
      const report = await verify(t.ctx, { deep: true });
      assert.equal(report.missing + report.corrupt + report.lost, 0);
    } finally {
      await t.close();
    }
  });
});
