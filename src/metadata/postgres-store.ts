// PostgreSQL MetadataStore (pg Pool under Kysely's PostgresDialect): the shared metadata of several
// orchestrators. Same tables and semantics as SQLite; what differs is concurrency, since many
// processes write at once under READ COMMITTED. The rules that keep that correct:
//
// - Row locks on `chunks` are always taken in id order (SELECT … ORDER BY id FOR …) before a
//   statement changes several chunk rows, and a transaction locks sessions, then files, then chunks,
//   so lock waits cannot form a cycle. Should PostgreSQL still report a deadlock or serialization
//   failure (40P01/40001), the whole transaction is retried (#tx).
// - claimChunks vs markGarbage: a claim takes FOR KEY SHARE on each chunk row, and inserts its claim
//   while holding it. markGarbage takes FOR UPDATE SKIP LOCKED on candidates (skipping rows a claim
//   or commit holds), then re-checks "refcount = 0 and no claim" in a second statement: that
//   statement's snapshot is taken after the locks were granted, so it sees every claim committed
//   before them, and no new claim can be inserted while gc holds them. A claim that waited on gc's
//   lock reads the row's new state ('deleting') and answers 'busy'.
// - commitUpload locks the file row (inserted if missing), so commits of one name are serialised and
//   latest + 1 never repeats (UNIQUE (file_id, version_no) backs this up). Refcounts change by
//   `refcount ± n` on locked rows, so overlapping commits and deletes add up exactly; a CHECK keeps
//   them from going negative. A resumable session is committed the same way (the engine stages
//   the list it builds from the parts); stagePart holds the session FOR NO KEY UPDATE (its heartbeat),
//   and stageChunks/unstageAll FOR KEY SHARE, so none of them can slip in beside a commit or an
//   expiry of the session.
// - Access counters change by `+ n` in one upsert, after all other locks (file_access rows last).
// - Streams (listFiles, versionChunks, chunks) page with keysets (name, seq, id), one query a page.
import { setTimeout as sleep } from 'node:timers/promises';
import { Kysely, PostgresDialect, sql, type RawBuilder, type Transaction } from 'kysely';
import { Pool, types } from 'pg';
import type { ChunkId } from '../core/chunk-id.ts';
import { ConfigError, DcsError } from '../core/errors.ts';
import type {
  ChunkRecord,
  ClaimResult,
  CopyState,
  FileAccess,
  FileSummary,
  GarbageChunk,
  ListFilesOptions,
  MetadataStore,
  PartChunk,
  RepositoryStats,
  ResumableUpload,
  ResumableUploadOptions,
  StagedChunk,
  StatsSample,
  StoredChunk,
  UsageTotals,
  VersionChunk,
  VersionRecord,
} from './metadata-store.ts';
import * as shared from './chunk-reads.ts';
import { anyArray, batches as batchesOf, ChunkReads, PAGE, repositoryStats, shardOf } from './chunk-reads.ts';
import { migratePostgres } from './postgres-migrations.ts';
import type { Database, SessionKind } from './schema.ts';

/** Ids per statement: arrays travel as one parameter, this only bounds statement size. */
const ID_BATCH = 1000;
const MAX_ATTEMPTS = 8;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresOptions {
  /** Schema holding dcs's tables (created by migrate); default: the connection's search_path. */
  schema?: string;
  /** Connections in the pool. */
  max?: number;
  now?: () => number;
}

type Db = Kysely<Database>;

const batches = <T>(items: readonly T[], size = ID_BATCH): T[][] => batchesOf(items, size);

/** `= ANY($1::text[])`: a list of ids as a single array parameter. */
function anyOf(ids: readonly string[]): RawBuilder<string> {
  return sql<string>`ANY(${ids}::text[])`;
}

/** The least string greater than every string that starts with `prefix` (C collation), if any. */
function prefixEnd(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last === 0xd7ff ? 0xe000 : last + 1; // skip the surrogate range
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === '40001' || code === '40P01';
}

/** int8 and numeric (SUM of bigint) as JS numbers: sizes and counts stay below 2^53. */
function parseBigint(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new DcsError('METADATA_RANGE', `metadata value ${text} does not fit a JS number`);
  return n;
}

