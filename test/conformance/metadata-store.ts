// ONE behavioural contract for every MetadataStore (SQLite and PostgreSQL alike): the upload
// protocol (streamed and resumable), versions, listing, reference counts, the gc-safety rules and
// the analytics counters, and the S3 front end's registry (buckets, access keys, copies of versions).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DcsError, FileNotFoundError } from '../../src/core/errors.ts';
import type { MetadataStore, StagedChunk, VersionRecord } from '../../src/metadata/metadata-store.ts';

export interface MetadataUnderTest {
  store: MetadataStore;
  cleanup(): Promise<void>;
}

const id = (n: number): string => n.toString(16).padStart(64, '0');

/** Run a whole upload of the given chunk ids (each 100 bytes) through the protocol. */
async function put(store: MetadataStore, name: string, ids: number[], backend = 'b1', attributes?: string): Promise<number> {
  const { sessionId } = await store.beginUpload(name);
  const claims = await store.claimChunks(sessionId, ids.map(id));
  const toWrite = [...claims].filter(([, r]) => r === 'write').map(([k]) => k);
  await store.recordStored(sessionId, toWrite.map((k) => ({ id: k, rawSize: 100, storedSize: 40, codecId: 2, backends: [backend] })));
  const staged: StagedChunk[] = ids.map((n, seq) => ({ seq, offset: seq * 100, length: 100, id: id(n) }));
  await store.stageChunks(sessionId, staged);
  return (await store.commitUpload(sessionId, { name, size: ids.length * 100, codec: 'zstd', ...(attributes === undefined ? {} : { attributes }) })).version;
}

/**
 * Send one part of a resumable upload as the engine would: claim its chunks, record the ones to
 * write, stage the part (with its etag, when given). `chunks` are [chunk number, length] in part order.
 */
export async function sendPart(store: MetadataStore, sessionId: string, part: number, chunks: [number, number][], etag?: string): Promise<void> {
  const claims = await store.claimChunks(sessionId, chunks.map(([n]) => id(n)));
  const toWrite = [...claims].filter(([, r]) => r === 'write').map(([k]) => k);
  // A chunk's recorded size is its length: commits refuse a staged length that is not the chunk's.
  const lengthOf = new Map(chunks.map(([n, length]) => [id(n), length]));
  await store.recordStored(sessionId, toWrite.map((k) => ({ id: k, rawSize: lengthOf.get(k)!, storedSize: 40, codecId: 2, backends: ['b1'] })));
  let offset = 0;
  const entries = chunks.map(([n, length]) => {
    const e = { offset, length, id: id(n) };
    offset += length;
    return e;
  });
  await store.stagePart(sessionId, part, offset, entries, etag);
}

/**
 * Complete a resumable upload of parts 1..count as the engine does, minus its re-chunking around
 * part boundaries: read each part's chunk list, stage the concatenation at absolute offsets, commit.
 */
export async function commitResumable(store: MetadataStore, sessionId: string, info: { name: string; codec: string }, count: number): Promise<VersionRecord> {
  const staged: StagedChunk[] = [];
  let base = 0;
  for (let part = 1; part <= count; part++) {
    let size = 0;
    for (const c of await store.partChunks(sessionId, part)) {
      staged.push({ seq: staged.length, offset: base + c.offset, length: c.length, id: c.id });
      size += c.length;
    }
    base += size;
  }
  await store.stageChunks(sessionId, staged);
  return store.commitUpload(sessionId, { ...info, size: base });
}

