// ONE behavioural contract for every MetadataStore (SQLite now, PostgreSQL later): the upload
// protocol, versions, listing, reference counts and the gc-safety rules.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetadataStore, StagedChunk } from '../../src/metadata/metadata-store.ts';

export interface MetadataUnderTest {
  store: MetadataStore;
  cleanup(): Promise<void>;
}

const id = (n: number): string => n.toString(16).padStart(64, '0');

/** Run a whole upload of the given chunk ids (each 100 bytes) through the protocol. */
async function put(store: MetadataStore, name: string, ids: number[], backend = 'b1'): Promise<number> {
  const { sessionId } = await store.beginUpload(name);
  const claims = await store.claimChunks(sessionId, ids.map(id));
  const toWrite = [...claims].filter(([, r]) => r === 'write').map(([k]) => k);
  await store.recordStored(sessionId, toWrite.map((k) => ({ id: k, rawSize: 100, storedSize: 40, codecId: 2, backends: [backend] })));
  const staged: StagedChunk[] = ids.map((n, seq) => ({ seq, offset: seq * 100, length: 100, id: id(n) }));
  await store.stageChunks(sessionId, staged);
  return (await store.commitUpload(sessionId, { name, size: ids.length * 100, codec: 'zstd' })).version;
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of items) out.push(x);
  return out;
}

