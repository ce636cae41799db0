// Upload then download returns the same bytes, for the sizes and shapes users actually store.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CODEC_NAMES } from '../../src/core/codecs.ts';
import { FileNotFoundError, UsageError } from '../../src/core/errors.ts';
import { download } from '../../src/engine/download.ts';
import { stat } from '../../src/engine/stat.ts';
import { upload } from '../../src/engine/upload.ts';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempDir } from '../helpers/cli.ts';
import { collect, pieces, randomBytes, textBytes } from '../helpers/data.ts';
import { SMALL_CHUNKS, testEngine } from '../helpers/engine.ts';

const MAX = SMALL_CHUNKS.kind === 'fastcdc' ? SMALL_CHUNKS.max : 0;

describe('upload and download', () => {
  for (const [label, data] of [
    ['empty file', new Uint8Array(0)],
    ['1-byte file', new Uint8Array([42])],
    ['exactly one max-size chunk', randomBytes(MAX, 3)],
    ['max chunk + 1', randomBytes(MAX + 1, 4)],
    ['many chunks of random data', randomBytes(700_000, 5)],
    ['many chunks of text', textBytes(900_000, 6)],
  ] as const) {
    it(`round-trips ${label}`, async () => {
      const t = await testEngine();
      try {
        const r = await upload(t.ctx, pieces(data, [1000, 65536, 7]), { name: label });
        assert.equal(r.size, data.length);
        assert.equal(r.version.version, 1);
        const dl = await download(t.ctx, label);
        assert.equal(dl.length, data.length);
        assert.deepEqual(await collect(dl.body), data);
      } finally {
        await t.close();
      }
    });
  }

  it('reads a file input directly, with the same chunks as the same bytes streamed', async () => {
    const { dir, cleanup } = await tempDir();
    const t = await testEngine();
    try {
      const data = textBytes(700_000, 31);
      const path = join(dir, 'input.bin');
      await writeFile(path, data);
      const fromFile = await upload(t.ctx, { path }, { name: 'file' });
      const fromStream = await upload(t.ctx, pieces(data, [4096]), { name: 'stream' });
      assert.equal(fromStream.newChunks, 0, 'identical bytes dedup completely');
      assert.equal(fromFile.chunks, fromStream.chunks);
      assert.deepEqual(await collect((await download(t.ctx, 'file')).body), data);
    } finally {
      await t.close();
      await cleanup();
    }
  });

  it('splits a max+1 byte file into two chunks and a one-chunk file into one', async () => {
    const t = await testEngine({ chunker: { kind: 'fixed', size: 65536 } });
    try {
      assert.equal((await upload(t.ctx, pieces(randomBytes(65536)), { name: 'one' })).chunks, 1);
      assert.equal((await upload(t.ctx, pieces(randomBytes(65537)), { name: 'two' })).chunks, 2);
    } finally {
      await t.close();
    }
  });

  for (const codec of [...CODEC_NAMES, 'auto'] as const) {
    it(`round-trips with codec ${codec} and records the codec per chunk`, async () => {
      const t = await testEngine();
      try {
        const data = textBytes(200_000, 11);
        await upload(t.ctx, pieces(data), { name: 'f', codec });
        assert.deepEqual(await collect((await download(t.ctx, 'f')).body), data);
        const s = await stat(t.ctx, 'f');
        const used = Object.keys(s.codecs);
        assert.ok(used.length >= 1);
        if (codec !== 'auto') assert.deepEqual(used, [codec]);
        else assert.deepEqual(used, ['zstd']);
        if (codec !== 'none') assert.ok(s.ratio > 2, `text should compress with ${codec}, ratio ${s.ratio}`);
      } finally {
        await t.close();
      }
    });
  }

  it('stores incompressible chunks raw under auto, never larger than raw plus header', async () => {
    const t = await testEngine();
    try {
      const data = randomBytes(300_000, 12);
      const r = await upload(t.ctx, pieces(data), { name: 'rnd', codec: 'auto' });
      assert.deepEqual(Object.keys(r.codecs), ['none']);
      const s = await stat(t.ctx, 'rnd', { chunks: true });
      for (const c of s.chunkList!) assert.ok(c.storedSize <= c.length + 64, `chunk ${c.seq}: ${c.storedSize} > ${c.length} + header`);
    } finally {
      await t.close();
    }
  });

  it('reads byte ranges, including ones spanning chunks and the last byte', async () => {
    const t = await testEngine();
    try {
      const data = randomBytes(500_000, 13);
      await upload(t.ctx, pieces(data), { name: 'r' });
      for (const [start, end] of [
        [0, 0],
        [0, 99],
        [12_345, 234_567],
        [499_999, 499_999],
        [400_000, 10_000_000],
      ] as const) {
        const dl = await download(t.ctx, 'r', { range: { start, end } });
        const want = data.subarray(start, Math.min(end, data.length - 1) + 1);
        assert.equal(dl.length, want.length);
        assert.deepEqual(await collect(dl.body), want);
      }
      await assert.rejects(download(t.ctx, 'r', { range: { start: 500_000, end: 500_010 } }), UsageError);
    } finally {
      await t.close();
    }
  });

  it('keeps versions: putting a name again adds a version and old versions stay readable', async () => {
    const t = await testEngine();
    try {
      const v1 = textBytes(100_000, 1);
      const v2 = textBytes(120_000, 2);
      await upload(t.ctx, pieces(v1), { name: 'doc' });
      const r2 = await upload(t.ctx, pieces(v2), { name: 'doc' });
      assert.equal(r2.version.version, 2);
      assert.deepEqual(await collect((await download(t.ctx, 'doc')).body), v2);
      assert.deepEqual(await collect((await download(t.ctx, 'doc', { version: 1 })).body), v1);
      await assert.rejects(download(t.ctx, 'doc', { version: 3 }), FileNotFoundError);
      await assert.rejects(download(t.ctx, 'nope'), FileNotFoundError);
    } finally {
      await t.close();
    }
  });

  it('deduplicates within a file, across files and across versions', async () => {
    const t = await testEngine();
    try {
      const block = randomBytes(200_000, 21);
      const twice = new Uint8Array(400_000);
      twice.set(block, 0);
      twice.set(block, 200_000);
      const first = await upload(t.ctx, pieces(twice), { name: 'twice' });
      assert.ok(first.newChunks < first.chunks, 'the repeated half should dedup within the file');
      const again = await upload(t.ctx, pieces(twice), { name: 'copy' });
      assert.equal(again.newChunks, 0);
      assert.equal(again.newStoredBytes, 0);
      const v2 = await upload(t.ctx, pieces(twice), { name: 'twice' });
      assert.equal(v2.newChunks, 0);
      assert.deepEqual(await collect((await download(t.ctx, 'copy')).body), twice);
    } finally {
      await t.close();
    }
  });

  it('stores names as names: spaces, unicode, newlines, leading dashes, .. and absolute paths', async () => {
    const t = await testEngine();
    try {
      const names = ['with space.txt', 'ünïcödé/файл-名前.bin', 'new\nline', '--leading-dash', '../../etc/passwd', '/abs/path', 'a/./b/../c'];
      for (const [i, name] of names.entries()) await upload(t.ctx, pieces(textBytes(1000 + i, i)), { name });
      const listed: string[] = [];
      for await (const f of t.ctx.metadata.listFiles()) listed.push(f.name);
      assert.deepEqual(listed.sort(), [...names].sort());
      for (const [i, name] of names.entries()) assert.deepEqual(await collect((await download(t.ctx, name)).body), textBytes(1000 + i, i));
    } finally {
      await t.close();
    }
  });
});
