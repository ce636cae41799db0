// A repository whose dcs.yaml points its metadata at PostgreSQL: files round-trip, dedup across
// files and across two opened repositories (two orchestrators), rm and gc reclaim exactly the
// unshared chunks.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.ts';
import { download } from '../../src/engine/download.ts';
import { gc } from '../../src/engine/gc.ts';
import { list } from '../../src/engine/list.ts';
import { uploadSmallFiles } from '../../src/engine/pack-upload.ts';
import { remove } from '../../src/engine/remove.ts';
import { upload } from '../../src/engine/upload.ts';
import { verify } from '../../src/engine/verify.ts';
import { PostgresMetadataStore } from '../../src/metadata/postgres-store.ts';
import { CONFIG_FILE, renderConfig } from '../../src/repository/config.ts';
import { initRepository } from '../../src/repository/init-repository.ts';
import { openEngine, readConfig } from '../../src/repository/open-engine.ts';
import { tempDir } from '../helpers/cli.ts';
import { collect, pieces, randomBytes, textBytes } from '../helpers/data.ts';
import { dropSchema, freshSchemaName, POSTGRES_URL, requirePostgres } from '../helpers/postgres.ts';
import { SMALL_CHUNKS } from '../helpers/engine.ts';

await requirePostgres();

/** A fresh repository (fs backend) whose metadata lives in its own PostgreSQL schema. */
async function postgresRepository(metadataUrl?: (schema: string) => string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const { dir, cleanup } = await tempDir('dcs-pg-');
  const schema = freshSchemaName();
  await initRepository(dir, { chunking: SMALL_CHUNKS });
  const config = await readConfig(dir);
  const sep = POSTGRES_URL.includes('?') ? '&' : '?';
  config.metadata = metadataUrl ? metadataUrl(schema) : `${POSTGRES_URL}${sep}schema=${schema}`;
  await writeFile(join(dir, CONFIG_FILE), renderConfig(config));
  return {
    dir,
    cleanup: async () => {
      await dropSchema(schema);
      await cleanup();
    },
  };
}

describe('repository with PostgreSQL metadata', () => {
  it('round-trips files with dedup, rm and gc, seen from two orchestrators', async () => {
    const { dir, cleanup } = await postgresRepository();
    const one = await openEngine(dir, { workers: 0 });
    const two = await openEngine(dir, { workers: 0 });
    try {
      assert.ok(one.ctx.metadata instanceof PostgresMetadataStore);
      const shared = randomBytes(300_000, 21);
      const own = textBytes(200_000, 22);
      const a = new Uint8Array([...shared, ...own]);
      const ra = await upload(one.ctx, pieces(a), { name: 'dir/a.bin' });
      assert.equal(ra.version.version, 1);
      // The second orchestrator dedups against the first's chunks.
      const rb = await upload(two.ctx, pieces(shared), { name: 'b.bin' });
      assert.ok(rb.newChunks < rb.chunks, `b wrote ${rb.newChunks} of ${rb.chunks} chunks`);
      const again = await upload(two.ctx, pieces(a), { name: 'dir/a.bin' });
      assert.equal(again.newChunks, 0, 'identical bytes dedup completely');
      assert.equal(again.version.version, 2);

      assert.deepEqual(await collect((await download(two.ctx, 'dir/a.bin')).body), a);
      assert.deepEqual(await collect((await download(one.ctx, 'b.bin', { range: { start: 1000, end: 250_999 } })).body), shared.subarray(1000, 251_000));
      const names: string[] = [];
      for await (const f of list(one.ctx)) names.push(`${f.name}@${f.version}`);
      assert.deepEqual(names, ['b.bin@1', 'dir/a.bin@2']);

      assert.equal((await remove(one.ctx, 'dir/a.bin')).versionsRemoved, 2);
      const report = await gc(two.ctx);
      assert.ok(report.chunksDeleted > 0, 'the chunks only a.bin used are reclaimed');
      assert.ok(report.bytesFreed > 20_000, `freed ${report.bytesFreed}`); // 200 kB of text, compressed
      assert.equal((await gc(one.ctx)).chunksDeleted, 0, 'a second gc finds nothing');
      assert.deepEqual(await collect((await download(one.ctx, 'b.bin')).body), shared);
      const v = await verify(two.ctx, { deep: true });
      assert.equal(v.lost, 0);
    } finally {
      await one.close();
      await two.close();
      await cleanup();
    }
  });

  it('small files packed by two orchestrators at once, with deletes and gc repacking beside them, stay exact', async () => {
    const { dir, cleanup } = await postgresRepository();
    const one = await openEngine(dir, { workers: 0 });
    const two = await openEngine(dir, { workers: 0 });
    try {
      const files = Array.from({ length: 120 }, (_, i) => ({ name: `s/f${i}`, data: textBytes(1000 + ((i * 7919) % 30_000), 300 + i) }));
      const inputs = (fs: typeof files) => fs.map((f) => ({ name: f.name, input: pieces(f.data) }));
      // Overlapping groups through both orchestrators at once: each chunk is stored (packed) once.
      await Promise.all([uploadSmallFiles(one.ctx, inputs(files.slice(0, 80)), {}), uploadSmallFiles(two.ctx, inputs(files.slice(40)), {})]);
      await Promise.all([
        (async () => {
          for (const f of files.slice(0, 70)) await remove(one.ctx, f.name);
        })(),
        uploadSmallFiles(one.ctx, inputs(files.slice(100)), {}),
        gc(two.ctx),
      ]);
      await gc(one.ctx);
      for (const f of files.slice(70)) assert.deepEqual(await collect((await download(two.ctx, f.name)).body), f.data, f.name);
      const v = await verify(one.ctx, { deep: true });
      assert.deepEqual([v.lost, v.orphans, v.corrupt, v.missing], [0, 0, 0, 0]);
      for (const f of files.slice(70)) await remove(two.ctx, f.name);
      await gc(two.ctx);
      const st = await one.ctx.metadata.stats();
      assert.deepEqual([st.chunks, st.physicalBytes], [0, 0]);
    } finally {
      await one.close();
      await two.close();
      await cleanup();
    }
  });

  it('refuses a password in dcs.yaml and names an unreachable server', async () => {
    const secret = await postgresRepository(() => 'postgres://postgres:hunter2@127.0.0.1:5432/test');
    try {
      await assert.rejects(openEngine(secret.dir, { workers: 0 }), (e: unknown) => e instanceof ConfigError && /PGPASSWORD/.test(e.message) && !/hunter2/.test(e.message));
    } finally {
      await secret.cleanup();
    }
    const down = await postgresRepository(() => 'postgresql://postgres@127.0.0.1:1/test');
    try {
      await assert.rejects(openEngine(down.dir, { workers: 0 }), /cannot reach PostgreSQL at postgresql:\/\/postgres@127\.0\.0\.1:1\/test/);
    } finally {
      await down.cleanup();
    }
  });
});
