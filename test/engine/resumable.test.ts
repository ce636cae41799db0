// Resumable uploads: parts in any order and sent again produce exactly the chunks of one streamed
// upload of the same bytes, so deduplication does not depend on how a file was uploaded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChunkerParams } from '../../src/core/chunker.ts';
import { download } from '../../src/engine/download.ts';
import { gc } from '../../src/engine/gc.ts';
import { abortResumableUpload, beginResumableUpload, completeResumableUpload, resumableUpload, uploadPart } from '../../src/engine/resumable.ts';
import { upload } from '../../src/engine/upload.ts';
import { collect, pieces, randomBytes, textBytes } from '../helpers/data.ts';
import { testEngine, type TestEngine } from '../helpers/engine.ts';

async function chunkIds(t: TestEngine, name: string): Promise<string[]> {
  const v = await t.ctx.metadata.getVersion(name);
  const ids: string[] = [];
  for await (const vc of t.ctx.metadata.versionChunks(v!.versionId)) ids.push(vc.chunk.id);
  return ids;
}

/** Split `data` at the given cut offsets into numbered parts. */
async function countObjects(t: TestEngine): Promise<number> {
  let n = 0;
  for (const store of t.stores) for await (const _ of store.list('')) n++;
  return n;
}

function split(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const bounds = [0, ...cuts, data.length];
  return bounds.slice(1).map((end, i) => data.subarray(bounds[i]!, end));
}

async function uploadInParts(t: TestEngine, name: string, parts: readonly Uint8Array[], order: readonly number[]): Promise<{ rechunked: number }> {
  const id = await beginResumableUpload(t.ctx, { name });
  for (const n of order) await uploadPart(t.ctx, id, n, pieces(parts[n - 1]!, [7000]));
  const r = await completeResumableUpload(t.ctx, id);
  return { rechunked: r.rechunked };
}

