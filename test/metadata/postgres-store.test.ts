// PostgreSQL MetadataStore: the shared conformance suite, each store in its own fresh schema, plus
// what only a shared database must get right: several orchestrators committing, deleting and
// collecting garbage at once, concurrent migrations, and refusing a newer schema.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DcsError } from '../../src/core/errors.ts';
import type { ClaimResult, MetadataStore, StagedChunk } from '../../src/metadata/metadata-store.ts';
import { STATS_HISTORY_LIMIT } from '../../src/metadata/analytics.ts';
import { LATEST_POSTGRES_SCHEMA, POSTGRES_MIGRATIONS } from '../../src/metadata/postgres-migrations.ts';
import { openPostgresMetadata, splitSchemaParam, type PostgresMetadataStore } from '../../src/metadata/postgres-store.ts';
import { commitResumable, metadataStoreConformance, sendPart } from '../conformance/metadata-store.ts';
import { adminQuery, dropSchema, freshSchemaName, POSTGRES_URL, requirePostgres } from '../helpers/postgres.ts';

await requirePostgres();

metadataStoreConformance('postgres', async () => {
  const schema = freshSchemaName();
  return { store: await openPostgresMetadata(POSTGRES_URL, { schema }), cleanup: () => dropSchema(schema) };
});

const id = (n: number): string => n.toString(16).padStart(64, '0');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Several stores (each its own pool: one "orchestrator" each) on one fresh, migrated schema. */
async function orchestrators(n: number, fn: (stores: PostgresMetadataStore[], schema: string) => Promise<void>): Promise<void> {
  const schema = freshSchemaName();
  const stores: PostgresMetadataStore[] = [];
  try {
    for (let i = 0; i < n; i++) stores.push(await openPostgresMetadata(POSTGRES_URL, { schema, max: 6 }));
    for (const s of stores) await s.migrate();
    await fn(stores, schema);
  } finally {
    for (const s of stores) await s.close();
    await dropSchema(schema);
  }
}

interface UploadStats {
  present: number;
  busy: number;
  written: number;
}

/**
 * One upload through the protocol, like the engine does it: claim (retrying 'busy'), "write" the
 * chunks the claim asks for into `objects`, record, stage, commit.
 */
async function upload(store: MetadataStore, name: string, ids: number[], objects: Set<string>, stats: UploadStats): Promise<number> {
  const { sessionId } = await store.beginUpload(name);
  const settled = new Map<string, ClaimResult>();
  let todo = [...new Set(ids.map(id))];
  while (todo.length > 0) {
    const claims = await store.claimChunks(sessionId, todo);
    const busy: string[] = [];
    for (const k of todo) {
      const r = claims.get(k)!;
      if (r === 'busy') busy.push(k);
      else settled.set(k, r);
    }
    stats.busy += busy.length;
    todo = busy;
    if (todo.length > 0) await sleep(2);
  }
  const toWrite = [...settled].filter(([, r]) => r === 'write').map(([k]) => k);
  stats.present += settled.size - toWrite.length;
  stats.written += toWrite.length;
  for (const k of toWrite) objects.add(k);
  await store.recordStored(sessionId, toWrite.map((k) => ({ id: k, rawSize: 100, storedSize: 40, codecId: 2, backends: ['b1'] })));
  const staged: StagedChunk[] = ids.map((n, seq) => ({ seq, offset: seq * 100, length: 100, id: id(n) }));
  await store.stageChunks(sessionId, staged);
  return (await store.commitUpload(sessionId, { name, size: ids.length * 100, codec: 'zstd' })).version;
}

/** Chunks whose refcount differs from the number of version_chunks entries that reference them. */
async function refcountMismatches(schema: string): Promise<unknown[]> {
  return adminQuery(
    `SELECT c.id, c.refcount, (SELECT COUNT(*) FROM version_chunks v WHERE v.chunk_id = c.id) AS refs
                          FROM chunks c WHERE c.refcount <> (SELECT COUNT(*) FROM version_chunks v WHERE v.chunk_id = c.id)`,
    [],
    schema,
  );
}

