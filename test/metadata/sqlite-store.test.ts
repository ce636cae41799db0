import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { ConfigError } from '../../src/core/errors.ts';
import { STATS_HISTORY_LIMIT } from '../../src/metadata/analytics.ts';
import { LATEST_SCHEMA, MIGRATIONS } from '../../src/metadata/sqlite-migrations.ts';
import { openSqliteMetadata } from '../../src/metadata/sqlite-store.ts';
import { metadataStoreConformance } from '../conformance/metadata-store.ts';
import { tempDir } from '../helpers/cli.ts';

metadataStoreConformance('sqlite in memory', async () => ({ store: await openSqliteMetadata(':memory:'), cleanup: async () => {} }));

metadataStoreConformance('sqlite on disk', async () => {
  const { dir, cleanup } = await tempDir('dcs-meta-');
  return { store: await openSqliteMetadata(join(dir, 'm.db')), cleanup };
});

describe('sqlite specifics', () => {
  it('uses WAL, and two handles on one file see each other’s commits', async () => {
    const { dir, cleanup } = await tempDir('dcs-meta-');
    try {
      const a = await openSqliteMetadata(join(dir, 'm.db'));
      const b = await openSqliteMetadata(join(dir, 'm.db'));
      await a.migrate();
      await b.migrate();
      assert.equal(a.journalMode(), 'wal');
      const { sessionId } = await a.beginUpload('f');
      await a.stageChunks(sessionId, []);
      await a.commitUpload(sessionId, { name: 'f', size: 0, codec: 'zstd' });
      assert.equal((await b.getVersion('f'))?.version, 1);
      await a.close();
      await b.close();
    } finally {
      await cleanup();
    }
  });

  it('refuses a database written by a newer dcs', async () => {
    const { dir, cleanup } = await tempDir('dcs-meta-');
    try {
      const path = join(dir, 'm.db');
      const s = await openSqliteMetadata(path);
      await s.migrate();
      await s.close();
      const raw = new BetterSqlite3(path);
      raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)').run();
      raw.close();
      const t = await openSqliteMetadata(path);
      await assert.rejects(t.migrate(), (e: unknown) => e instanceof ConfigError && /newer than this dcs/.test(e.message));
      await t.close();
    } finally {
      await cleanup();
    }
  });

  it('upgrades a schema-1 database: its copies stay whole replicas, new copies can record shards', async () => {
    const { dir, cleanup } = await tempDir('dcs-meta-');
    try {
      const path = join(dir, 'm.db');
      const raw = new BetterSqlite3(path);
      raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      for (const st of MIGRATIONS[0]!.statements) raw.exec(st);
      raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (1, 0)').run();
      const id = 'ab'.repeat(32);
      raw.prepare("INSERT INTO chunks (id, raw_size, stored_size, codec_id, refcount, state, created_at) VALUES (?, 10, 10, 0, 0, 'live', 0)").run(id);
      raw.prepare("INSERT INTO chunk_copies (chunk_id, backend, state, checked_at) VALUES (?, 'old', 'ok', NULL)").run(id);
      raw.close();
      const s = await openSqliteMetadata(path);
      await s.migrate();
      await s.addCopy(id, 'new', 4);
      assert.deepEqual((await s.getChunk(id))?.copies.map((c) => [c.backend, c.shard]), [['new', 4], ['old', undefined]]);
      await s.close();
    } finally {
      await cleanup();
    }
  });

  it('upgrades a schema-2 database: open sessions are streamed uploads and can still commit', async () => {
    const { dir, cleanup } = await tempDir('dcs-meta-');
    try {
      const path = join(dir, 'm.db');
      const raw = new BetterSqlite3(path);
      raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      for (const m of MIGRATIONS.filter((x) => x.version <= 2)) {
        for (const st of m.statements) raw.exec(st);
        raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)').run(m.version);
      }
      raw.prepare("INSERT INTO upload_sessions (id, name, started_at, heartbeat_at) VALUES ('old', 'f', 0, ?)").run(Date.now());
      raw.close();
      const s = await openSqliteMetadata(path);
      await s.migrate();
      assert.equal(await s.getResumableUpload('old'), undefined);
      await s.stageChunks('old', []);
      assert.equal((await s.commitUpload('old', { name: 'f', size: 0, codec: 'zstd' })).version, 1);
      assert.equal((await s.fileAccess('f'))?.uploads, 1);
      await s.close();
    } finally {
      await cleanup();
    }
  });

  it('upgrades a schema-6 database to the latest: old versions and uploads have no attributes, old parts no etag; buckets, keys, upload listing are there', async () => {
    const { dir, cleanup } = await tempDir('dcs-meta-');
    try {
      const path = join(dir, 'm.db');
      const raw = new BetterSqlite3(path);
      raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      for (const m of MIGRATIONS.filter((x) => x.version <= 6)) {
        for (const st of m.statements) raw.exec(st);
        raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)').run(m.version);
      }
      raw.prepare("INSERT INTO files (id, name, created_at) VALUES (1, 'old', 0)").run();
      raw.prepare("INSERT INTO versions (file_id, version_no, size, chunk_count, stored_size, codec, created_at) VALUES (1, 1, 0, 0, 0, 'zstd', 0)").run();
      // A multipart upload in progress, with a part, from before version 7.
      raw.prepare(`INSERT INTO upload_sessions (id, name, started_at, heartbeat_at, kind, options) VALUES ('old-r', 'bkt/big', 5, ?, 'resumable', '{"codec":"zstd","level":3}')`).run(Date.now());
      raw.prepare("INSERT INTO upload_parts (session_id, part, size, chunk_count, created_at) VALUES ('old-r', 1, 0, 0, 6)").run();
      raw.prepare("INSERT INTO upload_sessions (id, name, started_at, heartbeat_at) VALUES ('old-s', 'bkt/streamed', 5, ?)").run(Date.now());
      raw.close();
      const s = await openSqliteMetadata(path);
      await s.migrate();
      assert.equal(LATEST_SCHEMA, 7);
      const check = new BetterSqlite3(path, { readonly: true });
      assert.equal((check.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v, LATEST_SCHEMA);
      check.close();
      const old = (await s.getVersion('old'))!;
      assert.equal('attributes' in old, false);
      const copy = await s.copyVersion(old.versionId, 'bkt/new', '{"etag":"x"}');
      assert.equal((await s.getVersion('bkt/new'))?.attributes, copy.attributes);
      assert.equal(await s.createBucket('bkt'), true);
      assert.equal(await s.deleteBucket('bkt'), 'not-empty');
      assert.equal((await s.createAccessKey({ id: 'AKIA', sealedSecret: 's', readOnly: true })).readOnly, true);
      assert.equal((await s.getAccessKey('AKIA'))?.readOnly, true);

      const r = (await s.getResumableUpload('old-r'))!;
      assert.deepEqual({ ...r, heartbeatAt: 0 }, { sessionId: 'old-r', name: 'bkt/big', codec: 'zstd', level: 3, startedAt: 5, heartbeatAt: 0, parts: [{ part: 1, size: 0, chunkCount: 0, createdAt: 6 }] });
      assert.deepEqual(await s.listResumableUploads({ prefix: 'bkt/' }), [{ sessionId: 'old-r', name: 'bkt/big', startedAt: 5 }]);
      await s.stagePart('old-r', 2, 0, [], '"e2"');
      assert.deepEqual((await s.getResumableUpload('old-r'))?.parts.map((p) => [p.part, 'etag' in p ? p.etag : 'none']), [[1, 'none'], [2, '"e2"']]);
      await s.stageChunks('old-r', []);
      const committed = await s.commitUpload('old-r', { name: 'bkt/big', size: 0, codec: 'zstd' });
      assert.equal('attributes' in committed, false);
      assert.deepEqual(await s.listResumableUploads(), []);
      await s.close();
    } finally {
      await cleanup();
    }
  });

  it(`keeps the newest ${STATS_HISTORY_LIMIT} stats samples`, async () => {
    const { dir, cleanup } = await tempDir('dcs-meta-');
    try {
      const path = join(dir, 'm.db');
      const s = await openSqliteMetadata(path);
      await s.migrate();
      // Fill to the limit directly (10,000 store calls would be slow), then add through the store.
      const raw = new BetterSqlite3(path);
      raw.prepare(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${STATS_HISTORY_LIMIT})
                   INSERT INTO stats_history (at, files, logical_bytes, unique_bytes, stored_bytes, physical_bytes)
                   SELECT i, 0, 0, 0, 0, 0 FROM n`).run();
      raw.close();
      await s.recordStatsSample({ at: STATS_HISTORY_LIMIT + 1, files: 1, logicalBytes: 0, uniqueBytes: 0, storedBytes: 0, physicalBytes: 0 });
      const all = await s.statsHistory({ limit: STATS_HISTORY_LIMIT + 10 });
      assert.equal(all.length, STATS_HISTORY_LIMIT);
      assert.deepEqual([all[0]!.at, all.at(-1)!.at], [2, STATS_HISTORY_LIMIT + 1]);
      // A sample older than all the others is the one dropped.
      await s.recordStatsSample({ at: 0, files: 1, logicalBytes: 0, uniqueBytes: 0, storedBytes: 0, physicalBytes: 0 });
      assert.equal((await s.statsHistory({ limit: STATS_HISTORY_LIMIT + 10 }))[0]!.at, 2);
      await s.close();
    } finally {
      await cleanup();
    }
  });
});