export function metadataStoreConformance(label: string, factory: () => Promise<MetadataUnderTest>): void {
  const withStore = (fn: (store: MetadataStore) => Promise<void>) => async () => {
    const { store, cleanup } = await factory();
    try {
      await store.migrate();
      await store.migrate(); // idempotent
      await fn(store);
    } finally {
      await store.close();
      await cleanup();
    }
  };

  describe(`MetadataStore conformance: ${label}`, () => {
    it('commits versions that are visible only after commit, numbered from 1', withStore(async (s) => {
      const { sessionId } = await s.beginUpload('a');
      await s.claimChunks(sessionId, [id(1)]);
      await s.recordStored(sessionId, [{ id: id(1), rawSize: 100, storedSize: 40, codecId: 2, backends: ['b1'] }]);
      await s.stageChunks(sessionId, [{ seq: 0, offset: 0, length: 100, id: id(1) }]);
      assert.equal(await s.getVersion('a'), undefined);
      const v = await s.commitUpload(sessionId, { name: 'a', size: 100, codec: 'zstd' });
      assert.equal(v.version, 1);
      assert.equal((await s.getVersion('a'))?.size, 100);
      assert.equal(await put(s, 'a', [1, 2]), 2);
      assert.equal((await s.getVersion('a'))?.version, 2);
      assert.equal((await s.getVersion('a', 1))?.chunkCount, 1);
      assert.equal(await s.getVersion('a', 3), undefined);
      assert.deepEqual((await s.listVersions('a')).map((x) => x.version), [1, 2]);
    }));

    it('claims deduplicate: present chunks are not written again, within and across files', withStore(async (s) => {
      await put(s, 'a', [1, 2, 3]);
      const { sessionId } = await s.beginUpload('b');
      const claims = await s.claimChunks(sessionId, [id(1), id(2), id(9), id(9)]);
      assert.deepEqual([...claims].sort(), [[id(1), 'present'], [id(2), 'present'], [id(9), 'write']]);
      await s.abortUpload(sessionId);
    }));

    it('counts references exactly through puts and deletes', withStore(async (s) => {
      await put(s, 'a', [1, 2, 2]);
      await put(s, 'b', [2, 3]);
      assert.equal((await s.getChunk(id(2)))?.refcount, 3);
      assert.equal(await s.deleteFile('a'), 1);
      assert.equal((await s.getChunk(id(2)))?.refcount, 1);
      assert.equal((await s.getChunk(id(1)))?.refcount, 0);
      assert.equal(await s.deleteFile('a'), 0);
      await put(s, 'b', [3]);
      assert.equal(await s.deleteFile('b', 1), 1);
      assert.equal((await s.getChunk(id(3)))?.refcount, 1);
      assert.equal((await s.getVersion('b'))?.version, 2);
    }));

    it('refuses to commit a chunk without a stored copy and leaves nothing visible', withStore(async (s) => {
      const { sessionId } = await s.beginUpload('x');
      await s.claimChunks(sessionId, [id(5)]);
      await s.stageChunks(sessionId, [{ seq: 0, offset: 0, length: 100, id: id(5) }]);
      await assert.rejects(s.commitUpload(sessionId, { name: 'x', size: 100, codec: 'zstd' }), /no stored copy/);
      assert.equal(await s.getVersion('x'), undefined);
    }));

    it('gc protocol: claimed and referenced chunks are safe, garbage is marked, busy, then forgotten', withStore(async (s) => {
      await put(s, 'keep', [1]);
      await put(s, 'drop', [2]);
      await s.deleteFile('drop');
      const { sessionId } = await s.beginUpload('live');
      await s.claimChunks(sessionId, [id(3)]);
      const garbage = await s.markGarbage(100);
      assert.deepEqual(garbage, [{ id: id(2), backends: ['b1'] }]);
      const other = await s.beginUpload('racer');
      assert.equal((await s.claimChunks(other.sessionId, [id(2)])).get(id(2)), 'busy');
      await s.forgetGarbage([id(2)]);
      assert.equal(await s.getChunk(id(2)), undefined);
      assert.equal((await s.claimChunks(other.sessionId, [id(2)])).get(id(2)), 'write');
      assert.deepEqual(await s.existingChunks([id(1), id(2), id(3), id(4)]), new Set([id(1), id(2), id(3)]));
    }));

    it('expired sessions release their claims; unmarked garbage returns to live', withStore(async (s) => {
      const { sessionId } = await s.beginUpload('dead');
      await s.claimChunks(sessionId, [id(7)]);
      assert.deepEqual(await s.markGarbage(10), []);
      assert.equal(await s.expireSessions(Date.now() + 1000), 1);
      const g = await s.markGarbage(10);
      assert.deepEqual(g.map((x) => x.id), [id(7)]);
      await s.unmarkGarbage([id(7)]);
      const again = await s.beginUpload('next');
      assert.notEqual((await s.claimChunks(again.sessionId, [id(7)])).get(id(7)), 'busy');
      await assert.rejects(s.commitUpload(sessionId, { name: 'dead', size: 0, codec: 'zstd' }), /expired/);
    }));

    it('lists files in name order with prefixes treated literally and pagination', withStore(async (s) => {
      const names = ['a%b', 'a_b', 'ab', 'a/x', 'a/y', 'b', 'ünï', 'new\nline', '-dash', '../up', '/abs'];
      for (const [i, n] of names.entries()) await put(s, n, [100 + i]);
      assert.deepEqual((await all(s.listFiles())).map((f) => f.name), [...names].sort((x, y) => (Buffer.from(x) < Buffer.from(y) ? -1 : 1)));
      assert.deepEqual((await all(s.listFiles({ prefix: 'a%' }))).map((f) => f.name), ['a%b']);
      assert.deepEqual((await all(s.listFiles({ prefix: 'a_' }))).map((f) => f.name), ['a_b']);
      assert.deepEqual((await all(s.listFiles({ prefix: 'a/' }))).map((f) => f.name), ['a/x', 'a/y']);
      const page = await all(s.listFiles({ prefix: 'a', after: 'a/x', limit: 2 }));
      assert.deepEqual(page.map((f) => f.name), ['a/y', 'a_b']);
      const f = (await all(s.listFiles({ prefix: 'b' })))[0]!;
      assert.deepEqual({ size: f.size, storedSize: f.storedSize, versions: f.versions }, { size: 100, storedSize: 40, versions: 1 });
    }));

    it('streams long chunk lists in order and from an offset', withStore(async (s) => {
      const ids = Array.from({ length: 10_000 }, (_, i) => i + 1);
      await put(s, 'long', ids);
      const v = (await s.getVersion('long'))!;
      let n = 0;
      for await (const c of s.versionChunks(v.versionId)) {
        assert.equal(c.seq, n++);
        assert.equal(c.chunk.copies[0]?.backend, 'b1');
      }
      assert.equal(n, 10_000);
      const from = await all(s.versionChunks(v.versionId, 123_456));
      assert.equal(from[0]!.offset, 123_400);
      assert.equal(from.length, 10_000 - 1234);
      assert.equal((await all(s.chunks({ pageSize: 777 }))).length, 10_000);
    }));

    it('round-trips sizes above 4 GiB', withStore(async (s) => {
      const { sessionId } = await s.beginUpload('huge');
      await s.claimChunks(sessionId, [id(1)]);
      await s.recordStored(sessionId, [{ id: id(1), rawSize: 100, storedSize: 40, codecId: 2, backends: ['b1'] }]);
      await s.stageChunks(sessionId, [{ seq: 0, offset: 6 * 2 ** 30, length: 100, id: id(1) }]);
      await s.commitUpload(sessionId, { name: 'huge', size: 6 * 2 ** 30 + 100, codec: 'none' });
      assert.equal((await s.getVersion('huge'))?.size, 6 * 2 ** 30 + 100);
      const v = (await s.getVersion('huge'))!;
      assert.equal((await all(s.versionChunks(v.versionId)))[0]!.offset, 6 * 2 ** 30);
    }));

    it('records the erasure shard index of each copy (none for whole replicas)', withStore(async (s) => {
      const { sessionId } = await s.beginUpload('ec');
      await s.claimChunks(sessionId, [id(7), id(8)]);
      await s.recordStored(sessionId, [
        { id: id(7), rawSize: 100, storedSize: 40, codecId: 2, backends: ['b1', 'b2', 'b3'], shards: [{ backend: 'b1', index: 0 }, { backend: 'b2', index: 2 }, { backend: 'b3', index: 1 }] },
        { id: id(8), rawSize: 100, storedSize: 40, codecId: 2, backends: ['b1'] },
      ]);
      await s.stageChunks(sessionId, [{ seq: 0, offset: 0, length: 100, id: id(7) }, { seq: 1, offset: 100, length: 100, id: id(8) }]);
      await s.commitUpload(sessionId, { name: 'ec', size: 200, codec: 'none' });
      const shards = (c: { copies: { backend: string; shard?: number }[] } | undefined) => c?.copies.map((k) => [k.backend, k.shard]);
      assert.deepEqual(shards(await s.getChunk(id(7))), [['b1', 0], ['b2', 2], ['b3', 1]]);
      assert.deepEqual(shards(await s.getChunk(id(8))), [['b1', undefined]]);
      assert.equal('shard' in (await s.getChunk(id(8)))!.copies[0]!, false);
      await s.addCopy(id(7), 'b4', 3);
      await s.setCopyState(id(7), 'b2', 'missing');
      await s.addCopy(id(7), 'b2', 2);
      await s.addCopy(id(8), 'b2');
      assert.deepEqual(shards(await s.getChunk(id(7))), [['b1', 0], ['b2', 2], ['b3', 1], ['b4', 3]]);
      assert.deepEqual(shards(await s.getChunk(id(8))), [['b1', undefined], ['b2', undefined]]);
      const v = (await s.getVersion('ec'))!;
      const listed = await all(s.versionChunks(v.versionId));
      assert.deepEqual(listed[0]!.chunk.copies.map((k) => k.shard), [0, 2, 1, 3]);
    }));

    it('tracks copy states and reports exact stats', withStore(async (s) => {
      await put(s, 'a', [1, 2]);
      await put(s, 'b', [2]);
      await s.addCopy(id(1), 'b2');
      await s.setCopyState(id(2), 'b1', 'corrupt');
      assert.deepEqual((await s.getChunk(id(2)))?.copies.map((c) => [c.backend, c.state]), [['b1', 'corrupt']]);
      const st = await s.stats();
      assert.equal(st.files, 2);
      assert.equal(st.versions, 2);
      assert.equal(st.logicalBytes, 300);
      assert.equal(st.uniqueBytes, 200);
      assert.equal(st.storedBytes, 80);
      assert.equal(st.chunks, 2);
      assert.deepEqual(st.perCodec, [{ codecId: 2, chunks: 2, rawBytes: 200, storedBytes: 80 }]);
      assert.deepEqual(st.perBackend, [
        { backend: 'b1', copies: 2, bytes: 40, missing: 0, corrupt: 1 },
        { backend: 'b2', copies: 1, bytes: 40, missing: 0, corrupt: 0 },
      ]);
      assert.equal(st.physicalBytes, 80);
      await s.removeCopy(id(1), 'b2');
      assert.equal((await s.getChunk(id(1)))?.copies.length, 1);
    }));
  });
}