describe('postgres specifics', () => {
  it('two orchestrators: concurrent overlapping uploads and deletes keep refcounts exact and versions gapless', async () => {
    await orchestrators(2, async ([a, b], schema) => {
      const objects = new Set<string>();
      const stats: UploadStats = { present: 0, busy: 0, written: 0 };
      // Files to delete while the uploads run, sharing chunks with them.
      for (let i = 0; i < 8; i++) await upload(i % 2 ? a! : b!, `doomed-${i}`, [i, i + 1, i + 2, i + 2, 30 + i], objects, stats);
      const names = ['n0', 'n1', 'n2'];
      const uploads = Array.from({ length: 20 }, (_, i) => {
        const chunks = Array.from({ length: 12 }, (_c, k) => (i * 5 + k * 3) % 40);
        chunks.push(chunks[0]!, chunks[1]!); // repeated within a version: one reference per occurrence
        return upload(i % 2 ? a! : b!, names[i % names.length]!, chunks, objects, stats);
      });
      const deletes = Array.from({ length: 8 }, (_, i) => (i % 2 ? b! : a!).deleteFile(`doomed-${i}`));
      const [uploaded, deleted] = await Promise.all([Promise.all(uploads), Promise.all(deletes)]);
      assert.deepEqual(deleted, Array(8).fill(1));
      assert.equal(uploaded.length, 20);
      assert.deepEqual(await refcountMismatches(schema), []);
      for (const [k, name] of names.entries()) {
        const count = Array.from({ length: 20 }, (_, i) => i).filter((i) => i % names.length === k).length;
        assert.deepEqual((await b!.listVersions(name)).map((v) => v.version), Array.from({ length: count }, (_, i) => i + 1), name);
      }
      // Now delete concurrently too, from both orchestrators, some versions twice.
      await Promise.all([a!.deleteFile('n0', 2), b!.deleteFile('n0', 2), a!.deleteFile('n1'), b!.deleteFile('n2', 1), a!.deleteFile('n2', 3)]);
      assert.deepEqual(await refcountMismatches(schema), []);
      assert.deepEqual((await a!.listVersions('n0')).map((v) => v.version), [1, 3, 4, 5, 6, 7]);
      assert.equal(await a!.getVersion('n1'), undefined);
      assert.ok(stats.present > 0, 'uploads deduplicated against each other');
    });
  });

  it('gc on one orchestrator never forgets a chunk that uploads on another commit', async () => {
    await orchestrators(2, async ([a, b], schema) => {
      const objects = new Set<string>();
      const stats: UploadStats = { present: 0, busy: 0, written: 0 };
      // Chunks 0..59 with refcount 0 (committed, then deleted): gc candidates the uploads will reuse.
      for (let i = 0; i < 6; i++) await upload(a!, `seed-${i}`, Array.from({ length: 10 }, (_, k) => i * 10 + k), objects, stats);
      for (let i = 0; i < 6; i++) await a!.deleteFile(`seed-${i}`);
      // Dead uploads: a third orchestrator whose sessions never heartbeat again.
      const ancient = await openPostgresMetadata(POSTGRES_URL, { schema, now: () => 1000 });
      try {
        for (let i = 0; i < 3; i++) {
          const { sessionId } = await ancient.beginUpload(`dead-${i}`);
          await ancient.claimChunks(sessionId, [id(i), id(100 + i)]);
        }
      } finally {
        await ancient.close();
      }

      const stop = new AbortController();
      let forgotten = 0;
      let rounds = 0;
      let expired = 0;
      const gcLoop = (async () => {
        while (!stop.signal.aborted) {
          rounds++;
          expired += await b!.expireSessions(Date.now() - 60_000);
          const garbage = await b!.markGarbage(4);
          for (const g of garbage) {
            objects.delete(g.id); // the objects go first, as in engine/gc.ts ...
            for (const backend of g.backends) await b!.removeCopy(g.id, backend);
          }
          await b!.forgetGarbage(garbage.map((g) => g.id)); // ... then the rows
          forgotten += garbage.length;
          if (garbage.length === 0) await sleep(1);
        }
      })();
      try {
        let seed = 12345;
        const rnd = (n: number) => {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          return seed % n;
        };
        const worker = async (w: number) => {
          for (let i = 0; i < 10; i++) {
            const chunks = Array.from({ length: 8 }, () => rnd(70));
            const name = `w${w}-${i % 3}`;
            await upload(a!, name, chunks, objects, stats);
            // Deleting again keeps producing refcount-0 chunks for gc to race with.
            if (i % 2 === 1) await a!.deleteFile(name);
          }
        };
        await Promise.all([0, 1, 2, 3].map(worker));
      } finally {
        stop.abort();
        await gcLoop;
      }
      assert.ok(forgotten > 0 && rounds > 1, `gc ran ${rounds} rounds and forgot ${forgotten} chunks`);
      assert.ok(expired >= 3, 'the dead sessions expired');
      assert.ok(stats.present > 0, 'uploads reused chunks gc could have taken');

      const broken = await adminQuery<{ chunk_id: string }>(
        `SELECT vc.chunk_id FROM version_chunks vc
           WHERE NOT EXISTS (SELECT 1 FROM chunks c JOIN chunk_copies k ON k.chunk_id = c.id AND k.state = 'ok'
                             WHERE c.id = vc.chunk_id AND c.state = 'live')`,
        [],
        schema,
      );
      assert.deepEqual(broken, [], 'every committed chunk has its row and an ok copy');
      const referenced = await adminQuery<{ chunk_id: string }>('SELECT DISTINCT chunk_id FROM version_chunks', [], schema);
      for (const r of referenced) assert.ok(objects.has(r.chunk_id), `object of ${r.chunk_id.slice(0, 12)}… was deleted by gc`);
      assert.deepEqual(await refcountMismatches(schema), []);
    });
  });

  it('copyVersion racing a delete of its source and gc: the copy is whole or refused, never left with forgotten chunks', async () => {
    await orchestrators(3, async ([a, b, c], schema) => {
      const objects = new Set<string>();
      const stats: UploadStats = { present: 0, busy: 0, written: 0 };
      let copied = 0;
      let refused = 0;
      for (let round = 0; round < 15; round++) {
        const chunks = [round * 3, round * 3 + 1, round * 3 + 1, 200 + round];
        await upload(a!, `src-${round}`, chunks, objects, stats);
        const source = (await a!.getVersion(`src-${round}`))!;
        const gc = (async () => {
          for (let i = 0; i < 3; i++) {
            const garbage = await c!.markGarbage(50);
            for (const g of garbage) for (const backend of g.backends) await c!.removeCopy(g.id, backend);
            await c!.forgetGarbage(garbage.map((g) => g.id));
          }
        })();
        const [copy] = await Promise.allSettled([b!.copyVersion(source.versionId, `dst-${round}`), a!.deleteFile(`src-${round}`), gc]);
        if (copy.status === 'fulfilled') {
          copied++;
          assert.deepEqual((await a!.listVersions(`dst-${round}`)).map((v) => v.size), [400]);
        } else {
          refused++;
          assert.ok(copy.reason instanceof DcsError && copy.reason.code === 'FILE_NOT_FOUND', String(copy.reason));
          assert.equal(await a!.getVersion(`dst-${round}`), undefined);
        }
      }
      assert.equal(copied + refused, 15);
      const broken = await adminQuery<{ chunk_id: string }>(
        `SELECT vc.chunk_id FROM version_chunks vc
           WHERE NOT EXISTS (SELECT 1 FROM chunks c JOIN chunk_copies k ON k.chunk_id = c.id AND k.state = 'ok'
                             WHERE c.id = vc.chunk_id AND c.state = 'live')`,
        [],
        schema,
      );
      assert.deepEqual(broken, [], 'every copied chunk has its row and an ok copy');
      assert.deepEqual(await refcountMismatches(schema), []);
    });
  });

  it('two orchestrators committing resumable uploads of one name get distinct, gapless versions', async () => {
    await orchestrators(2, async ([a, b], schema) => {
      const n = 12;
      const sessions = await Promise.all(Array.from({ length: n }, (_, i) => (i % 2 ? a! : b!).beginResumableUpload('same', { codec: 'zstd' })));
      // Upload i: parts 3, 1, 2 (out of order), sent by alternating orchestrators, chunks shared between uploads.
      await Promise.all(
        sessions.map(async ({ sessionId }, i) => {
          for (const part of [3, 1, 2]) await sendPart(part % 2 ? a! : b!, sessionId, part, [[i + part, 100], [50 + part, 10 * part]]);
        }),
      );
      const committed = await Promise.all(sessions.map(({ sessionId }, i) => commitResumable(i % 2 ? b! : a!, sessionId, { name: 'same', codec: 'zstd' }, 3)));
      assert.deepEqual(committed.map((v) => v.version).sort((x, y) => x - y), Array.from({ length: n }, (_, i) => i + 1));
      for (const [i, v] of committed.entries()) {
        const chunks = [];
        for await (const c of a!.versionChunks(v.versionId)) chunks.push([c.offset, c.chunk.id]);
        assert.deepEqual(chunks, [[0, id(i + 1)], [100, id(51)], [110, id(i + 2)], [210, id(52)], [230, id(i + 3)], [330, id(53)]]);
        assert.equal(v.size, 360);
      }
      assert.deepEqual(await refcountMismatches(schema), []);
      assert.equal((await a!.fileAccess('same'))?.uploads, n);
      assert.equal((await b!.usageTotals()).bytesIn, n * 360);
    });
  });

  it('parts of one upload staged at once from two orchestrators, one of them twice, commit once each', async () => {
    await orchestrators(2, async ([a, b]) => {
      const { sessionId } = await a!.beginResumableUpload('parallel', { codec: 'zstd' });
      const parts = Array.from({ length: 10 }, (_, i) => i + 1);
      await Promise.all([
        ...parts.map((p) => sendPart(p % 2 ? a! : b!, sessionId, p, [[p, 100]])),
        sendPart(b!, sessionId, 5, [[5, 100]]),
        sendPart(a!, sessionId, 5, [[5, 100]]),
      ]);
      assert.deepEqual((await b!.getResumableUpload(sessionId))?.parts.map((p) => p.part), parts);
      const v = await commitResumable(b!, sessionId, { name: 'parallel', codec: 'zstd' }, 10);
      assert.deepEqual([v.size, v.chunkCount], [1000, 10]);
      assert.equal((await a!.getChunk(id(5)))?.refcount, 1);
    });
  });

  it('one session committed from two orchestrators at once commits once', async () => {
    await orchestrators(2, async ([a, b], schema) => {
      for (let round = 0; round < 5; round++) {
        const { sessionId } = await a!.beginResumableUpload('twice', { codec: 'zstd' });
        await sendPart(a!, sessionId, 1, [[1, 100], [2, 100]]);
        await sendPart(b!, sessionId, 2, [[3, 100]]);
        const staged = [0, 1, 2].map((seq) => ({ seq, offset: seq * 100, length: 100, id: id(seq + 1) }));
        await a!.stageChunks(sessionId, staged);
        const results = await Promise.allSettled([a!, b!].map((s) => s.commitUpload(sessionId, { name: 'twice', size: 300, codec: 'zstd' })));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, `round ${round}`);
        const failed = results.find((r) => r.status === 'rejected')!;
        assert.ok(failed.reason instanceof DcsError && failed.reason.code === 'SESSION_EXPIRED', String(failed.reason));
      }
      assert.deepEqual((await a!.listVersions('twice')).map((v) => v.version), [1, 2, 3, 4, 5]);
      assert.equal((await b!.fileAccess('twice'))?.uploads, 5);
      assert.deepEqual(await refcountMismatches(schema), []);
    });
  });

  it(`keeps the newest ${STATS_HISTORY_LIMIT} stats samples`, async () => {
    await orchestrators(1, async ([s], schema) => {
      await adminQuery(
        `INSERT INTO stats_history (at, files, logical_bytes, unique_bytes, stored_bytes, physical_bytes)
         SELECT i, 0, 0, 0, 0, 0 FROM generate_series(1, ${STATS_HISTORY_LIMIT}) AS i`,
        [],
        schema,
      );
      await s!.recordStatsSample({ at: STATS_HISTORY_LIMIT + 1, files: 1, logicalBytes: 0, uniqueBytes: 0, storedBytes: 0, physicalBytes: 0 });
      const all = await s!.statsHistory({ limit: STATS_HISTORY_LIMIT + 10 });
      assert.equal(all.length, STATS_HISTORY_LIMIT);
      assert.deepEqual([all[0]!.at, all.at(-1)!.at], [2, STATS_HISTORY_LIMIT + 1]);
    });
  });

  it('migrates concurrently from three orchestrators', async () => {
    const schema = freshSchemaName();
    const stores = await Promise.all([1, 2, 3].map(() => openPostgresMetadata(POSTGRES_URL, { schema })));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      const rows = await adminQuery<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version', [], schema);
      assert.deepEqual(rows.map((r) => r.version), Array.from({ length: LATEST_POSTGRES_SCHEMA }, (_, i) => i + 1));
      await Promise.all(stores.map((s) => s.migrate()));
    } finally {
      for (const s of stores) await s.close();
      await dropSchema(schema);
    }
  });

  it('upgrades a schema-6 database to the latest: old versions and uploads have no attributes, old parts no etag; buckets, keys, upload listing are there', async () => {
    const schema = freshSchemaName();
    try {
      await adminQuery(`CREATE SCHEMA "${schema}"`);
      await adminQuery('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)', [], schema);
      for (const m of POSTGRES_MIGRATIONS.filter((x) => x.version <= 6)) {
        for (const st of m.statements) await adminQuery(st, [], schema);
        await adminQuery('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)', [m.version], schema);
      }
      const [file] = await adminQuery<{ id: string }>("INSERT INTO files (name, created_at) VALUES ('old', 0) RETURNING id", [], schema);
      await adminQuery("INSERT INTO versions (file_id, version_no, size, chunk_count, stored_size, codec, created_at) VALUES ($1, 1, 0, 0, 0, 'zstd', 0)", [file!.id], schema);
      // A multipart upload in progress, with a part and a claim, from before version 7.
      await adminQuery(
        `INSERT INTO upload_sessions (id, name, started_at, heartbeat_at, kind, options) VALUES ('old-r', 'bkt/big', 5, $1, 'resumable', '{"codec":"zstd","level":3}')`,
        [Date.now()],
        schema,
      );
      await adminQuery("INSERT INTO upload_parts (session_id, part, size, chunk_count, created_at) VALUES ('old-r', 1, 0, 0, 6)", [], schema);
      await adminQuery("INSERT INTO session_claims (session_id, chunk_id) VALUES ('old-r', 'c1')", [], schema);
      await adminQuery("INSERT INTO upload_sessions (id, name, started_at, heartbeat_at) VALUES ('old-s', 'bkt/streamed', 5, $1)", [Date.now()], schema);
      const s = await openPostgresMetadata(POSTGRES_URL, { schema });
      try {
        await s.migrate();
        const rows = await adminQuery<{ v: number }>('SELECT MAX(version) AS v FROM schema_migrations', [], schema);
        assert.equal(Number(rows[0]!.v), LATEST_POSTGRES_SCHEMA);
        assert.equal(LATEST_POSTGRES_SCHEMA, 7);
        const old = (await s.getVersion('old'))!;
        assert.equal('attributes' in old, false);
        await s.copyVersion(old.versionId, 'bkt/new', '{"etag":"x"}');
        assert.equal((await s.getVersion('bkt/new'))?.attributes, '{"etag":"x"}');
        assert.equal(await s.createBucket('bkt'), true);
        assert.equal(await s.deleteBucket('bkt'), 'not-empty');
        assert.equal((await s.createAccessKey({ id: 'AKIA', sealedSecret: 's', readOnly: true })).readOnly, true);
        assert.equal((await s.getAccessKey('AKIA'))?.readOnly, true);

        // Session names and ids compare in byte order, as names and chunk ids always did.
        const collations = await adminQuery<{ column_name: string; collation_name: string | null }>(
          "SELECT column_name, collation_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'upload_sessions' AND column_name IN ('id', 'name') ORDER BY column_name",
          [schema],
        );
        assert.deepEqual(collations.map((c) => [c.column_name, c.collation_name]), [['id', 'C'], ['name', 'C']]);
        const r = (await s.getResumableUpload('old-r'))!;
        assert.deepEqual({ ...r, heartbeatAt: 0 }, { sessionId: 'old-r', name: 'bkt/big', codec: 'zstd', level: 3, startedAt: 5, heartbeatAt: 0, parts: [{ part: 1, size: 0, chunkCount: 0, createdAt: 6 }] });
        assert.deepEqual(await s.listResumableUploads({ prefix: 'bkt/' }), [{ sessionId: 'old-r', name: 'bkt/big', startedAt: 5 }]);
        await s.stagePart('old-r', 2, 0, [], '"e2"');
        assert.deepEqual((await s.getResumableUpload('old-r'))?.parts.map((p) => [p.part, 'etag' in p ? p.etag : 'none']), [[1, 'none'], [2, '"e2"']]);
        await s.stageChunks('old-r', []);
        const committed = await s.commitUpload('old-r', { name: 'bkt/big', size: 0, codec: 'zstd' });
        assert.equal('attributes' in committed, false);
        assert.deepEqual(await s.listResumableUploads(), []);
        // The session's claim and parts went with it (the foreign keys still cascade).
        assert.deepEqual(await adminQuery('SELECT session_id FROM session_claims UNION ALL SELECT session_id FROM upload_parts', [], schema), []);
      } finally {
        await s.close();
      }
    } finally {
      await dropSchema(schema);
    }
  });

  it('refuses a database written by a newer dcs', async () => {
    await orchestrators(1, async (_stores, schema) => {
      await adminQuery('INSERT INTO schema_migrations (version, applied_at) VALUES (99, 0)', [], schema);
      const t = await openPostgresMetadata(POSTGRES_URL, { schema });
      try {
        await assert.rejects(t.migrate(), (e: unknown) => e instanceof ConfigError && /newer than this dcs/.test(e.message));
      } finally {
        await t.close();
      }
    });
  });

  it('names an unreachable server and rejects a bad schema name', async () => {
    await assert.rejects(openPostgresMetadata('postgres://postgres@127.0.0.1:1/test'), (e: unknown) => e instanceof DcsError && /cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test/.test(e.message));
    await assert.rejects(openPostgresMetadata(POSTGRES_URL, { schema: 'Bad-Name' }), ConfigError);
    assert.deepEqual(splitSchemaParam('postgres://h/db?sslmode=disable&schema=dcs'), { url: 'postgres://h/db?sslmode=disable', schema: 'dcs' });
  });
});
