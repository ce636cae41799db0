// SQLite schema migrations, in order. Each runs once, in a write transaction, and is recorded in
// schema_migrations; a database newer than this code is refused rather than misread. PostgreSQL has
// its own (postgres-migrations.ts): the same tables and columns in its dialect.
import { sql, type Kysely } from 'kysely';
import { ConfigError } from '../core/errors.ts';
import type { Database, Migration } from './schema.ts';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'files, versions, chunks, copies, upload sessions',
    statements: [
      `CREATE TABLE files (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL)`,
      `CREATE TABLE versions (
         id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL REFERENCES files(id), version_no INTEGER NOT NULL,
         size BIGINT NOT NULL, chunk_count INTEGER NOT NULL, stored_size BIGINT NOT NULL, codec TEXT NOT NULL,
         created_at BIGINT NOT NULL, UNIQUE (file_id, version_no))`,
      `CREATE TABLE chunks (
         id TEXT PRIMARY KEY, raw_size BIGINT NOT NULL, stored_size BIGINT NOT NULL, codec_id INTEGER NOT NULL,
         refcount BIGINT NOT NULL, state TEXT NOT NULL, created_at BIGINT NOT NULL)`,
      `CREATE INDEX chunks_unreferenced ON chunks (refcount) WHERE refcount = 0`,
      `CREATE TABLE version_chunks (
         version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
         "offset" BIGINT NOT NULL, length INTEGER NOT NULL, chunk_id TEXT NOT NULL REFERENCES chunks(id),
         PRIMARY KEY (version_id, seq))`,
      `CREATE INDEX version_chunks_by_offset ON version_chunks (version_id, "offset")`,
      `CREATE TABLE chunk_copies (
         chunk_id TEXT NOT NULL REFERENCES chunks(id) ON DELETE CASCADE, backend TEXT NOT NULL,
         state TEXT NOT NULL, checked_at BIGINT, PRIMARY KEY (chunk_id, backend))`,
      `CREATE TABLE upload_sessions (id TEXT PRIMARY KEY, name TEXT NOT NULL, started_at BIGINT NOT NULL, heartbeat_at BIGINT NOT NULL)`,
      `CREATE TABLE session_claims (
         session_id TEXT NOT NULL REFERENCES upload_sessions(id) ON DELETE CASCADE, chunk_id TEXT NOT NULL,
         PRIMARY KEY (session_id, chunk_id))`,
      `CREATE INDEX session_claims_by_chunk ON session_claims (chunk_id)`,
      `CREATE TABLE session_chunks (
         session_id TEXT NOT NULL REFERENCES upload_sessions(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
         "offset" BIGINT NOT NULL, length INTEGER NOT NULL, chunk_id TEXT NOT NULL, PRIMARY KEY (session_id, seq))`,
    ],
  },
  {
    version: 2,
    description: 'erasure shard index per copy (null: whole replica)',
    statements: [`ALTER TABLE chunk_copies ADD COLUMN shard INTEGER`],
  },
  {
    version: 3,
    description: 'resumable uploads (parts), access counters, stats history',
    statements: [
      `ALTER TABLE upload_sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'stream'`,
      `ALTER TABLE upload_sessions ADD COLUMN options TEXT`,
      `CREATE TABLE upload_parts (
         session_id TEXT NOT NULL REFERENCES upload_sessions(id) ON DELETE CASCADE, part INTEGER NOT NULL,
         size BIGINT NOT NULL, chunk_count INTEGER NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (session_id, part))`,
      `CREATE TABLE upload_part_chunks (
         session_id TEXT NOT NULL, part INTEGER NOT NULL, idx INTEGER NOT NULL, "offset" BIGINT NOT NULL,
         length INTEGER NOT NULL, chunk_id TEXT NOT NULL, PRIMARY KEY (session_id, part, idx),
         FOREIGN KEY (session_id, part) REFERENCES upload_parts(session_id, part) ON DELETE CASCADE)`,
      `CREATE TABLE file_access (
         name TEXT PRIMARY KEY, uploads BIGINT NOT NULL, downloads BIGINT NOT NULL, bytes_in BIGINT NOT NULL,
         bytes_out BIGINT NOT NULL, last_access_at BIGINT NOT NULL)`,
      `CREATE INDEX file_access_top ON file_access (downloads DESC, last_access_at DESC)`,
      `CREATE TABLE stats_history (
         id INTEGER PRIMARY KEY, at BIGINT NOT NULL, files BIGINT NOT NULL, logical_bytes BIGINT NOT NULL,
         unique_bytes BIGINT NOT NULL, stored_bytes BIGINT NOT NULL, physical_bytes BIGINT NOT NULL)`,
      `CREATE INDEX stats_history_by_time ON stats_history (at, id)`,
    ],
  },
  {
    version: 4,
    description: 'bytes of each erasure shard object per chunk (null: whole copies)',
    statements: [`ALTER TABLE chunks ADD COLUMN shard_bytes INTEGER`],
  },  {
    version: 5,
    description: 'browser sessions of the HTTP API (server-side, revocable) and share links',
    statements: [
      `CREATE TABLE web_sessions (
         id_hash TEXT PRIMARY KEY, token_fingerprint TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)`,
      `CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at)`,
      `CREATE TABLE share_links (
         id_hash TEXT PRIMARY KEY, name TEXT NOT NULL, version INTEGER, created_at BIGINT NOT NULL,
         expires_at BIGINT NOT NULL, max_downloads INTEGER, downloads INTEGER NOT NULL DEFAULT 0)`,
      `CREATE INDEX share_links_by_name ON share_links (name)`,
    ],
  },
  {
    version: 6,
    description: 'pack objects: a chunk stored inside a pack (another chunk row) has its pack and offset, and no copies of its own; the source stamp of a version put from a local file',
    statements: [
      `ALTER TABLE chunks ADD COLUMN pack_id TEXT`,
      `ALTER TABLE chunks ADD COLUMN pack_offset INTEGER`,
      `CREATE INDEX chunks_by_pack ON chunks (pack_id) WHERE pack_id IS NOT NULL`,
      `ALTER TABLE versions ADD COLUMN source_stamp TEXT`,
    ],
  },
  {
    version: 7,
    description:
      'S3 front end: attributes of a version (ETag, content type, user metadata), buckets, access keys; multipart uploads: attributes of a resumable session, ETag of a part, listing sessions by name',
    statements: [
      `ALTER TABLE versions ADD COLUMN attributes TEXT`,
      `CREATE TABLE s3_buckets (name TEXT PRIMARY KEY, created_at BIGINT NOT NULL, versioning TEXT NOT NULL DEFAULT 'Unversioned')`,
      `CREATE TABLE s3_access_keys (
         id TEXT PRIMARY KEY, sealed_secret TEXT NOT NULL, read_only INTEGER NOT NULL, bucket TEXT, prefix TEXT,
         created_at BIGINT NOT NULL, revoked_at BIGINT)`,
      `ALTER TABLE upload_sessions ADD COLUMN attributes TEXT`,
      `ALTER TABLE upload_parts ADD COLUMN etag TEXT`,
      `CREATE INDEX upload_sessions_resumable_by_name ON upload_sessions (name, id) WHERE kind = 'resumable'`,
    ],
  },
];

export const LATEST_SCHEMA = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Apply pending migrations; `inTransaction` runs a function in one write transaction. */
export async function migrate(
  db: Kysely<Database>,
  inTransaction: (fn: (trx: Kysely<Database>) => Promise<void>) => Promise<void>,
  now: number,
): Promise<void> {
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`.execute(db);
  const row = await db.selectFrom('schema_migrations').select((eb) => eb.fn.max('version').as('v')).executeTakeFirst();
  const current = Number(row?.v ?? 0);
  if (current > LATEST_SCHEMA) {
    throw new ConfigError(`metadata schema version ${current} is newer than this dcs understands (${LATEST_SCHEMA}); upgrade dcs`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    await inTransaction(async (trx) => {
      // Another process may have migrated between our read and this write transaction.
      const now2 = await trx.selectFrom('schema_migrations').select('version').where('version', '=', m.version).executeTakeFirst();
      if (now2) return;
      for (const s of m.statements) await sql.raw(s).execute(trx);
      await trx.insertInto('schema_migrations').values({ version: m.version, applied_at: now }).execute();
    });
  }
}
