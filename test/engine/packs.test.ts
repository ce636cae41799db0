// Small files packed: many files in a few objects, read back exactly (whole copies, erasure shards,
// encrypted), deduplicated, verified, repaired, rebalanced and reclaimed by gc like any chunk; an
// upload that fails before its commit leaves nothing visible and nothing behind after gc.
import assert from 'node:assert/strict';
import { randomBytes as cryptoRandom } from 'node:crypto';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PACK_CODEC_ID } from '../../src/core/codecs.ts';
import { ENVELOPE_CODEC_OFFSET, ENVELOPE_HEADER_SIZE, frameEnvelope } from '../../src/core/envelope.ts';
import { parsePackIndex } from '../../src/core/pack.ts';
import { readChunk } from '../../src/engine/chunk-reader.ts';
import { download } from '../../src/engine/download.ts';
import { gc } from '../../src/engine/gc.ts';
import { sourceStamp, uploadSmallFiles, type SmallFile } from '../../src/engine/pack-upload.ts';
import { rebalance } from '../../src/engine/rebalance.ts';
import { remove } from '../../src/engine/remove.ts';
import { repair } from '../../src/engine/repair.ts';
import { stat } from '../../src/engine/stat.ts';
import { verify } from '../../src/engine/verify.ts';
import type { BlobStore } from '../../src/storage/blob-store.ts';
import { withFaults } from '../../src/storage/fault-store.ts';
import { MemoryBlobStore } from '../../src/storage/memory-store.ts';
import { Placement } from '../../src/storage/placement.ts';
import { collect, pieces, textBytes } from '../helpers/data.ts';
import { testEngine, type TestEngine } from '../helpers/engine.ts';

/** `n` text files of 1-40 KB (below the test chunker's 64 KiB max, so most are one chunk). */
function smallFiles(n: number, seed = 1): { name: string; data: Uint8Array }[] {
  return Array.from({ length: n }, (_, i) => ({ name: `src/f${String(i).padStart(4, '0')}.c`, data: textBytes(1000 + ((i * 7919 + seed * 31) % 39_000), seed * 10_000 + i) }));
}

const inputs = (files: { name: string; data: Uint8Array }[]): SmallFile[] => files.map((f) => ({ name: f.name, input: pieces(f.data) }));

async function objects(stores: readonly BlobStore[]): Promise<string[]> {
  const keys: string[] = [];
  for (const s of stores) for await (const o of s.list('chunks/')) keys.push(`${s.name}:${o.key}`);
  return keys;
}

async function readsBack(t: TestEngine, files: { name: string; data: Uint8Array }[]): Promise<void> {
  for (const f of files) assert.deepEqual(await collect((await download(t.ctx, f.name)).body), f.data, f.name);
}