function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i + 1);
  let x = seed;
  for (let i = n - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const j = x % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

describe('resumable uploads', () => {
  const cases: { title: string; chunker?: ChunkerParams; cuts: (size: number) => number[] }[] = [
    { title: 'parts of 100 KiB', cuts: (size) => Array.from({ length: Math.floor((size - 1) / 102_400) }, (_, i) => (i + 1) * 102_400) },
    { title: 'uneven parts, some smaller than the minimum chunk, one of a single byte', cuts: () => [1, 3000, 50_000, 51_000, 52_000, 300_000, 300_001, 700_000] },
    { title: 'a fixed-size chunker and parts that are not multiples of it', chunker: { kind: 'fixed', size: 16_384 }, cuts: () => [10_000, 200_000, 200_500, 650_000] },
  ];
  for (const c of cases) {
    it(`${c.title}: the same chunks as one streamed upload, and the same bytes`, async () => {
      const t = await testEngine(c.chunker ? { chunker: c.chunker } : {});
      try {
        const data = textBytes(900_000, 41);
        await upload(t.ctx, pieces(data), { name: 'streamed' });
        const parts = split(data, c.cuts(data.length));
        await uploadInParts(t, 'in-parts', parts, shuffled(parts.length, 7));
        assert.deepEqual(await chunkIds(t, 'in-parts'), await chunkIds(t, 'streamed'));
        assert.ok(Buffer.from(await collect((await download(t.ctx, 'in-parts')).body)).equals(Buffer.from(data)));
        // The chunks the parts were first cut into and the version does not take are gone already.
        assert.equal((await t.ctx.metadata.stats()).chunks, new Set(await chunkIds(t, 'streamed')).size, 'chunks left behind');
      } finally {
        await t.close();
      }
    });
  }

  it('random part boundaries (20 trials): always the streamed chunks, and nothing left for gc', async () => {
    const t = await testEngine();
    try {
      const data = textBytes(400_000, 77);
      await upload(t.ctx, pieces(data), { name: 'streamed' });
      const expected = await chunkIds(t, 'streamed');
      let x = 12345;
      const rand = (n: number): number => {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        return x % n;
      };
      for (let trial = 0; trial < 20; trial++) {
        const cuts = [...new Set(Array.from({ length: 1 + rand(12) }, () => 1 + rand(data.length - 1)))].sort((a, b) => a - b);
        const parts = split(data, cuts);
        await uploadInParts(t, `trial-${trial}`, parts, shuffled(parts.length, trial + 1));
        assert.deepEqual(await chunkIds(t, `trial-${trial}`), expected, `cuts ${cuts.join(',')}`);
        // Every chunk the parts were cut into that the version does not take is gone already.
        assert.equal((await t.ctx.metadata.stats()).chunks, expected.length, `cuts ${cuts.join(',')}: chunks left behind`);
      }
    } finally {
      await t.close();
    }
  });

  it('costs no storage: once completed (no gc needed), a file uploaded in parts takes what the streamed one takes', async () => {
    const data = randomBytes(600_000, 3);
    const streamed = await testEngine();
    const parted = await testEngine();
    try {
      await upload(streamed.ctx, pieces(data), { name: 'f' });
      const parts = split(data, [123_456, 250_000, 400_000]);
      const { rechunked } = await uploadInParts(parted, 'f', parts, [3, 1, 4, 2]);
      assert.ok(rechunked > 0, 'the chunks around part boundaries were re-made');
      const [a, b] = await Promise.all([streamed.ctx.metadata.stats(), parted.ctx.metadata.stats()]);
      assert.equal(b.chunks, a.chunks);
      assert.equal(b.storedBytes, a.storedBytes);
      assert.equal(b.physicalBytes, a.physicalBytes);
      // The chunks the parts were first cut into are gone already: gc finds none.
      const report = await gc(parted.ctx, { sessionTimeoutMs: 60_000 });
      assert.equal(report.chunksDeleted, 0);
      assert.equal(report.orphansDeleted, 0);
      assert.equal(await countObjects(parted), await countObjects(streamed));
    } finally {
      await streamed.close();
      await parted.close();
    }
  });

  it('a part sent again replaces the first one; a missing part or a wrong size is refused and the upload stays usable', async () => {
    const t = await testEngine();
    try {
      const data = textBytes(300_000, 5);
      const parts = split(data, [100_000, 200_000]);
      const id = await beginResumableUpload(t.ctx, { name: 'r', codec: 'gzip' });
      await uploadPart(t.ctx, id, 1, pieces(randomBytes(100_000, 9)));
      await uploadPart(t.ctx, id, 3, pieces(parts[2]!));
      await assert.rejects(completeResumableUpload(t.ctx, id), (e: Error & { code?: string }) => e.code === 'UPLOAD_INCOMPLETE' && /part 2 is missing/.test(e.message));
      await uploadPart(t.ctx, id, 2, pieces(parts[1]!));
      await uploadPart(t.ctx, id, 1, pieces(parts[0]!));
      assert.deepEqual((await resumableUpload(t.ctx, id)).parts.map((p) => [p.part, p.size]), [[1, 100_000], [2, 100_000], [3, 100_000]]);
      await assert.rejects(completeResumableUpload(t.ctx, id, { size: 1 }), (e: Error & { code?: string }) => e.code === 'UPLOAD_SIZE_MISMATCH');
      // Named parts must be the stored ones, in order, sizes matching.
      const refused = async (named: { part: number; size?: number }[], code: string, message: RegExp): Promise<void> =>
        assert.rejects(completeResumableUpload(t.ctx, id, { parts: named }), (e: Error & { code?: string }) => e.code === code && message.test(e.message));
      await refused([{ part: 1 }, { part: 2 }], 'UPLOAD_INCOMPLETE', /part 3 was uploaded but not named/);
      await refused([{ part: 1 }, { part: 2 }, { part: 3 }, { part: 4 }], 'UPLOAD_INCOMPLETE', /part 4 was not uploaded completely/);
      await refused([{ part: 2 }, { part: 1 }, { part: 3 }], 'USAGE', /ascending/);
      await refused([{ part: 1 }, { part: 2, size: 99_999 }, { part: 3 }], 'UPLOAD_SIZE_MISMATCH', /part 2 holds 100000 bytes/);
      const { version } = await completeResumableUpload(t.ctx, id, { size: data.length, parts: [{ part: 1, size: 100_000 }, { part: 2 }, { part: 3 }] });
      assert.equal(version.codec, 'gzip');
      assert.ok(Buffer.from(await collect((await download(t.ctx, 'r')).body)).equals(Buffer.from(data)));
      await assert.rejects(uploadPart(t.ctx, id, 4, pieces(new Uint8Array(1))), (e: Error & { code?: string }) => e.code === 'UPLOAD_NOT_FOUND');
    } finally {
      await t.close();
    }
  });

  it('zero parts complete nothing (nothing becomes visible); one empty part makes an empty file; an aborted upload leaves nothing visible and its chunks to gc', async () => {
    const t = await testEngine();
    try {
      const none = await beginResumableUpload(t.ctx, { name: 'none' });
      await assert.rejects(completeResumableUpload(t.ctx, none), (e: Error & { code?: string }) => e.code === 'UPLOAD_INCOMPLETE' && /no part was uploaded completely/.test(e.message));
      await assert.rejects(completeResumableUpload(t.ctx, none, { size: 0 }), (e: Error & { code?: string }) => e.code === 'UPLOAD_INCOMPLETE');
      assert.equal(await t.ctx.metadata.getVersion('none'), undefined);
      assert.equal((await resumableUpload(t.ctx, none)).parts.length, 0, 'the refused upload stays open for its parts');
      const empty = await beginResumableUpload(t.ctx, { name: 'empty' });
      await uploadPart(t.ctx, empty, 1, pieces(new Uint8Array(0)));
      assert.equal((await completeResumableUpload(t.ctx, empty, { size: 0 })).version.size, 0);
      const id = await beginResumableUpload(t.ctx, { name: 'gone' });
      await uploadPart(t.ctx, id, 1, pieces(randomBytes(200_000, 4)));
      await abortResumableUpload(t.ctx, id);
      assert.equal(await t.ctx.metadata.getVersion('gone'), undefined);
      const report = await gc(t.ctx);
      assert.ok(report.chunksDeleted > 0);
      assert.equal((await t.ctx.metadata.stats()).chunks, 0);
    } finally {
      await t.close();
    }
  });
});
