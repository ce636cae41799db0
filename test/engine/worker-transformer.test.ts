// The codec worker pool: chunks of at most 64 KiB are transformed on the calling thread, and while
// no worker runs, chunks of up to 256 KiB are decoded there (a worker round trip costs more than
// the work, and a small file then starts no thread at all), larger ones in workers; both paths write and read the same envelopes and refuse the same corrupt ones.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkCodec } from '../../src/core/chunk-codec.ts';
import { ChunkCorruptError } from '../../src/core/errors.ts';
import { createKeyFile } from '../../src/core/keyfile.ts';
import { WorkerPoolTransformer } from '../../src/engine/worker-transformer.ts';
import { randomBytes, textBytes } from '../helpers/data.ts';

const { keys } = await createKeyFile('pw', { N: 1024 });

for (const [label, setup] of [['plain', {}], ['encrypted', { keys }]] as const) {
  describe(`worker pool (${label} repository)`, () => {
    const codec = new ChunkCodec(setup);

    it('transforms small chunks on this thread and starts no worker; a large chunk starts one', async () => {
      const pool = new WorkerPoolTransformer({ workers: 2, ...setup });
      try {
        for (const size of [0, 1, 1000, 64 * 1024]) {
          const plain = textBytes(size, size + 1);
          const id = codec.id(plain);
          const { envelope } = await pool.encode(new Uint8Array(plain), id, 'zstd');
          assert.deepEqual(await pool.decode(envelope, id), plain, `${size} bytes`);
          // The same envelope format as the codec anywhere else.
          assert.deepEqual(codec.decode(envelope, id), plain);
        }
        assert.equal(pool.workersStarted, 0);
        const big = textBytes(300_000, 9);
        const id = codec.id(big);
        const { envelope } = await pool.encode(new Uint8Array(big), id, 'zstd');
        assert.equal(pool.workersStarted, 1);
        assert.deepEqual(await pool.decode(envelope, id), big);
      } finally {
        await pool.close();
      }
    });

    it('decodes chunks up to 256 KiB here while no worker runs, so a get of a small file starts none', async () => {
      const pool = new WorkerPoolTransformer({ workers: 1, ...setup });
      try {
        const small = textBytes(256 * 1024, 7);
        const smallId = codec.id(small);
        assert.deepEqual(await pool.decode(codec.encode(small, smallId, 'zstd').envelope, smallId), small);
        assert.equal(pool.workersStarted, 0);
        // FastCDC's smallest chunk of a large file (512 KiB) still goes to a worker.
        const large = textBytes(512 * 1024, 8);
        const largeId = codec.id(large);
        assert.deepEqual(await pool.decode(codec.encode(large, largeId, 'zstd').envelope, largeId), large);
        assert.equal(pool.workersStarted, 1);
      } finally {
        await pool.close();
      }
    });

    it('refuses a corrupt small envelope, or one under another id, with ChunkCorruptError as workers do', async () => {
      const pool = new WorkerPoolTransformer({ workers: 1, ...setup });
      try {
        for (const plain of [randomBytes(2000, 3), randomBytes(400_000, 4)]) {
          const id = codec.id(plain);
          const { envelope } = codec.encode(plain, id, 'zstd');
          const bad = new Uint8Array(envelope);
          bad[bad.length - 1]! ^= 1;
          await assert.rejects(pool.decode(bad, id), ChunkCorruptError, `${plain.length} bytes, flipped bit`);
          const other = codec.id(randomBytes(10, 5));
          await assert.rejects(pool.decode(new Uint8Array(envelope), other), ChunkCorruptError, `${plain.length} bytes, other id`);
        }
      } finally {
        await pool.close();
      }
    });
  });
}