const hasCode = (code: string, message?: RegExp) => (e: unknown) =>
  e instanceof DcsError && e.code === code && (message === undefined || message.test(e.message));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const byteOrder = (x: string, y: string): number => Buffer.compare(Buffer.from(x), Buffer.from(y));

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

    it('markGarbage among given ids marks only those of them that are garbage', withStore(async (s) => {
      await put(s, 'keep', [1]);
      for (const [name, n] of [['d2', 2], ['d3', 3], ['d4', 4]] as const) {
        await put(s, name, [n]);
        await s.deleteFile(name);
      }
      const { sessionId } = await s.beginUpload('live');
      await s.claimChunks(sessionId, [id(4)]);
      // 1 is referenced, 4 claimed, 5 unknown: of these only 2 is garbage; 3 is garbage but not asked about.
      assert.deepEqual((await s.markGarbage(10, [id(5), id(4), id(2), id(1), id(2)])).map((g) => g.id), [id(2)]);
      assert.deepEqual((await s.markGarbage(10, [])).map((g) => g.id), []);
      // What gc marks next: 3, and 2 again (marked, not yet forgotten).
      assert.deepEqual((await s.markGarbage(10)).map((g) => g.id), [id(2), id(3)]);
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

    it('commitFiles commits many files in one go, in order, with exact references and stored sizes', withStore(async (s) => {
      await put(s, 'old', [1]);
      const { sessionId } = await s.beginUpload('batch');
      const claims = await s.claimChunks(sessionId, [id(1), id(2), id(3)]);
      assert.deepEqual([...claims].sort(), [[id(1), 'present'], [id(2), 'write'], [id(3), 'write']]);
      await s.recordStored(sessionId, [id(2), id(3)].map((k) => ({ id: k, rawSize: 100, storedSize: 40, codecId: 2, backends: ['b1'] })));
      const list = (ns: number[]): StagedChunk[] => ns.map((n, seq) => ({ seq, offset: seq * 100, length: 100, id: id(n) }));
      const done = await s.commitFiles(sessionId, [
        { name: 'a', size: 200, codec: 'zstd', chunks: list([1, 2]) },
        { name: 'b', size: 100, codec: 'zstd', chunks: list([3]), attributes: '{"etag":"b"}' },
        { name: 'a', size: 100, codec: 'zstd', chunks: list([2]) },
        { name: 'empty', size: 0, codec: 'zstd', chunks: [] },
      ]);
      assert.deepEqual(done.map((d) => [d.version.name, d.version.version, d.version.size, d.storedSize]), [['a', 1, 200, 80], ['b', 1, 100, 40], ['a', 2, 100, 40], ['empty', 1, 0, 0]]);
      // Attributes given with a file are its version's; the others have none.
      assert.equal(done[1]!.version.attributes, '{"etag":"b"}');
      assert.equal((await s.getVersion('b'))?.attributes, '{"etag":"b"}');
      assert.equal('attributes' in (await s.getVersion('a'))!, false);
      assert.equal((await s.getChunk(id(1)))?.refcount, 2);
      assert.equal((await s.getChunk(id(2)))?.refcount, 2);
      assert.deepEqual((await all(s.versionChunks(done[0]!.version.versionId))).map((c) => c.chunk.id), [id(1), id(2)]);
      assert.equal((await s.fileAccess('a'))?.uploads, 2);
      // The session is gone: committing it again fails.
      await assert.rejects(s.commitFiles(sessionId, []), /expired/);
    }));

    it('commitFiles refuses them all when one file has an unstored chunk or a list that does not tile', withStore(async (s) => {
      const { sessionId } = await s.beginUpload('batch');
      await s.claimChunks(sessionId, [id(1), id(2)]);
      await s.recordStored(sessionId, [{ id: id(1), rawSize: 100, storedSize: 40, codecId: 2, backends: ['b1'] }]);
      const one = { seq: 0, offset: 0, length: 100, id: id(1) };
      await assert.rejects(
        s.commitFiles(sessionId, [{ name: 'ok', size: 100, codec: 'zstd', chunks: [one] }, { name: 'bad', size: 100, codec: 'zstd', chunks: [{ ...one, id: id(2) }] }]),
        hasCode('COMMIT_REFUSED', /"bad".*no stored copy/),
      );
      await assert.rejects(s.commitFiles(sessionId, [{ name: 'gap', size: 200, codec: 'zstd', chunks: [one] }]), hasCode('COMMIT_REFUSED', /covers 100 bytes/));
      await assert.rejects(s.commitFiles(sessionId, [{ name: 'len', size: 50, codec: 'zstd', chunks: [{ ...one, length: 50 }] }]), hasCode('COMMIT_REFUSED', /is 100 bytes but was staged as 50/));
      assert.equal(await s.getVersion('ok'), undefined);
      assert.equal((await s.getChunk(id(1)))?.refcount, 0);
      const [v] = await s.commitFiles(sessionId, [{ name: 'ok', size: 100, codec: 'zstd', chunks: [one] }]);
      assert.equal(v!.version.version, 1);
    }));

    it('latestVersions: each name\'s latest version with its source stamp and chunk list', withStore(async (s) => {
      await put(s, 'plain', [1, 2]);
      const { sessionId } = await s.beginUpload('batch');
      await s.claimChunks(sessionId, [id(3)]);
      await s.recordStored(sessionId, [{ id: id(3), rawSize: 100, storedSize: 40, codecId: 2, backends: ['b1'] }]);
      const one = (n: number): StagedChunk[] => [{ seq: 0, offset: 0, length: 100, id: id(n) }];
      await s.commitFiles(sessionId, [
        { name: 'stamped', size: 100, codec: 'zstd', chunks: one(3), sourceStamp: 'old' },
        { name: 'stamped', size: 100, codec: 'zstd', chunks: one(1), sourceStamp: 'new' },
      ]);
      const latest = await s.latestVersions(['plain', 'stamped', 'missing', 'plain']);
      assert.deepEqual([...latest.keys()].sort(), ['plain', 'stamped']);
      const stamped = latest.get('stamped')!;
      assert.deepEqual([stamped.version.version, stamped.sourceStamp, stamped.storedSize, stamped.chunks], [2, 'new', 40, one(1)]);
      const plain = latest.get('plain')!;
      assert.equal(plain.sourceStamp, undefined);
      assert.deepEqual(plain.chunks.map((c) => [c.seq, c.offset, c.id]), [[0, 0, id(1)], [1, 100, id(2)]]);
    }));

    it('packs: chunks inside a pack read with its copies, dedup against it, and release it when forgotten', withStore(async (s) => {
      const pack = id(0xaa);
      const { sessionId } = await s.beginUpload('small');
      await s.claimChunks(sessionId, [id(1), id(2), pack]);
      await s.recordStored(sessionId, [
        { id: pack, rawSize: 300, storedSize: 320, codecId: 6, backends: ['b1', 'b2'] },
        { id: id(1), rawSize: 100, storedSize: 60, codecId: 2, backends: [], pack: { id: pack, offset: 92 } },
        { id: id(2), rawSize: 100, storedSize: 70, codecId: 2, backends: [], pack: { id: pack, offset: 152 } },
      ]);
      // Recording the same chunks again (a retried call) counts nothing twice.
      await s.recordStored(sessionId, [{ id: id(2), rawSize: 100, storedSize: 70, codecId: 2, backends: [], pack: { id: pack, offset: 152 } }]);
      assert.equal((await s.getChunk(pack))?.refcount, 2);
      const [a, b] = await s.commitFiles(sessionId, [
        { name: 'a', size: 100, codec: 'zstd', chunks: [{ seq: 0, offset: 0, length: 100, id: id(1) }] },
        { name: 'b', size: 100, codec: 'zstd', chunks: [{ seq: 0, offset: 0, length: 100, id: id(2) }] },
      ]);
      assert.equal(a!.storedSize, 60);
      assert.equal(b!.storedSize, 70);
      const [vc] = await all(s.versionChunks(a!.version.versionId));
      assert.deepEqual(vc!.chunk.pack, { id: pack, offset: 92, storedSize: 320 });
      assert.deepEqual(vc!.chunk.copies.map((c) => c.backend), ['b1', 'b2']);
      assert.deepEqual((await s.getChunk(id(2)))?.pack, { id: pack, offset: 152, storedSize: 320 });
      // What verify, repair and rebalance walk: the pack, not the chunks inside it.
      assert.deepEqual((await all(s.chunks())).map((c) => c.id), [pack]);
      // Stats count the chunks, not the pack; the backends hold the pack's copies.
      const st = await s.stats();
      assert.equal(st.chunks, 2);
      assert.equal(st.storedBytes, 130);
      assert.equal(st.physicalBytes, 640);
      // Dedup: a chunk inside a pack with an ok copy is present; with no ok copy left, it is written again.
      const next = await s.beginUpload('c');
      assert.equal((await s.claimChunks(next.sessionId, [id(1)])).get(id(1)), 'present');
      await s.setCopyState(pack, 'b1', 'corrupt');
      await s.setCopyState(pack, 'b2', 'missing');
      assert.equal((await s.claimChunks(next.sessionId, [id(2)])).get(id(2)), 'write');
      // Written whole again: it leaves the pack, which loses a reference.
      await s.recordStored(next.sessionId, [{ id: id(2), rawSize: 100, storedSize: 50, codecId: 2, backends: ['b3'] }]);
      const whole = await s.getChunk(id(2));
      assert.equal(whole?.pack, undefined);
      assert.deepEqual(whole?.copies.map((c) => c.backend), ['b3']);
      assert.equal((await s.getChunk(pack))?.refcount, 1);
      await s.abortUpload(next.sessionId);
      // gc: the chunk inside the pack has no object of its own; forgetting it releases the pack.
      await s.deleteFile('a');
      const marked = await s.markGarbage(10);
      assert.deepEqual(marked, [{ id: id(1), backends: [], inPack: true }]);
      await s.forgetGarbage([id(1)]);
      assert.equal((await s.getChunk(pack))?.refcount, 0);
      assert.deepEqual((await s.markGarbage(10)).map((g) => [g.id, g.backends, g.inPack]), [[pack, ['b1', 'b2'], undefined]]);
      await s.forgetGarbage([pack]);
      assert.equal(await s.getChunk(pack), undefined);
      assert.equal((await s.getVersion('b'))?.version, 1);
    }));

    it('sparsePacks: packs whose remaining chunks hold less than the given share, with those chunks in pack order', withStore(async (s) => {
      const [p1, p2] = [id(0xb1), id(0xb2)];
      const { sessionId } = await s.beginUpload('packs');
      await s.claimChunks(sessionId, [p1, p2, id(1), id(2), id(3), id(4)]);
      await s.recordStored(sessionId, [
        { id: p1, rawSize: 400, storedSize: 420, codecId: 6, backends: ['b1'] },
        { id: p2, rawSize: 200, storedSize: 220, codecId: 6, backends: ['b2'] },
        { id: id(1), rawSize: 100, storedSize: 100, codecId: 2, backends: [], pack: { id: p1, offset: 172 } },
        { id: id(2), rawSize: 100, storedSize: 100, codecId: 2, backends: [], pack: { id: p1, offset: 72 } },
        { id: id(3), rawSize: 100, storedSize: 100, codecId: 2, backends: [], pack: { id: p2, offset: 92 } },
        { id: id(4), rawSize: 100, storedSize: 90, codecId: 0, backends: [], pack: { id: p2, offset: 0 } },
      ]);
      const chunk = (n: number): StagedChunk[] => [{ seq: 0, offset: 0, length: 100, id: id(n) }];
      await s.commitFiles(sessionId, [1, 2, 3, 4].map((n) => ({ name: `f${n}`, size: 100, codec: 'zstd', chunks: chunk(n) })));
      // p1: 200 of 420 bytes in use (48%); p2: 190 of 220 (86%).
      assert.deepEqual((await s.sparsePacks({ maxLiveFraction: 0.5, limit: 10 })).map((p) => p.pack.id), [p1]);
      assert.deepEqual((await s.sparsePacks({ maxLiveFraction: 0.9, limit: 10 })).map((p) => p.pack.id), [p1, p2]);
      assert.deepEqual((await s.sparsePacks({ maxLiveFraction: 0.9, limit: 1, after: p1 })).map((p) => p.pack.id), [p2]);
      const [sparse] = await s.sparsePacks({ maxLiveFraction: 0.5, limit: 10 });
      assert.equal(sparse!.liveBytes, 200);
      assert.deepEqual(sparse!.pack.copies.map((c) => c.backend), ['b1']);
      assert.deepEqual(sparse!.members, [
        { id: id(2), offset: 72, storedSize: 100, rawSize: 100, codecId: 2 },
        { id: id(1), offset: 172, storedSize: 100, rawSize: 100, codecId: 2 },
      ]);
      // Its chunks moved to a new pack (as gc's repack records them): nothing of it is left to list.
      const p3 = id(0xb3);
      const again = await s.beginUpload('repack');
      await s.claimChunks(again.sessionId, [p3]);
      await s.recordStored(again.sessionId, [
        { id: p3, rawSize: 200, storedSize: 220, codecId: 6, backends: ['b1'] },
        ...sparse!.members.map((m, i) => ({ id: m.id, rawSize: m.rawSize, storedSize: m.storedSize, codecId: m.codecId, backends: [], pack: { id: p3, offset: 12 + 80 + i * 100 } })),
      ]);
      await s.abortUpload(again.sessionId);
      assert.equal((await s.getChunk(p1))?.refcount, 0);
      assert.equal((await s.getChunk(p3))?.refcount, 2);
      assert.deepEqual((await s.sparsePacks({ maxLiveFraction: 0.5, limit: 10 })).map((p) => p.pack.id), []);
      assert.deepEqual((await s.markGarbage(10)).map((g) => g.id), [p1]);
    }));

    it('packs: a chunk another session stored whole meanwhile stays whole; a chunk moves to a newer pack', withStore(async (s) => {
      const [p1, p2] = [id(0xa1), id(0xa2)];
      const one = await s.beginUpload('one');
      const two = await s.beginUpload('two');
      await s.claimChunks(one.sessionId, [id(1), p1]);
      await s.claimChunks(two.sessionId, [id(1)]);
      await s.recordStored(two.sessionId, [{ id: id(1), rawSize: 100, storedSize: 50, codecId: 2, backends: ['b1'] }]);
      await s.recordStored(one.sessionId, [
        { id: p1, rawSize: 200, storedSize: 220, codecId: 6, backends: ['b1'] },
        { id: id(1), rawSize: 100, storedSize: 60, codecId: 2, backends: [], pack: { id: p1, offset: 52 } },
      ]);
      assert.equal((await s.getChunk(id(1)))?.pack, undefined);
      assert.equal((await s.getChunk(p1))?.refcount, 0);
      // A chunk in a pack that lost its copies, packed again: it points at the new pack.
      await s.claimChunks(one.sessionId, [id(2)]);
      await s.recordStored(one.sessionId, [{ id: id(2), rawSize: 100, storedSize: 60, codecId: 2, backends: [], pack: { id: p1, offset: 112 } }]);
      await s.setCopyState(p1, 'b1', 'missing');
      await s.claimChunks(one.sessionId, [p2]);
      await s.recordStored(one.sessionId, [
        { id: p2, rawSize: 150, storedSize: 170, codecId: 6, backends: ['b2'] },
        { id: id(2), rawSize: 100, storedSize: 60, codecId: 2, backends: [], pack: { id: p2, offset: 52 } },
      ]);
      assert.deepEqual((await s.getChunk(id(2)))?.pack, { id: p2, offset: 52, storedSize: 170 });
      assert.equal((await s.getChunk(p1))?.refcount, 0);
      assert.equal((await s.getChunk(p2))?.refcount, 1);
      await s.commitFiles(one.sessionId, [{ name: 'x', size: 100, codec: 'zstd', chunks: [{ seq: 0, offset: 0, length: 100, id: id(2) }] }]);
      await s.abortUpload(two.sessionId);
      assert.deepEqual((await all(s.chunks())).map((c) => c.id).sort(), [p1, p2].sort());
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
      await s.claimChunks(sessionId, [id(1), id(2)]);
      // Four 1.5 GiB entries (lengths are 32-bit), then 100 bytes at 6 GiB.
      const big = 1.5 * 2 ** 30;
      await s.recordStored(sessionId, [[1, big], [2, 100]].map(([n, rawSize]) => ({ id: id(n!), rawSize: rawSize!, storedSize: 40, codecId: 2, backends: ['b1'] })));
      const staged: StagedChunk[] = [0, 1, 2, 3].map((seq) => ({ seq, offset: seq * big, length: big, id: id(1) }));
      staged.push({ seq: 4, offset: 6 * 2 ** 30, length: 100, id: id(2) });
      await s.stageChunks(sessionId, staged);
      await s.commitUpload(sessionId, { name: 'huge', size: 6 * 2 ** 30 + 100, codec: 'none' });
      assert.equal((await s.getVersion('huge'))?.size, 6 * 2 ** 30 + 100);
      const v = (await s.getVersion('huge'))!;
      assert.deepEqual((await all(s.versionChunks(v.versionId))).map((c) => c.offset), [0, big, 2 * big, 3 * big, 6 * 2 ** 30]);
      assert.deepEqual((await all(s.versionChunks(v.versionId, 6 * 2 ** 30 + 50))).map((c) => c.seq), [4]);
    }));

    it('records the erasure shard index of each copy (none for whole replicas)', withStore(async (s) => {
      const { sessionId } = await s.beginUpload('ec');
      await s.claimChunks(sessionId, [id(7), id(8)]);
      await s.recordStored(sessionId, [
        { id: id(7), rawSize: 100, storedSize: 40, codecId: 2, backends: ['b1', 'b2', 'b3'], shards: [{ backend: 'b1', index: 0 }, { backend: 'b2', index: 2 }, { backend: 'b3', index: 1 }], shardBytes: 44 },
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
      // A shard copy occupies one shard object (44 bytes here), a whole copy the envelope (40).
      await s.setCopyState(id(7), 'b3', 'corrupt');
      const st = await s.stats();
      assert.deepEqual(st.perBackend, [
        { backend: 'b1', copies: 2, bytes: 44 + 40, missing: 0, corrupt: 0 },
        { backend: 'b2', copies: 2, bytes: 44 + 40, missing: 0, corrupt: 0 },
        { backend: 'b3', copies: 1, bytes: 0, missing: 0, corrupt: 1 },
        { backend: 'b4', copies: 1, bytes: 44, missing: 0, corrupt: 0 },
      ]);
      assert.equal(st.physicalBytes, 3 * 44 + 2 * 40);
      assert.equal(st.storedBytes, 80, 'stored bytes count each chunk once, however it is spread');
    }));

    it('stats count referenced chunks; unreferenced ones are reclaimable until gc forgets them', withStore(async (s) => {
      await put(s, 'keep', [1, 2]);
      await put(s, 'drop', [2, 3, 4]);
      await s.deleteFile('drop');
      const st = await s.stats();
      assert.equal(st.logicalBytes, 200);
      assert.equal(st.uniqueBytes, 200, 'chunks 1 and 2 only');
      assert.equal(st.storedBytes, 80);
      assert.equal(st.chunks, 2);
      assert.equal(st.reclaimableChunks, 2);
      assert.equal(st.reclaimableBytes, 80);
      assert.equal(st.physicalBytes, 160, 'the backends still hold the unreferenced chunks');
      const garbage = await s.markGarbage(10);
      await s.forgetGarbage(garbage.map((g) => g.id));
      const after = await s.stats();
      assert.equal(after.reclaimableChunks, 0);
      assert.equal(after.physicalBytes, 80);
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

    it('resumable upload: parts sent out of order commit in part order, at running offsets', withStore(async (s) => {
      const { sessionId } = await s.beginResumableUpload('big', { codec: 'zstd', level: 7 });
      const begun = (await s.getResumableUpload(sessionId))!;
      assert.deepEqual({ ...begun, startedAt: 0, heartbeatAt: 0 }, { sessionId, name: 'big', codec: 'zstd', level: 7, startedAt: 0, heartbeatAt: 0, parts: [] });
      await sendPart(s, sessionId, 3, [[5, 30]]);
      await sendPart(s, sessionId, 1, [[1, 100], [2, 100]]);
      await sendPart(s, sessionId, 2, [[3, 50], [4, 70], [1, 100]]);
      const r = (await s.getResumableUpload(sessionId))!;
      assert.deepEqual(r.parts.map((p) => [p.part, p.size, p.chunkCount]), [[1, 200, 2], [2, 220, 3], [3, 30, 1]]);
      assert.equal(await s.getVersion('big'), undefined);
      assert.deepEqual((await s.partChunks(sessionId, 2)).map((c) => [c.offset, c.length, c.id]), [[0, 50, id(3)], [50, 70, id(4)], [120, 100, id(1)]]);

      const v = await commitResumable(s, sessionId, { name: 'big', codec: 'zstd' }, 3);
      assert.deepEqual({ version: v.version, size: v.size, chunkCount: v.chunkCount, codec: v.codec }, { version: 1, size: 450, chunkCount: 6, codec: 'zstd' });
      const listed = await all(s.versionChunks(v.versionId));
      assert.deepEqual(listed.map((c) => [c.seq, c.offset, c.length, c.chunk.id]), [
        [0, 0, 100, id(1)],
        [1, 100, 100, id(2)],
        [2, 200, 50, id(3)],
        [3, 250, 70, id(4)],
        [4, 320, 100, id(1)],
        [5, 420, 30, id(5)],
      ]);
      assert.deepEqual((await all(s.versionChunks(v.versionId, 300))).map((c) => c.seq), [3, 4, 5]);
      assert.equal((await s.getChunk(id(1)))?.refcount, 2);
      assert.equal((await s.getChunk(id(5)))?.refcount, 1);
      assert.equal((await all(s.listFiles()))[0]?.storedSize, 5 * 40);

      // The session is gone: nothing more can be added to it or committed twice.
      assert.equal(await s.getResumableUpload(sessionId), undefined);
      await assert.rejects(sendPart(s, sessionId, 4, [[6, 10]]), hasCode('SESSION_EXPIRED'));
      await assert.rejects(s.stagePart(sessionId, 4, 0, []), hasCode('UPLOAD_NOT_FOUND'));
      await assert.rejects(s.partChunks(sessionId, 1), hasCode('UPLOAD_NOT_FOUND'));
      await assert.rejects(s.unstageAll(sessionId), hasCode('UPLOAD_NOT_FOUND'));
      await assert.rejects(s.commitUpload(sessionId, { name: 'big', size: 0, codec: 'zstd' }), hasCode('SESSION_EXPIRED'));
      const again = await s.beginResumableUpload('big', { codec: 'none' });
      await sendPart(s, again.sessionId, 1, [[1, 100]]);
      assert.equal((await commitResumable(s, again.sessionId, { name: 'big', codec: 'none' }, 1)).version, 2);
      assert.equal((await s.getChunk(id(1)))?.refcount, 3);
    }));

    it('resumable upload: a part sent again replaces the earlier one', withStore(async (s) => {
      const { sessionId } = await s.beginResumableUpload('r', { codec: 'auto' });
      assert.equal((await s.getResumableUpload(sessionId))?.level, undefined);
      await sendPart(s, sessionId, 1, [[1, 100], [2, 100]]);
      await sendPart(s, sessionId, 2, [[4, 60]]);
      assert.deepEqual(await s.partChunks(sessionId, 1), [{ offset: 0, length: 100, id: id(1) }, { offset: 100, length: 100, id: id(2) }]);
      await sendPart(s, sessionId, 1, [[3, 80]]);
      assert.deepEqual(await s.partChunks(sessionId, 1), [{ offset: 0, length: 80, id: id(3) }]);
      assert.deepEqual(await s.partChunks(sessionId, 2), [{ offset: 0, length: 60, id: id(4) }]);
      assert.deepEqual((await s.getResumableUpload(sessionId))?.parts.map((p) => [p.part, p.size, p.chunkCount]), [[1, 80, 1], [2, 60, 1]]);
      const v = await commitResumable(s, sessionId, { name: 'r', codec: 'auto' }, 2);
      assert.equal(v.size, 140);
      assert.deepEqual((await all(s.versionChunks(v.versionId))).map((c) => [c.offset, c.length, c.chunk.id]), [[0, 80, id(3)], [80, 60, id(4)]]);
      // The replaced part's chunks are referenced by nothing: garbage once the session is gone.
      assert.equal((await s.getChunk(id(1)))?.refcount, 0);
      assert.deepEqual((await s.markGarbage(10)).map((g) => g.id), [id(1), id(2)]);
    }));

    it('resumable upload: a part never sent reads as an empty list; the session stays usable', withStore(async (s) => {
      const { sessionId } = await s.beginResumableUpload('gappy', { codec: 'zstd' });
      await sendPart(s, sessionId, 2, [[2, 100]]);
      assert.deepEqual(await s.partChunks(sessionId, 1), []);
      await sendPart(s, sessionId, 1, [[1, 100]]);
      await sendPart(s, sessionId, 4, [[4, 100]]);
      assert.deepEqual(await s.partChunks(sessionId, 3), []);
      assert.deepEqual(await s.partChunks(sessionId, 99), []);
      assert.equal(await s.getVersion('gappy'), undefined);
      assert.equal(await s.fileAccess('gappy'), undefined);
      assert.equal((await s.getChunk(id(1)))?.refcount, 0);
      assert.deepEqual(await s.markGarbage(10), [], 'the session still protects its chunks');
      assert.deepEqual((await s.getResumableUpload(sessionId))?.parts.map((p) => p.part), [1, 2, 4]);
      // Send the missing part and commit.
      await sendPart(s, sessionId, 3, [[3, 100]]);
      const v = await commitResumable(s, sessionId, { name: 'gappy', codec: 'zstd' }, 4);
      assert.deepEqual([v.version, v.size], [1, 400]);
      assert.deepEqual((await all(s.versionChunks(v.versionId))).map((c) => c.chunk.id), [id(1), id(2), id(3), id(4)]);
    }));

    it('resumable upload: zero parts make an empty version', withStore(async (s) => {
      const { sessionId } = await s.beginResumableUpload('empty', { codec: 'zstd' });
      const v = await commitResumable(s, sessionId, { name: 'empty', codec: 'zstd' }, 0);
      assert.deepEqual({ version: v.version, size: v.size, chunkCount: v.chunkCount }, { version: 1, size: 0, chunkCount: 0 });
      assert.deepEqual(await all(s.versionChunks(v.versionId)), []);
      assert.equal((await s.getVersion('empty'))?.size, 0);
    }));

    it('resumable upload: sessions and chunks are checked, streamed sessions are not resumable', withStore(async (s) => {
      assert.equal(await s.getResumableUpload('no-such-session'), undefined);
      await assert.rejects(s.stagePart('no-such-session', 1, 0, []), hasCode('UPLOAD_NOT_FOUND'));
      await assert.rejects(s.partChunks('no-such-session', 1), hasCode('UPLOAD_NOT_FOUND'));
      await assert.rejects(s.unstageAll('no-such-session'), hasCode('UPLOAD_NOT_FOUND'));
      const streamed = await s.beginUpload('s');
      assert.equal(await s.getResumableUpload(streamed.sessionId), undefined);
      await assert.rejects(s.stagePart(streamed.sessionId, 1, 0, []), hasCode('UPLOAD_NOT_FOUND'));
      await assert.rejects(s.partChunks(streamed.sessionId, 1), hasCode('UPLOAD_NOT_FOUND'));

      const { sessionId } = await s.beginResumableUpload('r', { codec: 'zstd' });
      const before = (await s.getResumableUpload(sessionId))!.heartbeatAt;
      // Claimed but never recorded as stored: the part is refused and not recorded.
      await s.claimChunks(sessionId, [id(1)]);
      await assert.rejects(s.stagePart(sessionId, 1, 100, [{ offset: 0, length: 100, id: id(1) }]), /no stored copy/);
      assert.deepEqual((await s.getResumableUpload(sessionId))?.parts, []);
      // Chunks must tile the part.
      await sendPart(s, sessionId, 1, [[2, 100]]);
      await assert.rejects(s.stagePart(sessionId, 2, 150, [{ offset: 0, length: 100, id: id(2) }]), hasCode('USAGE'));
      await assert.rejects(s.stagePart(sessionId, 2, 200, [{ offset: 0, length: 100, id: id(2) }, { offset: 150, length: 50, id: id(2) }]), hasCode('USAGE'));
      await assert.rejects(s.stagePart(sessionId, 0, 0, []), hasCode('USAGE'));
      assert.deepEqual((await s.getResumableUpload(sessionId))?.parts.map((p) => p.part), [1]);
      await sleep(5);
      await sendPart(s, sessionId, 2, [[2, 100]]);
      assert.ok((await s.getResumableUpload(sessionId))!.heartbeatAt > before, 'stagePart refreshes the heartbeat');
      assert.equal((await commitResumable(s, sessionId, { name: 'r', codec: 'zstd' }, 2)).size, 200);
    }));

    it('resumable upload: abort drops the session with its parts and claims', withStore(async (s) => {
      const { sessionId } = await s.beginResumableUpload('gone', { codec: 'zstd' });
      await sendPart(s, sessionId, 1, [[1, 100]]);
      assert.deepEqual(await s.markGarbage(10), []);
      await s.abortUpload(sessionId);
      assert.equal(await s.getResumableUpload(sessionId), undefined);
      await assert.rejects(s.partChunks(sessionId, 1), hasCode('UPLOAD_NOT_FOUND'));
      await assert.rejects(s.unstageAll(sessionId), hasCode('UPLOAD_NOT_FOUND'));
      await assert.rejects(s.commitUpload(sessionId, { name: 'gone', size: 100, codec: 'zstd' }), hasCode('SESSION_EXPIRED'));
      assert.equal(await s.getVersion('gone'), undefined);
      assert.deepEqual((await s.markGarbage(10)).map((g) => g.id), [id(1)]);
    }));

    it('resumable upload: attributes begun with reach the version unless the commit gives its own', withStore(async (s) => {
      const attrs = JSON.stringify({ etag: '"abc-2"', contentType: 'video/mp4', meta: { owner: 'ünï' } });
      const { sessionId } = await s.beginResumableUpload('bkt/movie', { codec: 'zstd', attributes: attrs });
      const begun = (await s.getResumableUpload(sessionId))!;
      assert.deepEqual({ ...begun, startedAt: 0, heartbeatAt: 0 }, { sessionId, name: 'bkt/movie', codec: 'zstd', attributes: attrs, startedAt: 0, heartbeatAt: 0, parts: [] });
      await sendPart(s, sessionId, 1, [[1, 100]]);
      await sendPart(s, sessionId, 2, [[2, 50]]);
      assert.equal((await s.getResumableUpload(sessionId))?.attributes, attrs, 'parts leave them as they are');
      const v = await commitResumable(s, sessionId, { name: 'bkt/movie', codec: 'zstd' }, 2);
      assert.equal(v.attributes, attrs);
      assert.equal((await s.getVersion('bkt/movie'))?.attributes, attrs);
      assert.equal((await all(s.listFiles({ prefix: 'bkt/' })))[0]?.attributes, attrs);

      // The commit's own attributes win over the session's.
      const other = await s.beginResumableUpload('bkt/movie', { codec: 'zstd', attributes: attrs });
      await sendPart(s, other.sessionId, 1, [[1, 100]]);
      await s.stageChunks(other.sessionId, [{ seq: 0, offset: 0, length: 100, id: id(1) }]);
      assert.equal((await s.commitUpload(other.sessionId, { name: 'bkt/movie', size: 100, codec: 'zstd', attributes: '{}' })).attributes, '{}');
      assert.equal((await s.getVersion('bkt/movie', 2))?.attributes, '{}');

      // Begun without: no property on the session, nor on the version.
      const plain = await s.beginResumableUpload('plain', { codec: 'zstd' });
      assert.equal('attributes' in (await s.getResumableUpload(plain.sessionId))!, false);
      const pv = await commitResumable(s, plain.sessionId, { name: 'plain', codec: 'zstd' }, 0);
      assert.equal('attributes' in pv, false);
      assert.equal('attributes' in (await s.getVersion('plain'))!, false);
    }));

    it('resumable upload: a part keeps its etag; a part sent again replaces it, or clears it when sent without', withStore(async (s) => {
      const { sessionId } = await s.beginResumableUpload('tagged', { codec: 'zstd' });
      await sendPart(s, sessionId, 1, [[1, 100]], '"md5-1"');
      await sendPart(s, sessionId, 2, [[2, 100]]);
      await sendPart(s, sessionId, 3, [[3, 100]], '"md5-3"');
      const parts = async () => (await s.getResumableUpload(sessionId))!.parts.map((p) => [p.part, 'etag' in p ? p.etag : 'none']);
      assert.deepEqual(await parts(), [[1, '"md5-1"'], [2, 'none'], [3, '"md5-3"']]);
      await sendPart(s, sessionId, 1, [[4, 80]], '"md5-1b"');
      await sendPart(s, sessionId, 2, [[2, 100]], '"md5-2"');
      await sendPart(s, sessionId, 3, [[3, 100]]);
      assert.deepEqual(await parts(), [[1, '"md5-1b"'], [2, '"md5-2"'], [3, 'none']]);
      assert.deepEqual((await s.getResumableUpload(sessionId))!.parts.map((p) => [p.part, p.size, p.chunkCount]), [[1, 80, 1], [2, 100, 1], [3, 100, 1]]);
      assert.equal((await commitResumable(s, sessionId, { name: 'tagged', codec: 'zstd' }, 3)).size, 280);
    }));

    it('listResumableUploads: uploads in progress by prefix (taken literally), in byte order, paged by (name, session)', withStore(async (s) => {
      const begin = async (name: string) => (await s.beginResumableUpload(name, { codec: 'zstd' })).sessionId;
      const names = ['a%', 'a%b', 'a%c', 'a&', 'a_b', 'ab', 'aXb', 'Z', 'é', 'ｚ', '\u{1F600}', 'dup'];
      const ids = new Map<string, string>();
      for (const n of names) ids.set(n, await begin(n));
      const dups = [ids.get('dup')!, await begin('dup'), await begin('dup'), await begin('dup')].sort(byteOrder);
      // Not in progress: committed, aborted, streamed.
      const committed = await begin('a%done');
      await sendPart(s, committed, 1, [[1, 100]]);
      await commitResumable(s, committed, { name: 'a%done', codec: 'zstd' }, 1);
      const aborted = await begin('a%gone');
      await sendPart(s, aborted, 1, [[2, 100]]);
      await s.abortUpload(aborted);
      await s.beginUpload('a%streamed');
      await s.beginUpload('dup');

      const listed = await s.listResumableUploads();
      const expected = [...names.filter((n) => n !== 'dup').map((n) => [n, ids.get(n)!]), ...dups.map((d) => ['dup', d])].sort(
        ([an, ai], [bn, bi]) => byteOrder(an!, bn!) || byteOrder(ai!, bi!),
      );
      assert.deepEqual(listed.map((u) => [u.name, u.sessionId]), expected);
      assert.deepEqual(listed.map((u) => u.name), ['Z', 'a%', 'a%b', 'a%c', 'a&', 'aXb', 'a_b', 'ab', 'dup', 'dup', 'dup', 'dup', 'é', 'ｚ', '\u{1F600}']);
      const first = listed.find((u) => u.name === 'a%')!;
      assert.deepEqual(Object.keys(first).sort(), ['name', 'sessionId', 'startedAt']);
      assert.equal(first.startedAt, (await s.getResumableUpload(first.sessionId))!.startedAt);

      const named = async (options: Parameters<MetadataStore['listResumableUploads']>[0]) => (await s.listResumableUploads(options)).map((u) => u.name);
      // '%' and '_' are characters like any other; 'a&' is the successor of 'a%' and is not under it.
      assert.deepEqual(await named({ prefix: 'a%' }), ['a%', 'a%b', 'a%c']);
      assert.deepEqual(await named({ prefix: 'a_' }), ['a_b']);
      assert.deepEqual(await named({ prefix: 'a%b' }), ['a%b']);
      assert.deepEqual(await named({ prefix: 'a' }), ['a%', 'a%b', 'a%c', 'a&', 'aXb', 'a_b', 'ab']);
      assert.deepEqual(await named({ prefix: 'dup' }), ['dup', 'dup', 'dup', 'dup']);
      assert.deepEqual(await named({ prefix: 'x' }), []);
      assert.deepEqual(await named({ prefix: '' }), listed.map((u) => u.name));

      // Paging: strictly after (name, session), through several sessions of one name.
      const pages: string[][] = [];
      let after: { name: string; sessionId: string } | undefined;
      for (;;) {
        const page = await s.listResumableUploads({ limit: 2, ...(after ? { after } : {}) });
        if (page.length === 0) break;
        assert.ok(page.length <= 2);
        pages.push(page.map((u) => u.sessionId));
        after = { name: page.at(-1)!.name, sessionId: page.at(-1)!.sessionId };
      }
      assert.deepEqual(pages.flat(), listed.map((u) => u.sessionId));
      assert.equal(pages.length, Math.ceil(listed.length / 2));
      assert.deepEqual((await s.listResumableUploads({ prefix: 'dup', after: { name: 'dup', sessionId: dups[1]! } })).map((u) => u.sessionId), dups.slice(2));
      assert.deepEqual((await s.listResumableUploads({ after: { name: 'dup', sessionId: '' } })).map((u) => u.sessionId).slice(0, 4), dups);
      assert.deepEqual(await named({ prefix: 'a%', after: { name: 'a%', sessionId: ids.get('a%')! } }), ['a%b', 'a%c']);
      assert.deepEqual(await named({ prefix: 'a', after: { name: 'a%z', sessionId: '' }, limit: 2 }), ['a&', 'aXb']);
      assert.deepEqual(await named({ limit: 3 }), ['Z', 'a%', 'a%b']);

      // Gone once committed or collected.
      await sendPart(s, dups[0]!, 1, [[3, 100]]);
      await commitResumable(s, dups[0]!, { name: 'dup', codec: 'zstd' }, 1);
      assert.deepEqual((await s.listResumableUploads({ prefix: 'dup' })).map((u) => u.sessionId), dups.slice(1));
      await s.expireSessions(Date.now() + 1000);
      assert.deepEqual(await s.listResumableUploads(), []);
    }));

    it('listResumableUploads: at most 1000 at once, the default too; limit 0 lists none', withStore(async (s) => {
      await Promise.all(Array.from({ length: 1001 }, (_, i) => s.beginResumableUpload(`many/${String(i).padStart(4, '0')}`, { codec: 'zstd' })));
      const all1000 = await s.listResumableUploads();
      assert.equal(all1000.length, 1000);
      assert.equal(all1000.at(-1)!.name, 'many/0999');
      assert.equal((await s.listResumableUploads({ limit: 5000 })).length, 1000);
      assert.deepEqual((await s.listResumableUploads({ after: all1000.at(-1)!, limit: 5000 })).map((u) => u.name), ['many/1000']);
      assert.equal((await s.listResumableUploads({ limit: 7 })).length, 7);
      assert.deepEqual(await s.listResumableUploads({ limit: 0 }), []);
    }));

    it('expireSessions gives resumable sessions their own cutoff', withStore(async (s) => {
      const streamed = await s.beginUpload('s');
      await s.claimChunks(streamed.sessionId, [id(1)]);
      const resumable = await s.beginResumableUpload('r', { codec: 'zstd' });
      await sendPart(s, resumable.sessionId, 1, [[2, 100]]);
      const now = Date.now();
      // Both are the same age: only the streamed one is older than its cutoff.
      assert.equal(await s.expireSessions(now + 1000, now - 60_000), 1);
      await assert.rejects(s.commitUpload(streamed.sessionId, { name: 's', size: 0, codec: 'zstd' }), /expired/);
      assert.deepEqual((await s.getResumableUpload(resumable.sessionId))?.parts.map((p) => p.part), [1]);
      assert.deepEqual((await s.markGarbage(10)).map((g) => g.id), [id(1)], "the resumable session's chunk stays protected");
      await s.forgetGarbage([id(1)]);
      // Without resumableCutoff, one cutoff for all.
      assert.equal(await s.expireSessions(now + 1000), 1);
      assert.equal(await s.getResumableUpload(resumable.sessionId), undefined);
      await assert.rejects(s.partChunks(resumable.sessionId, 1), hasCode('UPLOAD_NOT_FOUND'));
      await assert.rejects(s.commitUpload(resumable.sessionId, { name: 'r', size: 100, codec: 'zstd' }), /expired/);
      assert.deepEqual((await s.markGarbage(10)).map((g) => g.id), [id(2)]);
      assert.equal(await s.expireSessions(now + 1000), 0);
    }));

    it('commitUpload refuses a staged list that does not tile [0, size), changing nothing', withStore(async (s) => {
      const { sessionId } = await s.beginResumableUpload('t', { codec: 'zstd' });
      await sendPart(s, sessionId, 1, [[1, 100], [2, 100]]);
      await sendPart(s, sessionId, 2, [[3, 100]]);
      const e = (seq: number, offset: number, length: number, n: number): StagedChunk => ({ seq, offset, length, id: id(n) });
      const refused = async (staged: StagedChunk[], size: number, message: RegExp) => {
        await s.stageChunks(sessionId, staged);
        await assert.rejects(s.commitUpload(sessionId, { name: 't', size, codec: 'zstd' }), hasCode('COMMIT_REFUSED', message));
        assert.equal(await s.getVersion('t'), undefined);
        assert.equal(await s.fileAccess('t'), undefined);
        assert.equal((await s.getChunk(id(1)))?.refcount, 0);
        assert.deepEqual((await s.getResumableUpload(sessionId))?.parts.map((p) => p.part), [1, 2], 'the session is still there');
        await s.unstageAll(sessionId);
      };
      // A gap in seq (the offsets alone would tile).
      await refused([e(0, 0, 100, 1), e(1, 100, 100, 2), e(3, 200, 100, 3)], 300, /seq 0\.\.3 for 3 entries/);
      // seq not starting at 0.
      await refused([e(1, 0, 100, 1), e(2, 100, 100, 2), e(3, 200, 100, 3)], 300, /seq 1\.\.3/);
      // An offset that does not follow: a hole, then an overlap.
      await refused([e(0, 0, 100, 1), e(1, 100, 100, 2), e(2, 250, 100, 3)], 350, /seq 2/);
      await refused([e(0, 0, 100, 1), e(1, 50, 100, 2), e(2, 150, 100, 3)], 250, /seq 1/);
      // The first entry not at 0.
      await refused([e(0, 10, 100, 1)], 110, /seq 0/);
      // Lengths adding up to more or less than size.
      await refused([e(0, 0, 100, 1), e(1, 100, 100, 2), e(2, 200, 100, 3)], 400, /covers 300 bytes, but the upload has 400/);
      await refused([e(0, 0, 100, 1), e(1, 100, 100, 2), e(2, 200, 100, 3)], 200, /covers 300 bytes/);
      await refused([], 100, /covers 0 bytes/);
      // An empty entry.
      await refused([e(0, 0, 100, 1), e(1, 100, 0, 2), e(2, 100, 100, 3)], 200, /length 0/);
      // Staged correctly after all that, it commits.
      const v = await commitResumable(s, sessionId, { name: 't', codec: 'zstd' }, 2);
      assert.deepEqual([v.version, v.size, v.chunkCount], [1, 300, 3]);
      assert.deepEqual((await all(s.versionChunks(v.versionId))).map((c) => [c.seq, c.offset, c.chunk.id]), [[0, 0, id(1)], [1, 100, id(2)], [2, 200, id(3)]]);
      assert.equal((await s.getChunk(id(1)))?.refcount, 1);
      assert.equal((await s.fileAccess('t'))?.uploads, 1);
    }));

    it('unstageAll drops the staged list so it can be staged again (streamed and resumable)', withStore(async (s) => {
      const streamed = await s.beginUpload('s');
      await s.claimChunks(streamed.sessionId, [id(1), id(2)]);
      await s.recordStored(streamed.sessionId, [1, 2].map((n) => ({ id: id(n), rawSize: 100, storedSize: 40, codecId: 2, backends: ['b1'] })));
      await s.stageChunks(streamed.sessionId, [{ seq: 0, offset: 0, length: 100, id: id(1) }]);
      await s.unstageAll(streamed.sessionId);
      await s.unstageAll(streamed.sessionId); // nothing staged: fine
      // The same seq again (it would collide with a row left behind).
      await s.stageChunks(streamed.sessionId, [{ seq: 0, offset: 0, length: 100, id: id(2) }, { seq: 1, offset: 100, length: 100, id: id(1) }]);
      const v = await s.commitUpload(streamed.sessionId, { name: 's', size: 200, codec: 'zstd' });
      assert.deepEqual((await all(s.versionChunks(v.versionId))).map((c) => c.chunk.id), [id(2), id(1)]);

      // A completion that failed midway: half the list staged, then started over from the parts.
      const { sessionId } = await s.beginResumableUpload('r', { codec: 'zstd' });
      await sendPart(s, sessionId, 1, [[3, 100]]);
      await sendPart(s, sessionId, 2, [[4, 50]]);
      await s.stageChunks(sessionId, [{ seq: 0, offset: 0, length: 100, id: id(3) }]);
      await s.unstageAll(sessionId);
      assert.deepEqual((await s.getResumableUpload(sessionId))?.parts.map((p) => [p.part, p.size]), [[1, 100], [2, 50]], 'parts are kept');
      assert.deepEqual(await s.partChunks(sessionId, 2), [{ offset: 0, length: 50, id: id(4) }]);
      const r = await commitResumable(s, sessionId, { name: 'r', codec: 'zstd' }, 2);
      assert.deepEqual((await all(s.versionChunks(r.versionId))).map((c) => [c.offset, c.length, c.chunk.id]), [[0, 100, id(3)], [100, 50, id(4)]]);
      assert.equal((await s.getChunk(id(3)))?.refcount, 1);
    }));

    it('counts uploads (streamed and resumable) and downloads per name', withStore(async (s) => {
      assert.deepEqual(await s.usageTotals(), { uploads: 0, downloads: 0, bytesIn: 0, bytesOut: 0 });
      const t0 = Date.now();
      await put(s, 'a', [1, 2]);
      await put(s, 'a', [3]);
      const { sessionId } = await s.beginResumableUpload('b', { codec: 'zstd' });
      await sendPart(s, sessionId, 1, [[4, 70], [5, 80]]);
      await commitResumable(s, sessionId, { name: 'b', codec: 'zstd' }, 1);
      const a = (await s.fileAccess('a'))!;
      assert.deepEqual({ ...a, lastAccessAt: 0 }, { name: 'a', uploads: 2, downloads: 0, bytesIn: 300, bytesOut: 0, lastAccessAt: 0 });
      assert.ok(a.lastAccessAt >= t0);
      assert.deepEqual({ ...(await s.fileAccess('b'))!, lastAccessAt: 0 }, { name: 'b', uploads: 1, downloads: 0, bytesIn: 150, bytesOut: 0, lastAccessAt: 0 });
      await s.recordDownload('a', 300);
      await s.recordDownload('a', 50);
      await s.recordDownload('never-uploaded', 7);
      assert.deepEqual({ ...(await s.fileAccess('a'))!, lastAccessAt: 0 }, { name: 'a', uploads: 2, downloads: 2, bytesIn: 300, bytesOut: 350, lastAccessAt: 0 });
      assert.equal((await s.fileAccess('never-uploaded'))?.downloads, 1);
      assert.equal(await s.fileAccess('nothing'), undefined);
      assert.deepEqual(await s.usageTotals(), { uploads: 3, downloads: 3, bytesIn: 450, bytesOut: 357 });
      // A refused commit counts nothing.
      const bad = await s.beginUpload('a');
      await s.claimChunks(bad.sessionId, [id(9)]);
      await s.stageChunks(bad.sessionId, [{ seq: 0, offset: 0, length: 100, id: id(9) }]);
      await assert.rejects(s.commitUpload(bad.sessionId, { name: 'a', size: 100, codec: 'zstd' }));
      assert.equal((await s.fileAccess('a'))?.uploads, 2);
    }));

    it('topFiles: existing files only, most downloaded first, then most recently accessed', withStore(async (s) => {
      for (const [i, n] of ['a', 'b', 'c', 'd'].entries()) await put(s, n, [i + 1]);
      for (const n of ['b', 'b', 'b', 'd', 'd', 'a', 'c']) {
        await s.recordDownload(n, 10);
        await sleep(3); // distinct lastAccessAt
      }
      await s.recordDownload('deleted-long-ago', 1);
      assert.deepEqual((await s.topFiles(10)).map((f) => [f.name, f.downloads]), [['b', 3], ['d', 2], ['c', 1], ['a', 1]]);
      assert.deepEqual((await s.topFiles(2)).map((f) => f.name), ['b', 'd']);
      await s.deleteFile('b');
      assert.deepEqual((await s.topFiles(10)).map((f) => f.name), ['d', 'c', 'a']);
      assert.equal((await s.fileAccess('b'))?.downloads, 3, 'counters outlive the file');
      // A name uploaded again is listed again with its old counters; deleting d's only version drops d.
      await put(s, 'b', [2]);
      await s.deleteFile('d', 1);
      assert.deepEqual((await s.topFiles(10)).map((f) => [f.name, f.uploads]), [['b', 2], ['c', 1], ['a', 1]]);
    }));

    it('stats history: time order, since, the most recent `limit`', withStore(async (s) => {
      assert.deepEqual(await s.statsHistory(), []);
      const sample = (at: number) => ({ at, files: at / 1000, logicalBytes: at * 4, uniqueBytes: at * 3, storedBytes: at * 2, physicalBytes: 6 * 2 ** 30 + at });
      for (const at of [1000, 3000, 2000, 4000, 5000]) await s.recordStatsSample(sample(at));
      assert.deepEqual(await s.statsHistory(), [1000, 2000, 3000, 4000, 5000].map(sample));
      assert.deepEqual((await s.statsHistory({ since: 2000 })).map((x) => x.at), [2000, 3000, 4000, 5000]);
      assert.deepEqual((await s.statsHistory({ limit: 2 })).map((x) => x.at), [4000, 5000]);
      assert.deepEqual((await s.statsHistory({ since: 2500, limit: 10 })).map((x) => x.at), [3000, 4000, 5000]);
      assert.deepEqual((await s.statsHistory({ since: 6000 })).map((x) => x.at), []);
    }));

    it('renames a file and moves a folder in metadata only, atomically; an existing target refuses the whole move', withStore(async (s) => {
      await put(s, 'docs/a.txt', [1, 2]);
      await put(s, 'docs/a.txt', [2, 3]);
      await put(s, 'docs/sub/b.txt', [4]);
      await put(s, 'docs!x', [5]);
      await put(s, 'other/b.txt', [6]);
      await s.recordDownload('docs/a.txt', 200);
      const refcounts = async (): Promise<number[]> => Promise.all([1, 2, 3, 4, 5, 6].map(async (n) => (await s.getChunk(id(n)))!.refcount));
      const before = await refcounts();
      assert.equal(await s.renameNames('docs/a.txt', 'docs/renamed.txt'), 1);
      assert.equal(await s.getVersion('docs/a.txt'), undefined);
      assert.deepEqual((await s.listVersions('docs/renamed.txt')).map((v) => v.version), [1, 2], 'history moves with the name');
      assert.equal((await s.fileAccess('docs/renamed.txt'))?.downloads, 1, 'access counters move too');
      assert.equal(await s.renameNames('docs/', 'archive/2026/'), 2);
      assert.deepEqual((await all(s.listFiles())).map((f) => f.name), ['archive/2026/renamed.txt', 'archive/2026/sub/b.txt', 'docs!x', 'other/b.txt'], 'only names under the folder move ("docs!x" sorts between)');
      assert.equal((await s.fileAccess('archive/2026/renamed.txt'))?.downloads, 1, 'a folder move takes the counters along');
      assert.deepEqual(await refcounts(), before, 'no chunk reference changes');
      // Names beyond ASCII (the database counts characters, JavaScript UTF-16 units): counters and links move too.
      await put(s, 'ünï/😀 ☃/f.txt', [7]);
      await s.recordDownload('ünï/😀 ☃/f.txt', 5);
      await s.createShareLink({ idHash: 'mv', name: 'ünï/😀 ☃/f.txt', expiresAt: Date.now() + 60_000 });
      assert.equal(await s.renameNames('ünï/', '𝄞/x/'), 1);
      assert.ok(await s.getVersion('𝄞/x/😀 ☃/f.txt'));
      assert.equal((await s.fileAccess('𝄞/x/😀 ☃/f.txt'))?.downloads, 1);
      assert.equal((await s.shareLink('mv'))?.name, '𝄞/x/😀 ☃/f.txt');
      await assert.rejects(s.renameNames('archive/2026/sub/', 'other/'), hasCode('FILE_EXISTS', /other\/b\.txt/));
      assert.ok(await s.getVersion('archive/2026/sub/b.txt'), 'a refused move changes nothing');
      await assert.rejects(s.renameNames('missing', 'x'), hasCode('FILE_NOT_FOUND'));
      await assert.rejects(s.renameNames('nothing/', 'x/'), hasCode('FILE_NOT_FOUND'));
      await assert.rejects(s.renameNames('archive/', 'archive/deeper/'), hasCode('USAGE', /into itself/));
      await assert.rejects(s.renameNames('archive/', 'file'), hasCode('USAGE', /folder/));
      await assert.rejects(s.renameNames('docs!x', 'other/b.txt'), hasCode('FILE_EXISTS'));
    }));

    it('restores an older version as the latest: same chunks, references counted, history kept', withStore(async (s) => {
      await put(s, 'r', [1, 2]);
      await put(s, 'r', [3]);
      const v3 = await s.restoreVersion('r', 1);
      assert.equal(v3.version, 3);
      assert.equal(v3.size, 200);
      assert.deepEqual((await all(s.versionChunks(v3.versionId))).map((c) => c.chunk.id), [id(1), id(2)]);
      assert.equal((await s.getChunk(id(1)))!.refcount, 2);
      assert.deepEqual((await s.listVersions('r')).map((v) => v.version), [1, 2, 3]);
      // Deleting the original leaves the restored copy whole.
      assert.equal(await s.deleteFile('r', 1), 1);
      assert.equal((await s.getChunk(id(1)))!.refcount, 1);
      await assert.rejects(s.restoreVersion('r', 9), hasCode('FILE_NOT_FOUND'));
      await assert.rejects(s.restoreVersion('nope', 1), hasCode('FILE_NOT_FOUND'));
    }));

    it('share links: downloads counted up to the limit, even at once; expiry, revocation, listing; they follow renames', withStore(async (s) => {
      await put(s, 'shared.txt', [1]);
      const now = Date.now();
      const link = await s.createShareLink({ idHash: 'h1', name: 'shared.txt', version: 1, expiresAt: now + 60_000, maxDownloads: 3 });
      assert.deepEqual({ ...link, createdAt: 0 }, { idHash: 'h1', name: 'shared.txt', version: 1, expiresAt: now + 60_000, maxDownloads: 3, downloads: 0, createdAt: 0 });
      await s.createShareLink({ idHash: 'h2', name: 'shared.txt', expiresAt: now + 60_000 });
      await s.createShareLink({ idHash: 'gone', name: 'shared.txt', expiresAt: now - 1 });
      // Five downloads at once through a link good for three: exactly three get through.
      const used = await Promise.all([1, 2, 3, 4, 5].map(() => s.useShareLink('h1')));
      assert.equal(used.filter((u) => u !== undefined).length, 3);
      assert.deepEqual(used.filter((u) => u !== undefined).map((u) => u!.downloads).sort(), [1, 2, 3]);
      assert.equal(await s.shareLink('h1'), undefined, 'used up');
      assert.equal((await s.useShareLink('h2'))?.version, undefined, 'no pinned version: follows the latest');
      assert.equal(await s.useShareLink('gone'), undefined, 'expired');
      assert.equal(await s.useShareLink('unknown'), undefined);
      assert.deepEqual((await s.listShareLinks()).map((l) => l.idHash).sort(), ['h1', 'h2'], 'expired links are not listed');
      assert.deepEqual((await s.listShareLinks('other')).length, 0);
      await s.renameNames('shared.txt', 'moved.txt');
      assert.equal((await s.shareLink('h2'))?.name, 'moved.txt');
      assert.equal(await s.revokeShareLink('h2'), true);
      assert.equal(await s.revokeShareLink('h2'), false);
      assert.equal(await s.useShareLink('h2'), undefined, 'revoked');
    }));

    it('attributes: kept with a version through commitUpload, read back by getVersion, listVersions and listFiles', withStore(async (s) => {
      const attrs = JSON.stringify({ etag: '"abc"', contentType: 'text/plain', meta: { owner: 'ünï' } });
      await put(s, 'plain', [1]);
      const { sessionId } = await s.beginUpload('s3/obj');
      await s.stageChunks(sessionId, []);
      const v = await s.commitUpload(sessionId, { name: 's3/obj', size: 0, codec: 'zstd', attributes: attrs });
      assert.equal(v.attributes, attrs);
      assert.equal((await s.getVersion('s3/obj'))?.attributes, attrs);
      assert.equal((await s.getVersion('s3/obj', 1))?.attributes, attrs);
      await put(s, 's3/obj', [2]);
      assert.deepEqual((await s.listVersions('s3/obj')).map((x) => 'attributes' in x ? x.attributes : 'none'), [attrs, 'none']);
      await put(s, 's3/obj', [3], 'b1', '{}');
      const files = await all(s.listFiles());
      assert.deepEqual(files.map((f) => [f.name, 'attributes' in f ? f.attributes : 'none']), [['plain', 'none'], ['s3/obj', '{}']]);
      // A version stored without attributes has no property at all (not one that is undefined).
      const plain = (await s.getVersion('plain'))!;
      assert.equal('attributes' in plain, false);
      assert.equal('attributes' in (await s.listVersions('plain'))[0]!, false);
      assert.equal((await s.latestVersions(['s3/obj'])).get('s3/obj')?.version.attributes, '{}');
      // A restored version keeps the attributes of the version it restores.
      assert.equal((await s.restoreVersion('s3/obj', 1)).attributes, attrs);
    }));

    it('S3 buckets: created once, listed in byte order, versioning set, deleted only when nothing lies under them', withStore(async (s) => {
      const t0 = Date.now();
      assert.equal(await s.createBucket('bkt'), true);
      assert.equal(await s.createBucket('bkt'), false, 'a second create of a name changes nothing');
      const b = (await s.getBucket('bkt'))!;
      assert.deepEqual({ ...b, createdAt: 0 }, { name: 'bkt', createdAt: 0, versioning: 'Unversioned' });
      assert.ok(b.createdAt >= t0 && b.createdAt <= Date.now());
      assert.equal(await s.getBucket('nope'), undefined);
      // Names whose byte order differs from a locale's: upper case first, '-' before '.' before letters.
      const names = ['bkt', 'a.b', 'B', 'a', 'a-b', 'b_t', 'Zz', 'ab'];
      for (const n of names.slice(1)) assert.equal(await s.createBucket(n), true);
      assert.deepEqual((await s.listBuckets()).map((x) => x.name), [...names].sort(byteOrder));
      assert.deepEqual((await s.listBuckets()).map((x) => x.name), ['B', 'Zz', 'a', 'a-b', 'a.b', 'ab', 'b_t', 'bkt']);

      assert.equal(await s.setBucketVersioning('bkt', 'Enabled'), true);
      assert.equal((await s.getBucket('bkt'))?.versioning, 'Enabled');
      assert.equal(await s.setBucketVersioning('bkt', 'Suspended'), true);
      assert.equal((await s.getBucket('bkt'))?.versioning, 'Suspended');
      assert.equal(await s.setBucketVersioning('nope', 'Enabled'), false);

      assert.equal(await s.deleteBucket('nope'), 'missing');
      await put(s, 'bkt/x', [1]);
      assert.equal(await s.deleteBucket('bkt'), 'not-empty');
      assert.ok(await s.getBucket('bkt'), 'a refused deletion keeps the bucket');
      await put(s, 'bkt/x', [2]);
      await s.deleteFile('bkt/x', 1);
      assert.equal(await s.deleteBucket('bkt'), 'not-empty', 'a file with a version left');
      await s.deleteFile('bkt/x');
      // Names that only look as if they were under the bucket: its own name, the next byte, longer names.
      await put(s, 'bkt', [3]);
      await put(s, 'bkt0', [4]);
      await put(s, 'bktx/y', [5]);
      await put(s, 'bkt.z/1', [6]);
      assert.equal(await s.deleteBucket('bkt'), 'deleted');
      assert.equal(await s.getBucket('bkt'), undefined);
      assert.equal(await s.deleteBucket('bkt'), 'missing');
      // '_' in a bucket's name is a character, not a wildcard.
      await put(s, 'bxt/1', [7]);
      assert.equal(await s.deleteBucket('b_t'), 'deleted');
      await put(s, 'a.b/deep/er', [8]);
      assert.equal(await s.deleteBucket('a.b'), 'not-empty');
      assert.deepEqual((await s.listBuckets()).map((x) => x.name), ['B', 'Zz', 'a', 'a-b', 'a.b', 'ab']);
      // A bucket deleted can be created again.
      assert.equal(await s.createBucket('bkt'), true);
      assert.equal((await s.getBucket('bkt'))?.versioning, 'Unversioned');
    }));

    it('S3 access keys: created once, listed oldest first with revoked ones, revoked once, optional fields absent', withStore(async (s) => {
      const t0 = Date.now();
      const k2 = await s.createAccessKey({ id: 'AKIA2222222222222222', sealedSecret: 'sealed-2', readOnly: false });
      assert.deepEqual({ ...k2, createdAt: 0 }, { id: 'AKIA2222222222222222', sealedSecret: 'sealed-2', readOnly: false, createdAt: 0 });
      assert.ok(k2.createdAt >= t0 && k2.createdAt <= Date.now());
      await sleep(3); // created_at orders the list: make the second key younger
      const k1 = await s.createAccessKey({ id: 'AKIA1111111111111111', sealedSecret: 'sealed-1', readOnly: true, bucket: 'bkt', prefix: 'logs/' });
      assert.deepEqual({ ...k1, createdAt: 0 }, { id: 'AKIA1111111111111111', sealedSecret: 'sealed-1', readOnly: true, bucket: 'bkt', prefix: 'logs/', createdAt: 0 });
      await assert.rejects(s.createAccessKey({ id: 'AKIA2222222222222222', sealedSecret: 'other', readOnly: true }), hasCode('CONFLICT'));
      assert.deepEqual(await s.getAccessKey('AKIA2222222222222222'), k2, 'a refused duplicate changes nothing');
      assert.deepEqual(await s.getAccessKey('AKIA1111111111111111'), k1);
      assert.equal(await s.getAccessKey('AKIA0000000000000000'), undefined);
      assert.deepEqual(await s.listAccessKeys(), [k2, k1]);

      const before = Date.now();
      assert.equal(await s.revokeAccessKey('AKIA2222222222222222'), true);
      assert.equal(await s.revokeAccessKey('AKIA2222222222222222'), false, 'already revoked');
      assert.equal(await s.revokeAccessKey('AKIA0000000000000000'), false, 'unknown');
      assert.equal(await s.getAccessKey('AKIA2222222222222222'), undefined, 'revoked keys do not authenticate');
      const [revoked, live] = await s.listAccessKeys();
      assert.deepEqual({ ...revoked!, revokedAt: 0 }, { ...k2, revokedAt: 0 });
      assert.ok(revoked!.revokedAt! >= before && revoked!.revokedAt! <= Date.now());
      assert.deepEqual(live, k1);
      assert.equal('revokedAt' in live!, false);
      await assert.rejects(s.createAccessKey({ id: 'AKIA2222222222222222', sealedSecret: 'again', readOnly: false }), hasCode('CONFLICT'), 'a revoked id is not reused');
    }));

    it('copyVersion: a new version of the target with the same chunks, references a gc respects, attributes kept or replaced', withStore(async (s) => {
      await put(s, 'src', [1, 2, 2], 'b1', '{"etag":"e1"}');
      await put(s, 'dst', [3]);
      const source = (await s.getVersion('src'))!;
      const t0 = Date.now();
      const copy = await s.copyVersion(source.versionId, 'dst');
      assert.deepEqual({ ...copy, versionId: 0, createdAt: 0 }, { versionId: 0, name: 'dst', version: 2, size: 300, chunkCount: 3, codec: 'zstd', createdAt: 0, attributes: '{"etag":"e1"}' });
      assert.ok(copy.createdAt >= t0);
      assert.notEqual(copy.versionId, source.versionId);
      assert.deepEqual(await s.getVersion('dst'), copy);
      const chunksOf = async (versionId: number) => (await all(s.versionChunks(versionId))).map((c) => [c.seq, c.offset, c.length, c.chunk.id]);
      assert.deepEqual(await chunksOf(copy.versionId), await chunksOf(source.versionId));
      // One reference per entry, as a commit of the list adds; the stored size a commit records.
      assert.deepEqual([(await s.getChunk(id(1)))!.refcount, (await s.getChunk(id(2)))!.refcount], [2, 4]);
      const dst = (await all(s.listFiles({ prefix: 'dst' })))[0]!;
      assert.deepEqual([dst.version, dst.versions, dst.size, dst.storedSize, dst.attributes], [2, 2, 300, 80, '{"etag":"e1"}']);
      // A copy is a write of the target (one upload) but no bytes came in.
      assert.deepEqual({ ...(await s.fileAccess('dst'))!, lastAccessAt: 0 }, { name: 'dst', uploads: 2, downloads: 0, bytesIn: 100, bytesOut: 0, lastAccessAt: 0 });

      // Given attributes replace the source's; a copy onto its own name is a new version of it.
      const self = await s.copyVersion(source.versionId, 'src', '{"etag":"e2"}');
      assert.deepEqual([self.name, self.version, self.attributes], ['src', 2, '{"etag":"e2"}']);
      assert.equal((await s.getVersion('src', 1))?.attributes, '{"etag":"e1"}', 'the source keeps its own');
      // A copy of a version without attributes has none.
      const plain = await s.copyVersion((await s.getVersion('dst', 1))!.versionId, 'new/name');
      assert.deepEqual([plain.version, 'attributes' in plain], [1, false]);

      // The source deleted, gc finds nothing to collect: the copies still reference every chunk.
      assert.equal(await s.deleteFile('src'), 2);
      assert.deepEqual([(await s.getChunk(id(1)))!.refcount, (await s.getChunk(id(2)))!.refcount], [1, 2]);
      assert.deepEqual(await s.markGarbage(100), []);
      assert.deepEqual(await chunksOf(copy.versionId), [[0, 0, 100, id(1)], [1, 100, 100, id(2)], [2, 200, 100, id(2)]]);
      // The copy deleted too, its chunks are garbage (3 is still referenced by dst's version 1 and its copy).
      assert.equal(await s.deleteFile('dst', 2), 1);
      assert.deepEqual((await s.markGarbage(100)).map((g) => g.id), [id(1), id(2)]);

      // A source that is gone.
      await assert.rejects(s.copyVersion(source.versionId, 'x'), (e: unknown) => e instanceof FileNotFoundError && e.code === 'FILE_NOT_FOUND');
      await assert.rejects(s.copyVersion(987654, 'x'), FileNotFoundError);
      assert.equal(await s.getVersion('x'), undefined, 'a refused copy leaves no file behind');
      // A chunk without an ok copy is refused as a commit refuses it, changing nothing.
      await s.setCopyState(id(3), 'b1', 'missing');
      await assert.rejects(s.copyVersion(plain.versionId, 'y'), hasCode('COMMIT_REFUSED', /no stored copy/));
      assert.equal(await s.getVersion('y'), undefined);
      assert.equal((await s.getChunk(id(3)))!.refcount, 2);
    }));

    it('browser sessions: valid for their token until revoked or expired; a new token drops the old ones', withStore(async (s) => {
      const now = Date.now();
      const day = 86_400_000;
      await s.createWebSession({ idHash: 'a', tokenFingerprint: 't1', expiresAt: now + day });
      await s.createWebSession({ idHash: 'b', tokenFingerprint: 't1', expiresAt: now + day });
      assert.equal(await s.webSessionValid('a', 't1'), true);
      assert.equal(await s.webSessionValid('a', 't2'), false, 'another token');
      assert.equal(await s.webSessionValid('c', 't1'), false, 'unknown session');
      await s.revokeWebSession('a');
      await s.revokeWebSession('a');
      assert.equal(await s.webSessionValid('a', 't1'), false, 'revoked');
      assert.equal(await s.webSessionValid('b', 't1'), true, 'other sessions stay');
      await s.createWebSession({ idHash: 'old', tokenFingerprint: 't1', expiresAt: now - 1 });
      assert.equal(await s.webSessionValid('old', 't1'), false, 'expired');
      // A session for a new token ends every session of the old one.
      await s.createWebSession({ idHash: 'n', tokenFingerprint: 't2', expiresAt: now + day });
      assert.equal(await s.webSessionValid('n', 't2'), true);
      assert.equal(await s.webSessionValid('b', 't2'), false);
      assert.equal(await s.webSessionValid('b', 't1'), false, 'deleted, not just refused');
    }));
  });
}
