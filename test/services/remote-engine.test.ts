// The engine with its CPU stages on services: chunking on a chunker service (RemoteChunker) and
// compression on two compressor services (RemoteTransformer), against services started here. The
// result must be indistinguishable from local processing: same chunk ids, same stored objects
// (byte-for-byte without encryption), readable by a purely local engine and vice versa.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RepositoryKeys } from '../../src/core/keyfile.ts';
import type { EngineContext } from '../../src/engine/context.ts';
import { download } from '../../src/engine/download.ts';
import { stat } from '../../src/engine/stat.ts';
import { upload } from '../../src/engine/upload.ts';
import { WorkerPoolTransformer } from '../../src/engine/worker-transformer.ts';
import { RemoteChunker } from '../../src/services/remote-chunk-source.ts';
import { RemoteTransformer } from '../../src/services/remote-transformer.ts';
import type { BlobStore } from '../../src/storage/blob-store.ts';
import { tempDir } from '../helpers/cli.ts';
import { collect, pieces, randomBytes, textBytes } from '../helpers/data.ts';
import { testEngine } from '../helpers/engine.ts';
import { NODE_TOKEN, startChunker, startCompressor } from '../helpers/services.ts';

const KEYS: RepositoryKeys = { chunkKey: new Uint8Array(32).fill(7), idKey: new Uint8Array(32).fill(9) };

function dataset(): Uint8Array {
  const out = new Uint8Array(2_000_000);
  out.set(textBytes(900_000, 51), 0);
  out.set(randomBytes(400_000, 52), 900_000);
  out.set(textBytes(700_000, 53), 1_300_000);
  return out;
}

async function objects(stores: BlobStore[]): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const s of stores) for await (const b of s.list('chunks/')) out.set(`${s.name}/${b.key}`, await s.get(b.key));
  return out;
}

async function chunkIds(ctx: EngineContext, name: string): Promise<string[]> {
  return (await stat(ctx, name, { chunks: true })).chunkList!.map((c) => c.id);
}

describe('engine round trip through chunker and compressor services', () => {
  for (const keys of [undefined, KEYS]) {
    it(`uploads and downloads like the local engine (${keys ? 'encrypted' : 'plain'} repository)`, async () => {
      const services = await Promise.all([startChunker(), startCompressor(), startCompressor()]);
      const [chunkerSvc, ...compressors] = services;
      const chunker = new RemoteChunker({ urls: [chunkerSvc!.url], client: { token: NODE_TOKEN }, ...(keys ? { idKey: keys.idKey } : {}) });
      const transformer = new RemoteTransformer({
        urls: compressors.map((c) => c.url),
        client: { token: NODE_TOKEN },
        ...(keys ? { keys } : {}),
        local: new WorkerPoolTransformer({ workers: 1, ...(keys ? { keys } : {}) }),
      });
      const remote = await testEngine({ backends: 2, replicas: 2, ...(keys ? { keys } : {}) });
      const local = await testEngine({ backends: 2, replicas: 2, ...(keys ? { keys } : {}) });
      const rctx: EngineContext = { ...remote.ctx, transformer, chunkSource: chunker.chunkSource };
      const { dir, cleanup } = await tempDir();
      try {
        const data = dataset();
        const up = await upload(rctx, pieces(data, [1000, 65536, 7]), { name: 'f' });
        assert.equal(up.size, data.length);
        assert.ok(up.chunks > 50, `${up.chunks} chunks`);
        assert.ok(up.codecs.zstd! > 0 && up.codecs.none! > 0, JSON.stringify(up.codecs));
        assert.deepEqual(await collect((await download(rctx, 'f')).body), data);
        // A local engine on the same repository reads it (decoding never needed the services).
        assert.deepEqual(await collect((await download(remote.ctx, 'f')).body), data);

        // The same bytes through the local engine: same chunks, same stored objects.
        const lup = await upload(local.ctx, pieces(data), { name: 'f' });
        assert.equal(lup.chunks, up.chunks);
        assert.deepEqual(lup.codecs, up.codecs);
        assert.deepEqual(await chunkIds(rctx, 'f'), await chunkIds(local.ctx, 'f'));
        const [ro, lo] = await Promise.all([objects(remote.stores), objects(local.stores)]);
        assert.deepEqual([...ro.keys()].sort(), [...lo.keys()].sort());
        for (const [key, bytes] of ro) {
          if (keys) assert.equal(bytes.length, lo.get(key)!.length, key);
          else assert.deepEqual(bytes, lo.get(key), key);
        }

        // Dedup across the two paths, file inputs, auto.
        const again = await upload(remote.ctx, pieces(data), { name: 'local copy' });
        assert.equal(again.newChunks, 0);
        const path = join(dir, 'input.bin');
        await writeFile(path, data);
        const fromFile = await upload(rctx, { path }, { name: 'from file', codec: 'auto' });
        assert.equal(fromFile.newChunks, 0);
        const fresh = textBytes(300_000, 54);
        await upload(rctx, pieces(fresh), { name: 'auto', codec: 'auto' });
        assert.deepEqual(await collect((await download(rctx, 'auto')).body), fresh);
        assert.ok(compressors.every((c) => c.calls() > 0), 'both compressors used');
        assert.deepEqual(remote.warnings, []);
      } finally {
        await transformer.close();
        chunker.close();
        await remote.close();
        await local.close();
        for (const s of services) await s.close();
        await cleanup();
      }
    });
  }
});