describe('pack objects (small files)', () => {
  it('stores 300 files in a few objects, reads each back, and a second put writes nothing', async () => {
    const t = await testEngine({ backends: 3, replicas: 2 });
    try {
      const files = smallFiles(300);
      const results = await uploadSmallFiles(t.ctx, inputs(files), {});
      assert.deepEqual(results.map((r) => [r.version.name, r.version.version]), files.map((f) => [f.name, 1]));
      assert.equal(results.reduce((n, r) => n + r.newChunks, 0), results.reduce((n, r) => n + r.chunks, 0));
      const stored = await objects(t.stores);
      assert.ok(stored.length <= 2 * Math.ceil(300 / 20), `${stored.length} objects for 300 files (2 copies)`);
      await readsBack(t, files);
      // What stat reports is what the upload said (the chunks inside the pack, one copy).
      const s = await stat(t.ctx, files[7]!.name, { chunks: true });
      assert.equal(s.storedSize, results[7]!.storedSize);
      assert.equal(s.health, 'healthy');
      assert.ok(s.chunkList!.every((c) => c.pack !== undefined && stored.some((k) => k.endsWith(c.pack!))), 'stat names the pack');

      const again = await uploadSmallFiles(t.ctx, inputs(files), {});
      assert.deepEqual(again.map((r) => r.version.version), files.map(() => 2));
      assert.equal(again.reduce((n, r) => n + r.newChunks, 0), 0);
      assert.deepEqual(await objects(t.stores), stored, 'nothing new stored');
      const v = await verify(t.ctx, { deep: true });
      assert.deepEqual([v.lost, v.corrupt, v.missing, v.orphans, v.underReplicated], [0, 0, 0, 0, 0]);
      assert.equal(v.chunks, stored.length / 2, 'verify walks the packs');
    } finally {
      await t.close();
    }
  });

  it('a pack is a versioned, indexed object whose members are ordinary (encrypted) chunk envelopes', async () => {
    const keys = { chunkKey: cryptoRandom(32), idKey: cryptoRandom(32) };
    const t = await testEngine({ keys });
    try {
      const files = smallFiles(40, 2);
      const results = await uploadSmallFiles(t.ctx, inputs(files), { codec: 'zstd' });
      const [key] = (await objects(t.stores)).map((k) => k.split(':')[1]!);
      const object = await t.stores[0]!.get(key!);
      assert.equal(object[ENVELOPE_CODEC_OFFSET], PACK_CODEC_ID);
      const packId = key!.split('/').pop()!;
      const plain = await t.ctx.transformer.decode(new Uint8Array(object), packId);
      const members = parsePackIndex(plain, packId);
      assert.equal(members.length, results.reduce((n, r) => n + r.chunks, 0));
      // Each member decodes on its own, under its own id; none is readable without the key.
      const m = members[3]!;
      const member = object.subarray(ENVELOPE_HEADER_SIZE + m.offset, ENVELOPE_HEADER_SIZE + m.offset + m.length);
      assert.equal((await t.ctx.transformer.decode(new Uint8Array(member), m.id)).length > 0, true);
      assert.equal(Buffer.from(object).includes(Buffer.from(files[3]!.data.subarray(0, 64))), false, 'plain text is not in the pack');
      await readsBack(t, files);
    } finally {
      await t.close();
    }
  });

  it('a forged pack (altered member, recomputed checksum) in an encrypted repository is refused, never returned', async () => {
    const keys = { chunkKey: cryptoRandom(32), idKey: cryptoRandom(32) };
    const t = await testEngine({ keys });
    try {
      const files = smallFiles(10, 11).map((f) => ({ ...f, data: f.data.subarray(0, 3000) }));
      await uploadSmallFiles(t.ctx, inputs(files), {});
      const [key] = (await objects(t.stores)).map((k) => k.split(':')[1]!);
      const packId = key!.split('/').pop()!;
      const forged = new Uint8Array(await t.stores[0]!.get(key!));
      const members = parsePackIndex(forged.subarray(ENVELOPE_HEADER_SIZE), packId);
      // A byte inside the first member's sealed payload, and a checksum that matches again: only
      // the member's authentication and the pack's keyed id can tell.
      const first = members[0]!;
      const at = ENVELOPE_HEADER_SIZE + first.offset + 40;
      forged[at] = forged[at]! ^ 0x01;
      frameEnvelope(forged, { codecId: PACK_CODEC_ID, cipherId: 0, plainLength: forged.length - ENVELOPE_HEADER_SIZE });
      await t.stores[0]!.put(key!, forged);
      // Each file is one chunk, packed in file order: the first member is the first file.
      await assert.rejects(collect((await download(t.ctx, files[0]!.name)).body), /authentication failed|no healthy copy|corrupt/i);
      // The other chunks in the pack still read: each is checked on its own.
      await readsBack(t, files.slice(1));
      const v = await verify(t.ctx, { deep: true });
      assert.equal(v.corrupt, 1);
    } finally {
      await t.close();
    }
  });

  it('a corrupt pack copy: reads use the other copy and heal it; verify --deep finds it, repair rewrites it', async () => {
    const t = await testEngine({ backends: 2, replicas: 2 });
    try {
      const files = smallFiles(50, 3);
      await uploadSmallFiles(t.ctx, inputs(files), {});
      const [key] = (await objects([t.stores[0]!])).map((k) => k.split(':')[1]!);
      // The copy reads try first.
      const store = t.ctx.placement.rank(key!.split('/').pop()!)[0]!.store;
      const bytes = new Uint8Array(await store.get(key!));
      const flip = (at: number): Promise<void> => {
        const bad = bytes.slice();
        bad[at] = bad[at]! ^ 0xff;
        return store.put(key!, bad);
      };
      // A byte near the end: inside the last member.
      await flip(bytes.length - 10);
      assert.equal((await verify(t.ctx)).corrupt, 0, 'a shallow verify cannot see it');
      // Verifying one file checks the pack its chunks are in.
      const one = await verify(t.ctx, { deep: true, name: files[0]!.name });
      assert.deepEqual([one.chunks, one.corrupt], [1, 1]);
      const deep = await verify(t.ctx, { deep: true });
      assert.equal(deep.corrupt, 1);
      assert.equal(deep.lost, 0);
      assert.equal((await repair(t.ctx)).rewritten, 1);
      assert.equal((await verify(t.ctx, { deep: true })).corrupt, 0);
      // Corrupt again, then read every file: the bad range is found, the pack healed on read.
      await flip(bytes.length - 10);
      await readsBack(t, files);
      assert.ok(t.warnings.some((w) => /repaired corrupt copy of chunk/.test(w)), t.warnings.join('\n'));
      assert.deepEqual(await store.get(key!), bytes);
    } finally {
      await t.close();
    }
  });

  it('erasure coded (4+2): any two backends lost, the files read; repair rebuilds the shards; rebalance moves packs', async () => {
    const stores = Array.from({ length: 7 }, (_, i) => new MemoryBlobStore({ name: `e${i}` }));
    const t = await testEngine({ stores: stores.slice(0, 6), erasure: { data: 4, parity: 2, successThreshold: 6, repairThreshold: 5 } });
    try {
      const files = smallFiles(80, 4);
      await uploadSmallFiles(t.ctx, inputs(files), {});
      const before = await objects(t.stores);
      assert.ok(before.length <= 6 * 2, `${before.length} shard objects`);
      for (const s of [stores[1]!, stores[4]!]) for await (const o of s.list('chunks/')) await s.delete(o.key);
      await readsBack(t, files);
      await repair(t.ctx);
      const v = await verify(t.ctx, { deep: true });
      assert.deepEqual([v.lost, v.missing, v.corrupt, v.underReplicated], [0, 0, 0, 0]);

      t.ctx.placement = new Placement(stores.map((store) => ({ name: store.name, store, weight: 1 })));
      const moved = await rebalance(t.ctx);
      assert.equal(moved.failed, 0);
      await readsBack(t, files);
      assert.equal((await verify(t.ctx, { deep: true })).lost, 0);
    } finally {
      await t.close();
    }
  });

  it('gc keeps a pack while most of it is in use, rewrites it once most is deleted, and deletes it with the last chunk', async () => {
    const t = await testEngine({ backends: 2, replicas: 2 });
    try {
      const files = smallFiles(60, 5);
      await uploadSmallFiles(t.ctx, inputs(files), {});
      const stored = await objects(t.stores);
      const bytes = async (): Promise<number> => (await t.ctx.metadata.stats()).physicalBytes;
      const full = await bytes();
      // A quarter deleted: the pack stays as it is (its chunks are forgotten, its space kept).
      for (const f of files.slice(0, 15)) await remove(t.ctx, f.name);
      const first = await gc(t.ctx);
      assert.deepEqual([first.bytesFreed, first.packsRewritten], [0, undefined]);
      assert.deepEqual(await objects(t.stores), stored);
      // All but one: the pack is rewritten with that file's chunks, and the old one deleted.
      for (const f of files.slice(15, 59)) await remove(t.ctx, f.name);
      const second = await gc(t.ctx);
      assert.equal(second.packsRewritten, 1);
      assert.ok(second.bytesFreed > full * 0.9, `freed ${second.bytesFreed} of ${full}`);
      assert.ok((await bytes()) < full / 10);
      assert.notDeepEqual(await objects(t.stores), stored);
      await readsBack(t, files.slice(59));
      const v = await verify(t.ctx, { deep: true });
      assert.deepEqual([v.lost, v.orphans, v.corrupt, v.missing], [0, 0, 0, 0]);
      assert.equal((await gc(t.ctx)).packsRewritten, undefined, 'a rewritten pack is not rewritten again');
      await remove(t.ctx, files[59]!.name);
      const last = await gc(t.ctx);
      assert.ok(last.bytesFreed > 0);
      assert.deepEqual(await objects(t.stores), []);
      const st = await t.ctx.metadata.stats();
      assert.deepEqual([st.chunks, st.physicalBytes, st.reclaimableChunks], [0, 0, 0]);
    } finally {
      await t.close();
    }
  });

  it('a read that raced a repack finds the chunk in its new pack', async () => {
    const t = await testEngine();
    try {
      const files = smallFiles(20, 8);
      await uploadSmallFiles(t.ctx, inputs(files), {});
      const keep = files[19]!;
      const [vc] = await all(t.ctx.metadata.versionChunks((await t.ctx.metadata.getVersion(keep.name))!.versionId));
      for (const f of files.slice(0, 19)) await remove(t.ctx, f.name);
      assert.equal((await gc(t.ctx)).packsRewritten, 1);
      // The record read before the repack names the old, deleted pack.
      assert.deepEqual(await readChunk(t.ctx, vc!.chunk), keep.data.subarray(0, vc!.length));
    } finally {
      await t.close();
    }
  });

  it('a file unchanged since its latest version (same stamp) is not read again; a changed one is', async () => {
    const t = await testEngine();
    const dir = await mkdtemp(join(tmpdir(), 'dcs-packs-'));
    try {
      const files = smallFiles(20, 7);
      for (const f of files) await writeFile(join(dir, f.name.replace('/', '_')), f.data);
      const onDisk = (): SmallFile[] => files.map((f) => ({ name: f.name, input: { path: join(dir, f.name.replace('/', '_')) } }));
      await uploadSmallFiles(t.ctx, onDisk(), {});
      // Unreadable now, yet unchanged: the second put must not need to read it.
      const locked = join(dir, files[0]!.name.replace('/', '_'));
      const stampBefore = sourceStamp(locked);
      const second = await uploadSmallFiles(t.ctx, onDisk(), {});
      assert.deepEqual(second.map((r) => [r.version.version, r.newChunks]), files.map(() => [2, 0]));
      assert.equal(sourceStamp(locked), stampBefore);
      // Same size, new content: the times differ, so it is read and stored.
      const changed = join(dir, files[3]!.name.replace('/', '_'));
      const edited = files[3]!.data.slice();
      edited[10] = edited[10]! ^ 1;
      await writeFile(changed, edited);
      await utimes(changed, new Date(Date.now() + 5_000), new Date(Date.now() + 5_000));
      const third = await uploadSmallFiles(t.ctx, onDisk(), {});
      assert.equal(third[3]!.newChunks, 1);
      assert.deepEqual(await collect((await download(t.ctx, files[3]!.name)).body), edited);
      // --reread reads everything: nothing new, every version still right.
      const fourth = await uploadSmallFiles(t.ctx, onDisk(), { reread: true });
      assert.equal(fourth.reduce((n, r) => n + r.newChunks, 0), 0);
      await readsBack(t, files.map((f, i) => (i === 3 ? { ...f, data: edited } : f)));
      // A reused list whose chunks lost every copy is not trusted: the files are read, stored again.
      for (const c of await all(t.ctx.metadata.chunks())) for (const k of c.copies) await t.ctx.metadata.setCopyState(c.id, k.backend, 'missing');
      const fifth = await uploadSmallFiles(t.ctx, onDisk(), {});
      assert.ok(fifth.every((r) => r.version.version === 5 && r.newChunks === r.chunks), JSON.stringify(fifth.map((r) => [r.version.version, r.newChunks, r.chunks])));
      await readsBack(t, files.map((f, i) => (i === 3 ? { ...f, data: edited } : f)));
    } finally {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('concurrent group puts of overlapping files, deletes and gc (with repacks) leave exact references and every file readable', async () => {
    const t = await testEngine({ backends: 3, replicas: 2 });
    try {
      const base = smallFiles(120, 9);
      // Two writers share half their content; a third round rewrites names the first deleted.
      const a = base.slice(0, 80);
      const b = base.slice(40).map((f) => ({ ...f, name: `b/${f.name}` }));
      await Promise.all([uploadSmallFiles(t.ctx, inputs(a.slice(0, 40)), {}), uploadSmallFiles(t.ctx, inputs(b.slice(0, 40)), {})]);
      const runs: Promise<unknown>[] = [
        uploadSmallFiles(t.ctx, inputs(a.slice(40)), {}),
        uploadSmallFiles(t.ctx, inputs(b.slice(40)), {}),
        (async () => {
          for (const f of a.slice(0, 30)) await remove(t.ctx, f.name);
          await gc(t.ctx);
        })(),
        gc(t.ctx),
      ];
      await Promise.all(runs);
      await gc(t.ctx);
      const alive = [...a.slice(30), ...b];
      await readsBack(t, alive);
      for (const f of a.slice(0, 30)) assert.equal(await t.ctx.metadata.getVersion(f.name), undefined);
      const v = await verify(t.ctx, { deep: true });
      assert.deepEqual([v.lost, v.orphans, v.corrupt, v.missing, v.underReplicated], [0, 0, 0, 0, 0]);
      // Every chunk's references are the versions' occurrences of it; every pack's, its chunks.
      const refs = new Map<string, number>();
      for (const f of alive) {
        const version = (await t.ctx.metadata.getVersion(f.name))!;
        for await (const vc of t.ctx.metadata.versionChunks(version.versionId)) refs.set(vc.chunk.id, (refs.get(vc.chunk.id) ?? 0) + 1);
      }
      const inPack = new Map<string, number>();
      for (const id of refs.keys()) {
        const c = (await t.ctx.metadata.getChunk(id))!;
        assert.equal(c.refcount, refs.get(id), id);
        if (c.pack) inPack.set(c.pack.id, (inPack.get(c.pack.id) ?? 0) + 1);
      }
      for await (const c of t.ctx.metadata.chunks()) if (inPack.has(c.id)) assert.equal(c.refcount, inPack.get(c.id), `pack ${c.id}`);
      // Nothing left over after deleting everything.
      for (const f of alive) await remove(t.ctx, f.name);
      await gc(t.ctx);
      assert.deepEqual(await objects(t.stores), []);
    } finally {
      await t.close();
    }
  });

  it('a pack write that fails, or a commit that fails after it, leaves no file visible and nothing after gc', async () => {
    const inner = new MemoryBlobStore({ name: 'f1' });
    const faulty = withFaults(inner);
    const t = await testEngine({ stores: [faulty] });
    try {
      const files = smallFiles(30, 6);
      faulty.faults.outage = true;
      await assert.rejects(uploadSmallFiles(t.ctx, inputs(files), {}), /cannot store chunk/);
      faulty.faults.outage = false;
      assert.deepEqual(await all(t.ctx.metadata.listFiles()), []);

      const commit = t.ctx.metadata.commitFiles.bind(t.ctx.metadata);
      t.ctx.metadata.commitFiles = () => Promise.reject(new Error('metadata went away'));
      await assert.rejects(uploadSmallFiles(t.ctx, inputs(files), {}), /metadata went away/);
      t.ctx.metadata.commitFiles = commit;
      assert.deepEqual(await all(t.ctx.metadata.listFiles()), []);
      assert.equal((await objects([inner])).length, 1, 'the pack was written');
      await gc(t.ctx);
      assert.deepEqual(await objects([inner]), []);

      // And the same files then store normally.
      await uploadSmallFiles(t.ctx, inputs(files), {});
      await readsBack(t, files);
    } finally {
      await t.close();
    }
  });
});

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}