const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === types.builtins.INT8) return parseBigint;
    if (oid === types.builtins.NUMERIC) return Number;
    return types.getTypeParser(oid, format);
  }) as typeof types.getTypeParser,
};

function describeError(err: unknown): string {
  const e = err as { message?: string; code?: string; errors?: { message?: string }[] };
  return e.message || e.errors?.[0]?.message || e.code || String(err);
}

/** The URL for messages: without a password. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/, '$1:***@');
}

/** Splits dcs's own `schema` query parameter off a PostgreSQL URL; the rest goes to pg as is. */
export function splitSchemaParam(url: string): { url: string; schema?: string } {
  const q = url.indexOf('?');
  if (q < 0) return { url };
  const params = new URLSearchParams(url.slice(q + 1));
  const schema = params.get('schema') ?? undefined;
  params.delete('schema');
  const rest = params.toString();
  return { url: url.slice(0, q) + (rest ? `?${rest}` : ''), ...(schema !== undefined ? { schema } : {}) };
}

export class PostgresMetadataStore implements MetadataStore {
  readonly #db: Db;
  readonly #reads: ChunkReads;
  readonly #schema: string | undefined;
  readonly #now: () => number;

  constructor(db: Db, schema: string | undefined, now: () => number) {
    this.#db = db;
    this.#reads = new ChunkReads(db, anyArray, ID_BATCH);
    this.#schema = schema;
    this.#now = now;
  }

  /** One READ COMMITTED transaction, retried whole on deadlock or serialization failure. */
  async #tx<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute(fn);
      } catch (err) {
        if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw err;
        await sleep(Math.random() * 10 * 2 ** attempt);
      }
    }
  }

  /** Lock chunk rows in id order (the order every transaction uses), returning those that exist. */
  async #lockChunks(trx: Db, ids: readonly string[], mode: 'update' | 'no key update'): Promise<string[]> {
    if (ids.length === 0) return [];
    const q = trx.selectFrom('chunks').select('id').where('id', '=', anyOf(ids)).orderBy('id');
    const rows = await (mode === 'update' ? q.forUpdate() : q.forNoKeyUpdate()).execute();
    return rows.map((r) => r.id);
  }

  async migrate(): Promise<void> {
    await migratePostgres(this.#db, this.#schema, this.#now());
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }

  // --- uploads -------------------------------------------------------------------------------

  async beginUpload(name: string): Promise<{ sessionId: string }> {
    return { sessionId: await shared.insertSession(this.#db, name, this.#now()) };
  }

  async heartbeat(sessionId: string): Promise<void> {
    await this.#db.updateTable('upload_sessions').set({ heartbeat_at: this.#now() }).where('id', '=', sessionId).execute();
  }

  async claimChunks(sessionId: string, ids: ChunkId[]): Promise<Map<ChunkId, ClaimResult>> {
    const distinct = [...new Set(ids)].sort();
    if (distinct.length === 0) return new Map();
    return this.#tx(async (trx) => {
      const results = new Map<ChunkId, ClaimResult>();
      // KEY SHARE on the session: expireSessions cannot remove it under this claim.
      await this.#requireSession(trx, sessionId, 'share');
      const now = this.#now();
      for (const part of batches(distinct)) {
        // New ids get a pending row first (in id order, so concurrent inserters cannot deadlock),
        // then every row is locked and read in one statement.
        await sql`INSERT INTO chunks (id, raw_size, stored_size, codec_id, refcount, state, created_at)
                  SELECT id, 0, 0, -1, 0, 'pending', ${now} FROM unnest(${part}::text[]) AS t(id) ORDER BY id
                  ON CONFLICT (id) DO NOTHING`.execute(trx);
        const rows = await trx
          .selectFrom('chunks as c')
          .select((eb) => [
            'c.id',
            'c.state',
            eb
              .selectFrom('chunk_copies as k')
              .select((e) => e.fn.countAll<number>().as('n'))
              .whereRef('k.chunk_id', '=', 'c.id')
              .where('k.state', '=', 'ok')
              .as('ok'),
          ])
          .where('c.id', '=', anyOf(part))
          .orderBy('c.id')
          .forKeyShare()
          .execute();
        const known = new Map(rows.map((r) => [r.id, r]));
        const toClaim: string[] = [];
        for (const id of part) {
          const row = known.get(id);
          // Missing: gc forgot it between our insert and our lock; the next claim inserts it afresh.
          if (!row || row.state === 'deleting') {
            results.set(id, 'busy');
            continue;
          }
          toClaim.push(id);
          // A recorded ok copy is durable (recorded only after the write); this claim protects it from gc.
          results.set(id, Number(row.ok) > 0 ? 'present' : 'write');
        }
        if (toClaim.length > 0) {
          await sql`INSERT INTO session_claims (session_id, chunk_id) SELECT ${sessionId}, unnest(${toClaim}::text[])
                    ON CONFLICT DO NOTHING`.execute(trx);
        }
      }
      return results;
    });
  }

  async recordStored(sessionId: string, chunks: StoredChunk[]): Promise<void> {
    if (chunks.length === 0) return;
    const sorted = [...chunks].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    await this.#tx(async (trx) => {
      await this.#requireSession(trx, sessionId, 'share');
      const now = this.#now();
      for (const part of batches(sorted)) {
        await this.#lockChunks(trx, part.map((c) => c.id), 'no key update');
        // Sizes are filled in once; a live chunk rewritten by a later upload keeps its record.
        await sql`UPDATE chunks SET raw_size = t.raw, stored_size = t.stored, codec_id = t.codec, shard_bytes = t.shard_bytes
                  FROM unnest(${part.map((c) => c.id)}::text[], ${part.map((c) => c.rawSize)}::bigint[],
                              ${part.map((c) => c.storedSize)}::bigint[], ${part.map((c) => c.codecId)}::int[],
                              ${part.map((c) => c.shardBytes ?? null)}::bigint[]) AS t(id, raw, stored, codec, shard_bytes)
                  WHERE chunks.id = t.id AND chunks.state = 'pending'`.execute(trx);
        const copies = part.flatMap((c) => [...new Set(c.backends)].sort().map((backend) => ({ id: c.id, backend, shard: shardOf(c, backend) })));
        if (copies.length > 0) {
          await sql`INSERT INTO chunk_copies (chunk_id, backend, state, checked_at, shard)
                    SELECT id, backend, 'ok', ${now}, shard
                    FROM unnest(${copies.map((c) => c.id)}::text[], ${copies.map((c) => c.backend)}::text[], ${copies.map((c) => c.shard)}::int[]) AS t(id, backend, shard)
                    ON CONFLICT (chunk_id, backend) DO UPDATE SET state = 'ok', checked_at = EXCLUDED.checked_at, shard = EXCLUDED.shard`.execute(trx);
        }
      }
    });
  }

  async stageChunks(sessionId: string, entries: StagedChunk[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#tx(async (trx) => {
      await this.#requireSession(trx, sessionId, 'share');
      for (const part of batches(entries, 5000)) {
        await sql`INSERT INTO session_chunks (session_id, seq, "offset", length, chunk_id)
                  SELECT ${sessionId}, seq, off, len, id
                  FROM unnest(${part.map((e) => e.seq)}::int[], ${part.map((e) => e.offset)}::bigint[],
                              ${part.map((e) => e.length)}::int[], ${part.map((e) => e.id)}::text[]) AS t(seq, off, len, id)`.execute(trx);
      }
    });
  }

  async commitUpload(sessionId: string, info: { name: string; size: number; codec: string }): Promise<VersionRecord> {
    return this.#tx(async (trx) => {
      // FOR UPDATE on the session: a second commit of it, or expireSessions, waits and then finds it gone;
      // staging (stageChunks, stagePart, unstageAll) in progress finishes first.
      await this.#requireSession(trx, sessionId, 'update');
      return this.#commitStaged(trx, sessionId, info);
    });
  }

  /** The commit itself, in the caller's transaction, which holds the session FOR UPDATE: staged list → new version. */
  async #commitStaged(trx: Db, sessionId: string, info: { name: string; size: number; codec: string }): Promise<VersionRecord> {
    // The staged list cannot change under the session lock: check it before taking any other lock.
    await shared.checkTiling(trx, sessionId, info.name, info.size);
    const now = this.#now();
    const fileId = await this.#lockFile(trx, info.name, now);
    const staged = trx.selectFrom('session_chunks').select('chunk_id').distinct().where('session_id', '=', sessionId);
    await trx.selectFrom('chunks').select('id').where('id', 'in', staged).orderBy('id').forNoKeyUpdate().execute();

    // Checked after the locks, so the states read here cannot change before we commit.
    const bad = await trx
      .selectFrom('session_chunks as s')
      .leftJoin('chunks as c', 'c.id', 's.chunk_id')
      .select(['s.chunk_id'])
      .where('s.session_id', '=', sessionId)
      .where((eb) =>
        eb.or([
          eb('c.id', 'is', null),
          eb('c.state', '=', 'deleting'),
          eb.not(eb.exists(eb.selectFrom('chunk_copies as k').select('k.chunk_id').whereRef('k.chunk_id', '=', 's.chunk_id').where('k.state', '=', 'ok'))),
        ]),
      )
      .limit(1)
      .executeTakeFirst();
    if (bad) throw new DcsError('COMMIT_REFUSED', `cannot commit ${JSON.stringify(info.name)}: chunk ${bad.chunk_id.slice(0, 16)}… has no stored copy`);

    const latest = await trx.selectFrom('versions').select((eb) => eb.fn.max('version_no').as('v')).where('file_id', '=', fileId).executeTakeFirst();
    const versionNo = Number(latest?.v ?? 0) + 1;
    const counts = await trx
      .selectFrom('session_chunks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('session_id', '=', sessionId)
      .executeTakeFirstOrThrow();
    const stored = await trx
      .selectFrom('chunks')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('stored_size'), sql<number>`0`).as('s'))
      .where('id', 'in', staged)
      .executeTakeFirstOrThrow();
    const version = await trx
      .insertInto('versions')
      .values({ file_id: fileId, version_no: versionNo, size: info.size, chunk_count: Number(counts.n), stored_size: Number(stored.s), codec: info.codec, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sql`INSERT INTO version_chunks (version_id, seq, "offset", length, chunk_id)
              SELECT ${version.id}, seq, "offset", length, chunk_id FROM session_chunks WHERE session_id = ${sessionId}`.execute(trx);
    // One reference per occurrence: deleteFile subtracts exactly the same counts.
    await sql`UPDATE chunks SET refcount = refcount + r.n, state = 'live'
              FROM (SELECT chunk_id, COUNT(*) AS n FROM session_chunks WHERE session_id = ${sessionId} GROUP BY chunk_id) AS r
              WHERE chunks.id = r.chunk_id`.execute(trx);
    // Cascades to the session's claims, staged entries and parts.
    await trx.deleteFrom('upload_sessions').where('id', '=', sessionId).execute();
    await shared.countAccess(trx, info.name, { uploads: 1, bytesIn: info.size }, now);
    return { versionId: version.id, name: info.name, version: versionNo, size: info.size, chunkCount: Number(counts.n), codec: info.codec, createdAt: now };
  }

  /** The file row, created if missing, locked FOR UPDATE: one commit or delete of a name at a time. */
  async #lockFile(trx: Db, name: string, now: number): Promise<number> {
    for (;;) {
      await trx.insertInto('files').values({ name, created_at: now }).onConflict((oc) => oc.column('name').doNothing()).execute();
      const file = await trx.selectFrom('files').select('id').where('name', '=', name).forUpdate().executeTakeFirst();
      // Absent only if a concurrent deleteFile removed the row after our insert saw it: insert again.
      if (file) return file.id;
    }
  }

  async abortUpload(sessionId: string): Promise<void> {
    await this.#db.deleteFrom('upload_sessions').where('id', '=', sessionId).execute();
  }

  async #requireSession(trx: Db, sessionId: string, lock: 'share' | 'update'): Promise<SessionKind> {
    const q = trx.selectFrom('upload_sessions').select('kind').where('id', '=', sessionId);
    const s = await (lock === 'update' ? q.forUpdate() : q.forKeyShare()).executeTakeFirst();
    if (!s) throw new DcsError('SESSION_EXPIRED', 'upload session expired (it was idle too long and gc released it); retry the upload');
    return s.kind;
  }

  // --- resumable uploads ---------------------------------------------------------------------

  async beginResumableUpload(name: string, options: ResumableUploadOptions): Promise<{ sessionId: string }> {
    return { sessionId: await shared.insertSession(this.#db, name, this.#now(), options) };
  }

  getResumableUpload(sessionId: string): Promise<ResumableUpload | undefined> {
    return shared.resumableUpload(this.#db, sessionId);
  }

  async stagePart(sessionId: string, part: number, size: number, chunks: PartChunk[]): Promise<void> {
    shared.checkPart(part, size, chunks);
    await this.#tx(async (trx) => {
      const now = this.#now();
      // The heartbeat locks the session FOR NO KEY UPDATE: a commit or expiry of it waits for this part
      // (then sees it), and a part staged after a commit finds the session gone.
      const s = await trx.updateTable('upload_sessions').set({ heartbeat_at: now }).where('id', '=', sessionId).where('kind', '=', 'resumable').returning('id').executeTakeFirst();
      if (!s) throw shared.uploadNotFound();
      const bad = await shared.firstUnstored(trx, anyArray, ID_BATCH, chunks.map((c) => c.id));
      if (bad !== undefined) throw new DcsError('COMMIT_REFUSED', `cannot store part ${part}: chunk ${bad.slice(0, 16)}… has no stored copy`);
      await shared.storePart(trx, sessionId, part, size, chunks, now);
    });
  }

  partChunks(sessionId: string, part: number): Promise<PartChunk[]> {
    return shared.partChunks(this.#db, sessionId, part);
  }

  async unstageAll(sessionId: string): Promise<void> {
    await this.#tx(async (trx) => {
      // KEY SHARE on the session, as stageChunks: a commit of it (FOR UPDATE) waits for this, or this for it.
      const s = await trx.selectFrom('upload_sessions').select('id').where('id', '=', sessionId).forKeyShare().executeTakeFirst();
      if (!s) throw shared.uploadNotFound();
      await trx.deleteFrom('session_chunks').where('session_id', '=', sessionId).execute();
    });
  }

  // --- reads ---------------------------------------------------------------------------------

  getVersion(name: string, version?: number): Promise<VersionRecord | undefined> {
    return shared.getVersion(this.#db, name, version);
  }

  listVersions(name: string): Promise<VersionRecord[]> {
    return shared.listVersions(this.#db, name);
  }

  async *listFiles(options: ListFilesOptions = {}): AsyncIterable<FileSummary> {
    let after = options.after;
    let remaining = options.limit ?? Infinity;
    const prefix = options.prefix ?? '';
    const end = prefixEnd(prefix);
    while (remaining > 0) {
      let q = this.#db
        .selectFrom('files as f')
        .innerJoin('versions as v', 'v.file_id', 'f.id')
        .select((eb) => [
          'f.name',
          'v.version_no',
          'v.size',
          'v.stored_size',
          'v.created_at',
          eb.selectFrom('versions as c').select((e) => e.fn.countAll<number>().as('n')).whereRef('c.file_id', '=', 'f.id').as('versions'),
        ])
        .where('v.version_no', '=', (eb) => eb.selectFrom('versions as m').select((e) => e.fn.max('m.version_no').as('mv')).whereRef('m.file_id', '=', 'f.id'))
        .orderBy('f.name')
        .limit(Math.min(PAGE, remaining));
      // Names are COLLATE "C": a byte-order range is exactly the names with this prefix (no LIKE escaping).
      if (prefix !== '') q = q.where('f.name', '>=', prefix);
      if (end !== undefined && prefix !== '') q = q.where('f.name', '<', end);
      if (after !== undefined) q = q.where('f.name', '>', after);
      const rows = await q.execute();
      for (const r of rows) {
        yield { name: r.name, version: r.version_no, versions: Number(r.versions), size: r.size, storedSize: r.stored_size, createdAt: r.created_at };
      }
      if (rows.length < PAGE) return;
      remaining -= rows.length;
      after = rows[rows.length - 1]!.name;
    }
  }

  versionChunks(versionId: number, fromOffset?: number): AsyncIterable<VersionChunk> {
    return this.#reads.versionChunks(versionId, fromOffset);
  }

  getChunk(id: ChunkId): Promise<ChunkRecord | undefined> {
    return this.#reads.getChunk(id);
  }

  chunks(options: { after?: ChunkId; pageSize?: number } = {}): AsyncIterable<ChunkRecord> {
    return this.#reads.chunks(options);
  }

  existingChunks(ids: ChunkId[]): Promise<Set<ChunkId>> {
    return this.#reads.existingChunks(ids);
  }

  async deleteFile(name: string, version?: number): Promise<number> {
    return this.#tx(async (trx) => {
      const file = await trx.selectFrom('files').select('id').where('name', '=', name).forUpdate().executeTakeFirst();
      if (!file) return 0;
      let vq = trx.selectFrom('versions').select('id').where('file_id', '=', file.id);
      if (version !== undefined) vq = vq.where('version_no', '=', version);
      const versions = (await vq.execute()).map((v) => v.id);
      if (versions.length === 0) return 0;
      const ids = sql<number>`ANY(${versions}::bigint[])`;
      const referenced = trx.selectFrom('version_chunks').select('chunk_id').where('version_id', '=', ids);
      await trx.selectFrom('chunks').select('id').where('id', 'in', referenced).orderBy('id').forNoKeyUpdate().execute();
      await sql`UPDATE chunks SET refcount = refcount - r.n
                FROM (SELECT chunk_id, COUNT(*) AS n FROM version_chunks WHERE version_id = ${ids} GROUP BY chunk_id) AS r
                WHERE chunks.id = r.chunk_id`.execute(trx);
      // Cascades to version_chunks.
      await trx.deleteFrom('versions').where('id', '=', ids).execute();
      const left = await trx.selectFrom('versions').select('id').where('file_id', '=', file.id).limit(1).executeTakeFirst();
      if (!left) await trx.deleteFrom('files').where('id', '=', file.id).execute();
      return versions.length;
    });
  }

  // --- copies --------------------------------------------------------------------------------

  async setCopyState(id: ChunkId, backend: string, state: CopyState): Promise<void> {
    await this.#db.updateTable('chunk_copies').set({ state, checked_at: this.#now() }).where('chunk_id', '=', id).where('backend', '=', backend).execute();
  }

  async addCopy(id: ChunkId, backend: string, shard?: number): Promise<void> {
    const now = this.#now();
    await this.#db
      .insertInto('chunk_copies')
      .values({ chunk_id: id, backend, state: 'ok', checked_at: now, shard: shard ?? null })
      .onConflict((oc) => oc.columns(['chunk_id', 'backend']).doUpdateSet({ state: 'ok', checked_at: now, shard: shard ?? null }))
      .execute();
  }

  async removeCopy(id: ChunkId, backend: string): Promise<void> {
    await this.#db.deleteFrom('chunk_copies').where('chunk_id', '=', id).where('backend', '=', backend).execute();
  }

  // --- gc ------------------------------------------------------------------------------------

  async expireSessions(cutoff: number, resumableCutoff = cutoff): Promise<number> {
    return this.#tx(async (trx) => {
      // SKIP LOCKED: a session inside a claim, part or commit right now is not dead. Cascades to claims, staged entries and parts.
      const expired = shared.expiredSession(cutoff, resumableCutoff);
      const dead = trx.selectFrom('upload_sessions').select('id').where(expired).orderBy('id').forUpdate().skipLocked();
      const removed = await trx.deleteFrom('upload_sessions').where('id', 'in', dead).where(expired).returning('id').execute();
      return removed.length;
    });
  }

  async markGarbage(limit: number): Promise<GarbageChunk[]> {
    return this.#tx(async (trx) => {
      // 1. Lock candidates; rows held by a claim (KEY SHARE) or a commit/delete are skipped, not waited for.
      const candidates = await trx
        .selectFrom('chunks as c')
        .select('c.id')
        .where('c.refcount', '=', 0)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('session_claims as s').select('s.chunk_id').whereRef('s.chunk_id', '=', 'c.id'))))
        .orderBy('c.id')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (candidates.length === 0) return [];
      // 2. Re-check with a snapshot taken after the locks: it sees every claim committed before them,
      //    and no claim can be added while we hold them.
      const marked = await trx
        .updateTable('chunks as c')
        .set({ state: 'deleting' })
        .where('c.id', '=', anyOf(candidates.map((r) => r.id)))
        .where('c.refcount', '=', 0)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('session_claims as s').select('s.chunk_id').whereRef('s.chunk_id', '=', 'c.id'))))
        .returning('c.id')
        .execute();
      const ids = marked.map((r) => r.id).sort();
      const copies = new Map<string, string[]>();
      for (const r of await trx.selectFrom('chunk_copies').select(['chunk_id', 'backend']).where('chunk_id', '=', anyOf(ids)).orderBy('backend').execute()) {
        copies.set(r.chunk_id, [...(copies.get(r.chunk_id) ?? []), r.backend]);
      }
      return ids.map((id) => ({ id, backends: copies.get(id) ?? [] }));
    });
  }

  async forgetGarbage(ids: ChunkId[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#tx(async (trx) => {
      for (const part of batches([...new Set(ids)].sort())) {
        const locked = await this.#lockChunks(trx, part, 'update');
        if (locked.length === 0) continue;
        // Cascades to chunk_copies; the foreign key from version_chunks would refuse a referenced chunk.
        await trx.deleteFrom('chunks').where('id', '=', anyOf(locked)).where('state', '=', 'deleting').where('refcount', '=', 0).execute();
      }
    });
  }

  async unmarkGarbage(ids: ChunkId[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#tx(async (trx) => {
      for (const part of batches([...new Set(ids)].sort())) {
        const locked = await this.#lockChunks(trx, part, 'no key update');
        if (locked.length > 0) await trx.updateTable('chunks').set({ state: 'live' }).where('id', '=', anyOf(locked)).where('state', '=', 'deleting').execute();
      }
    });
  }

  // --- stats ---------------------------------------------------------------------------------

  async stats(): Promise<RepositoryStats> {
    // One snapshot for all the numbers, so they agree with each other.
    return this.#db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute((db) => repositoryStats(db));
  }

  // --- analytics -----------------------------------------------------------------------------

  async recordDownload(name: string, bytes: number): Promise<void> {
    await shared.countAccess(this.#db, name, { downloads: 1, bytesOut: bytes }, this.#now());
  }

  usageTotals(): Promise<UsageTotals> {
    return shared.usageTotals(this.#db);
  }

  topFiles(limit: number): Promise<FileAccess[]> {
    return shared.topFiles(this.#db, limit);
  }

  fileAccess(name: string): Promise<FileAccess | undefined> {
    return shared.fileAccess(this.#db, name);
  }

  async recordStatsSample(sample: StatsSample): Promise<void> {
    await this.#tx((trx) => shared.insertStatsSample(trx, sample));
  }

  statsHistory(options?: { since?: number; limit?: number }): Promise<StatsSample[]> {
    return shared.statsHistory(this.#db, options);
  }
}

/**
 * Open (and probe) a PostgreSQL metadata store. The URL is pg's: the password, if any, comes from
 * PGPASSWORD or ~/.pgpass, never from dcs.yaml. dcs adds one parameter, `?schema=NAME`.
 */
export async function openPostgresMetadata(url: string, options: PostgresOptions = {}): Promise<PostgresMetadataStore> {
  const split = splitSchemaParam(url);
  const schema = options.schema ?? split.schema;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new ConfigError(`metadata: PostgreSQL schema ${JSON.stringify(schema)} must be lower-case letters, digits and "_" (at most 63)`);
  }
  const pool = new Pool({
    connectionString: split.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 10_000,
    application_name: 'dcs',
    types: typeParsers,
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle connection dropped by the server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`SELECT 1`.execute(db);
  } catch (err) {
    await db.destroy().catch(() => {});
    throw new DcsError('METADATA_UNAVAILABLE', `cannot reach PostgreSQL at ${redactUrl(split.url)}: ${describeError(err)}`, { cause: err });
  }
  return new PostgresMetadataStore(db, schema, options.now ?? (() => Date.now()));
}
