// Queries both SQL stores share — chunk reads, repository stats, the parts of resumable uploads and
// the access counters (Kysely builds the same queries for SQLite and PostgreSQL). Transactions and
// locking stay in each store; so does how a list of ids reaches the database — `IN (…)` batches for
// SQLite, one array parameter (`= ANY($1)`) for PostgreSQL — so each store passes its own id filter.
import { randomUUID } from 'node:crypto';
import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
import type { ChunkId } from '../core/chunk-id.ts';
import { DcsError, UsageError } from '../core/errors.ts';
import type {
  ChunkRecord,
  CopyRecord,
  FileAccess,
  PartChunk,
  RepositoryStats,
  ResumableUpload,
  ResumableUploadOptions,
  StatsSample,
  StoredChunk,
  UsageTotals,
  VersionChunk,
  VersionRecord,
} from './metadata-store.ts';
import type { Database } from './schema.ts';

export const PAGE = 500;

/** `column IN (ids)` or an equivalent; `column` is a qualified column name. */
export type IdFilter = (column: string, ids: readonly string[]) => Expression<SqlBool>;

export const inList: IdFilter = (column, ids) => sql<SqlBool>`${sql.ref(column)} in (${sql.join(ids)})`;
export const anyArray: IdFilter = (column, ids) => sql<SqlBool>`${sql.ref(column)} = ANY(${ids}::text[])`;

export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class ChunkReads {
  readonly #db: Kysely<Database>;
  readonly #ids: IdFilter;
  readonly #batch: number;

  constructor(db: Kysely<Database>, ids: IdFilter, batch: number) {
    this.#db = db;
    this.#ids = ids;
    this.#batch = batch;
  }

  async copiesOf(ids: readonly string[]): Promise<Map<string, CopyRecord[]>> {
    const out = new Map<string, CopyRecord[]>();
    for (const part of batches([...new Set(ids)], this.#batch)) {
      const rows = await this.#db.selectFrom('chunk_copies').selectAll().where(this.#ids('chunk_copies.chunk_id', part)).orderBy('chunk_id').orderBy('backend').execute();
      for (const r of rows) {
        const list = out.get(r.chunk_id) ?? [];
        list.push({ backend: r.backend, state: r.state, ...(r.checked_at !== null ? { checkedAt: r.checked_at } : {}), ...(r.shard !== null && r.shard !== undefined ? { shard: Number(r.shard) } : {}) });
        out.set(r.chunk_id, list);
      }
    }
    return out;
  }

  async *versionChunks(versionId: number, fromOffset?: number): AsyncIterable<VersionChunk> {
    let seq = 0;
    if (fromOffset !== undefined && fromOffset > 0) {
      const start = await this.#db
        .selectFrom('version_chunks')
        .select('seq')
        .where('version_id', '=', versionId)
        .where('offset', '<=', fromOffset)
        .orderBy('offset', 'desc')
        .limit(1)
        .executeTakeFirst();
      seq = start?.seq ?? 0;
    }
    for (;;) {
      const rows = await this.#db
        .selectFrom('version_chunks as vc')
        .innerJoin('chunks as c', 'c.id', 'vc.chunk_id')
        .select(['vc.seq', 'vc.offset', 'vc.length', 'c.id', 'c.raw_size', 'c.stored_size', 'c.codec_id', 'c.refcount'])
        .where('vc.version_id', '=', versionId)
        .where('vc.seq', '>=', seq)
        .orderBy('vc.seq')
        .limit(PAGE)
        .execute();
      const copies = await this.copiesOf(rows.map((r) => r.id));
      for (const r of rows) {
        yield {
          seq: r.seq,
          offset: r.offset,
          length: r.length,
          chunk: { id: r.id, rawSize: r.raw_size, storedSize: r.stored_size, codecId: r.codec_id, refcount: r.refcount, copies: copies.get(r.id) ?? [] },
        };
      }
      if (rows.length < PAGE) return;
      seq = rows[rows.length - 1]!.seq + 1;
    }
  }

  async getChunk(id: ChunkId): Promise<ChunkRecord | undefined> {
    const r = await this.#db.selectFrom('chunks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) return undefined;
    const copies = await this.copiesOf([id]);
    return { id: r.id, rawSize: r.raw_size, storedSize: r.stored_size, codecId: r.codec_id, refcount: r.refcount, copies: copies.get(id) ?? [] };
  }

  async *chunks(options: { after?: ChunkId; pageSize?: number } = {}): AsyncIterable<ChunkRecord> {
    let after = options.after ?? '';
    const size = options.pageSize ?? PAGE;
    for (;;) {
      const rows = await this.#db.selectFrom('chunks').selectAll().where('state', '=', 'live').where('id', '>', after).orderBy('id').limit(size).execute();
      const copies = await this.copiesOf(rows.map((r) => r.id));
      for (const r of rows) {
        yield { id: r.id, rawSize: r.raw_size, storedSize: r.stored_size, codecId: r.codec_id, refcount: r.refcount, copies: copies.get(r.id) ?? [] };
      }
      if (rows.length < size) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  async existingChunks(ids: ChunkId[]): Promise<Set<ChunkId>> {
    const out = new Set<ChunkId>();
    for (const part of batches([...new Set(ids)], this.#batch)) {
      for (const r of await this.#db.selectFrom('chunks').select('id').where(this.#ids('chunks.id', part)).execute()) out.add(r.id);
    }
    return out;
  }
}

/** The erasure shard index `backend` holds of a stored chunk, or null for a whole replica. */
export function shardOf(c: StoredChunk, backend: string): number | null {
  return c.shards?.find((s) => s.backend === backend)?.index ?? null;
}

/** Repository-wide aggregates; PostgreSQL runs it in one read-only snapshot so the numbers agree. */
const VERSION_COLUMNS = ['v.id', 'f.name', 'v.version_no', 'v.size', 'v.chunk_count', 'v.codec', 'v.created_at'] as const;

function versionsOfName(db: Kysely<Database>, name: string) {
  return db.selectFrom('versions as v').innerJoin('files as f', 'f.id', 'v.file_id').select(VERSION_COLUMNS).where('f.name', '=', name);
}

function toVersion(r: { id: number; name: string; version_no: number; size: number; chunk_count: number; codec: string; created_at: number }): VersionRecord {
  return { versionId: r.id, name: r.name, version: r.version_no, size: r.size, chunkCount: r.chunk_count, codec: r.codec, createdAt: r.created_at };
}

/** The given version of a name (1-based), or its latest when version is undefined. */
export async function getVersion(db: Kysely<Database>, name: string, version?: number): Promise<VersionRecord | undefined> {
  const q = versionsOfName(db, name);
  const r = await (version === undefined ? q.orderBy('v.version_no', 'desc').limit(1) : q.where('v.version_no', '=', version)).executeTakeFirst();
  return r && toVersion(r);
}

export async function listVersions(db: Kysely<Database>, name: string): Promise<VersionRecord[]> {
  return (await versionsOfName(db, name).orderBy('v.version_no').execute()).map(toVersion);
}

export async function repositoryStats(db: Kysely<Database>): Promise<RepositoryStats> {
    const files = await db.selectFrom('files').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const versions = await db
      .selectFrom('versions')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.coalesce(eb.fn.sum<number>('size'), sql<number>`0`).as('bytes')])
      .executeTakeFirstOrThrow();
    const perCodec = await db
      .selectFrom('chunks')
      .select((eb) => ['codec_id', eb.fn.countAll<number>().as('chunks'), eb.fn.sum<number>('raw_size').as('raw'), eb.fn.sum<number>('stored_size').as('stored')])
      .where('state', '=', 'live')
      .where('refcount', '>', 0)
      .groupBy('codec_id')
      .orderBy('codec_id')
      .execute();
    const perBackend = await db
      .selectFrom('chunk_copies as k')
      .innerJoin('chunks as c', 'c.id', 'k.chunk_id')
      .select((eb) => [
        'k.backend',
        eb.fn.countAll<number>().as('copies'),
        // A shard copy holds one shard object, not the whole envelope. (Shard copies recorded before
        // schema version 4 have no shard size and count at the envelope's size, as they used to.)
        eb.fn
          .sum<number>(
            eb
              .case()
              .when('k.state', '<>', 'ok')
              .then(0)
              .when('k.shard', 'is not', null)
              .then(eb.fn.coalesce('c.shard_bytes', 'c.stored_size'))
              .else(eb.ref('c.stored_size'))
              .end(),
          )
          .as('bytes'),
        eb.fn.sum<number>(eb.case().when('k.state', '=', 'missing').then(1).else(0).end()).as('missing'),
        eb.fn.sum<number>(eb.case().when('k.state', '=', 'corrupt').then(1).else(0).end()).as('corrupt'),
      ])
      .where('c.state', '=', 'live')
      .groupBy('k.backend')
      .orderBy('k.backend')
      .execute();
    // Chunks no version references any more (deleted files, fragments of resumable uploads) hold
    // space until gc runs; they count in what the backends hold, not in the ratios.
    const garbage = await db
      .selectFrom('chunks')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.coalesce(eb.fn.sum<number>('stored_size'), sql<number>`0`).as('stored')])
      .where('state', '=', 'live')
      .where('refcount', '=', 0)
      .executeTakeFirstOrThrow();
    const codecs = perCodec.map((c) => ({ codecId: c.codec_id, chunks: Number(c.chunks), rawBytes: Number(c.raw), storedBytes: Number(c.stored) }));
    const backends = perBackend.map((b) => ({ backend: b.backend, copies: Number(b.copies), bytes: Number(b.bytes), missing: Number(b.missing), corrupt: Number(b.corrupt) }));
    return {
      files: Number(files.n),
      versions: Number(versions.n),
      logicalBytes: Number(versions.bytes),
      uniqueBytes: codecs.reduce((s, c) => s + c.rawBytes, 0),
      storedBytes: codecs.reduce((s, c) => s + c.storedBytes, 0),
      physicalBytes: backends.reduce((s, b) => s + b.bytes, 0),
      chunks: codecs.reduce((s, c) => s + c.chunks, 0),
      perCodec: codecs,
      perBackend: backends,
      reclaimableChunks: Number(garbage.n),
      reclaimableBytes: Number(garbage.stored),
    };
}

// --- upload sessions and parts ---------------------------------------------------------------

/** Rows per INSERT of part chunks (6 parameters each, well under SQLite's limit). */
const PART_ROWS = 150;

/** Samples kept in stats_history: recordStatsSample drops older ones. */
export const STATS_HISTORY_LIMIT = 10_000;

export function uploadNotFound(): DcsError {
  return new DcsError('UPLOAD_NOT_FOUND', 'resumable upload not found (committed, aborted, or expired after being idle too long); start it again');
}

/** Insert a session: streamed, or resumable when options are given. */
export async function insertSession(db: Kysely<Database>, name: string, now: number, options?: ResumableUploadOptions): Promise<string> {
  const id = randomUUID();
  const extra = options ? { kind: 'resumable' as const, options: JSON.stringify({ codec: options.codec, level: options.level }) } : {};
  await db.insertInto('upload_sessions').values({ id, name, started_at: now, heartbeat_at: now, ...extra }).execute();
  return id;
}

/** Sessions to expire: streamed ones silent since before `cutoff`, resumable ones since before `resumableCutoff`. */
export function expiredSession(cutoff: number, resumableCutoff: number) {
  return (eb: ExpressionBuilder<Database, 'upload_sessions'>): Expression<SqlBool> =>
    eb.or([
      eb.and([eb('upload_sessions.kind', '!=', 'resumable'), eb('upload_sessions.heartbeat_at', '<', cutoff)]),
      eb.and([eb('upload_sessions.kind', '=', 'resumable'), eb('upload_sessions.heartbeat_at', '<', resumableCutoff)]),
    ]);
}

export async function resumableUpload(db: Kysely<Database>, sessionId: string): Promise<ResumableUpload | undefined> {
  const s = await db
    .selectFrom('upload_sessions')
    .select(['id', 'name', 'started_at', 'heartbeat_at', 'options'])
    .where('id', '=', sessionId)
    .where('kind', '=', 'resumable')
    .executeTakeFirst();
  if (!s) return undefined;
  const parts = await db.selectFrom('upload_parts').select(['part', 'size', 'chunk_count', 'created_at']).where('session_id', '=', sessionId).orderBy('part').execute();
  const options = JSON.parse(s.options ?? '{}') as Partial<ResumableUploadOptions>;
  return {
    sessionId: s.id,
    name: s.name,
    codec: options.codec ?? 'auto',
    ...(typeof options.level === 'number' ? { level: options.level } : {}),
    startedAt: s.started_at,
    heartbeatAt: s.heartbeat_at,
    parts: parts.map((p) => ({ part: p.part, size: p.size, chunkCount: p.chunk_count, createdAt: p.created_at })),
  };
}

/** A part's chunks must tile it: contiguous from offset 0, adding up to its size; else its bytes would be misplaced. */
export function checkPart(part: number, size: number, chunks: readonly PartChunk[]): void {
  if (!Number.isSafeInteger(part) || part < 1) throw new UsageError(`part number must be a positive integer, not ${part}`);
  let offset = 0;
  for (const c of chunks) {
    if (c.offset !== offset || !(c.length > 0)) throw new UsageError(`part ${part}: chunk at offset ${c.offset} (length ${c.length}) does not follow the previous one, which ends at ${offset}`);
    offset += c.length;
  }
  if (offset !== size) throw new UsageError(`part ${part}: its chunks cover ${offset} bytes, but the part has ${size}`);
}

/** The first of `ids` without an ok copy (or gone, or being deleted by gc), if any: commitUpload's rule. */
export async function firstUnstored(db: Kysely<Database>, filter: IdFilter, batch: number, ids: readonly string[]): Promise<string | undefined> {
  for (const part of batches([...new Set(ids)], batch)) {
    const rows = await db
      .selectFrom('chunks as c')
      .select('c.id')
      .where(filter('c.id', part))
      .where('c.state', '!=', 'deleting')
      .where((eb) => eb.exists(eb.selectFrom('chunk_copies as k').select('k.chunk_id').whereRef('k.chunk_id', '=', 'c.id').where('k.state', '=', 'ok')))
      .execute();
    const ok = new Set(rows.map((r) => r.id));
    const bad = part.find((id) => !ok.has(id));
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/** Record a part, replacing an earlier copy of it (a part re-sent after an interruption). */
export async function storePart(db: Kysely<Database>, sessionId: string, part: number, size: number, chunks: readonly PartChunk[], now: number): Promise<void> {
  await db.deleteFrom('upload_part_chunks').where('session_id', '=', sessionId).where('part', '=', part).execute();
  await db.deleteFrom('upload_parts').where('session_id', '=', sessionId).where('part', '=', part).execute();
  await db.insertInto('upload_parts').values({ session_id: sessionId, part, size, chunk_count: chunks.length, created_at: now }).execute();
  for (const [b, rows] of batches(chunks, PART_ROWS).entries()) {
    await db
      .insertInto('upload_part_chunks')
      .values(rows.map((c, i) => ({ session_id: sessionId, part, idx: b * PART_ROWS + i, offset: c.offset, length: c.length, chunk_id: c.id })))
      .execute();
  }
}

/**
 * A resumable session's part, its chunks in order (offsets relative to the part); [] when the part
 * was not stored. One statement, so the session check and the read see the same state.
 */
export async function partChunks(db: Kysely<Database>, sessionId: string, part: number): Promise<PartChunk[]> {
  const rows = await db
    .selectFrom('upload_sessions as s')
    .leftJoin('upload_part_chunks as c', (join) => join.onRef('c.session_id', '=', 's.id').on('c.part', '=', part))
    .select(['c.offset', 'c.length', 'c.chunk_id'])
    .where('s.id', '=', sessionId)
    .where('s.kind', '=', 'resumable')
    .orderBy('c.idx')
    .execute();
  if (rows.length === 0) throw uploadNotFound();
  const out: PartChunk[] = [];
  for (const r of rows) if (r.chunk_id !== null) out.push({ offset: Number(r.offset), length: Number(r.length), id: r.chunk_id });
  return out;
}

/**
 * commitUpload's rule for the staged list: it must tile [0, size) — seq 0..n-1 without gaps, each
 * offset the sum of the lengths before it, every length positive, lengths adding up to size. One
 * aggregate over a running sum (in seq order, which the (session_id, seq) key provides), so a
 * million-entry list is checked in the database, not in memory. Throws COMMIT_REFUSED.
 */
export async function checkTiling(db: Kysely<Database>, sessionId: string, name: string, size: number): Promise<void> {
  const { rows } = await sql<{ n: number; total: number | null; min_seq: number | null; max_seq: number | null; min_length: number | null; first_bad: number | null }>`
    SELECT COUNT(*) AS n, SUM(length) AS total, MIN(seq) AS min_seq, MAX(seq) AS max_seq, MIN(length) AS min_length,
           MIN(CASE WHEN "offset" <> run - length THEN seq END) AS first_bad
    FROM (SELECT seq, "offset", length, SUM(length) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) AS run
          FROM session_chunks WHERE session_id = ${sessionId}) AS t`.execute(db);
  const r = rows[0]!;
  const n = Number(r.n);
  const total = Number(r.total ?? 0);
  const refuse = (why: string) => new DcsError('COMMIT_REFUSED', `cannot commit ${JSON.stringify(name)}: the staged chunk list ${why}`);
  if (n > 0 && (Number(r.min_seq) !== 0 || Number(r.max_seq) !== n - 1)) {
    throw refuse(`has seq ${r.min_seq}..${r.max_seq} for ${n} entries (must be 0..${n - 1} without gaps)`);
  }
  if (n > 0 && !(Number(r.min_length) > 0)) throw refuse(`has an entry of length ${r.min_length}`);
  if (r.first_bad !== null) throw refuse(`has an entry (seq ${r.first_bad}) whose offset does not follow the previous entries`);
  if (total !== size) throw refuse(`covers ${total} bytes, but the upload has ${size}`);
}

// --- analytics -------------------------------------------------------------------------------

/** Add to a name's access counters (creating its row); one statement, so concurrent counts add up. */
export async function countAccess(
  db: Kysely<Database>,
  name: string,
  delta: { uploads?: number; downloads?: number; bytesIn?: number; bytesOut?: number },
  now: number,
): Promise<void> {
  await db
    .insertInto('file_access')
    .values({ name, uploads: delta.uploads ?? 0, downloads: delta.downloads ?? 0, bytes_in: delta.bytesIn ?? 0, bytes_out: delta.bytesOut ?? 0, last_access_at: now })
    .onConflict((oc) =>
      oc.column('name').doUpdateSet((eb) => ({
        uploads: eb('file_access.uploads', '+', eb.ref('excluded.uploads')),
        downloads: eb('file_access.downloads', '+', eb.ref('excluded.downloads')),
        bytes_in: eb('file_access.bytes_in', '+', eb.ref('excluded.bytes_in')),
        bytes_out: eb('file_access.bytes_out', '+', eb.ref('excluded.bytes_out')),
        last_access_at: eb.ref('excluded.last_access_at'),
      })),
    )
    .execute();
}

function toFileAccess(r: { name: string; uploads: number; downloads: number; bytes_in: number; bytes_out: number; last_access_at: number }): FileAccess {
  return { name: r.name, uploads: Number(r.uploads), downloads: Number(r.downloads), bytesIn: Number(r.bytes_in), bytesOut: Number(r.bytes_out), lastAccessAt: Number(r.last_access_at) };
}

export async function usageTotals(db: Kysely<Database>): Promise<UsageTotals> {
  const r = await db
    .selectFrom('file_access')
    .select((eb) => [
      eb.fn.coalesce(eb.fn.sum<number>('uploads'), sql<number>`0`).as('uploads'),
      eb.fn.coalesce(eb.fn.sum<number>('downloads'), sql<number>`0`).as('downloads'),
      eb.fn.coalesce(eb.fn.sum<number>('bytes_in'), sql<number>`0`).as('bytes_in'),
      eb.fn.coalesce(eb.fn.sum<number>('bytes_out'), sql<number>`0`).as('bytes_out'),
    ])
    .executeTakeFirstOrThrow();
  return { uploads: Number(r.uploads), downloads: Number(r.downloads), bytesIn: Number(r.bytes_in), bytesOut: Number(r.bytes_out) };
}

export async function topFiles(db: Kysely<Database>, limit: number): Promise<FileAccess[]> {
  // Counters outlive their files; only names that exist now are shown.
  const rows = await db
    .selectFrom('file_access as a')
    .innerJoin('files as f', 'f.name', 'a.name')
    .select(['a.name', 'a.uploads', 'a.downloads', 'a.bytes_in', 'a.bytes_out', 'a.last_access_at'])
    .orderBy('a.downloads', 'desc')
    .orderBy('a.last_access_at', 'desc')
    .orderBy('a.name')
    .limit(Math.max(0, limit))
    .execute();
  return rows.map(toFileAccess);
}

export async function fileAccess(db: Kysely<Database>, name: string): Promise<FileAccess | undefined> {
  const r = await db.selectFrom('file_access').selectAll().where('name', '=', name).executeTakeFirst();
  return r && toFileAccess(r);
}

/** Insert a sample and drop all but the newest STATS_HISTORY_LIMIT; run it in a write transaction. */
export async function insertStatsSample(db: Kysely<Database>, s: StatsSample): Promise<void> {
  await db
    .insertInto('stats_history')
    .values({ at: s.at, files: s.files, logical_bytes: s.logicalBytes, unique_bytes: s.uniqueBytes, stored_bytes: s.storedBytes, physical_bytes: s.physicalBytes })
    .execute();
  // The oldest sample to keep; everything before it in (at, id) order goes.
  const edge = await db.selectFrom('stats_history').select(['at', 'id']).orderBy('at', 'desc').orderBy('id', 'desc').limit(1).offset(STATS_HISTORY_LIMIT - 1).executeTakeFirst();
  if (!edge) return;
  await db
    .deleteFrom('stats_history')
    .where((eb) => eb.or([eb('at', '<', edge.at), eb.and([eb('at', '=', edge.at), eb('id', '<', edge.id)])]))
    .execute();
}

export async function statsHistory(db: Kysely<Database>, options: { since?: number; limit?: number } = {}): Promise<StatsSample[]> {
  let q = db.selectFrom('stats_history').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(Math.max(0, options.limit ?? 1000));
  if (options.since !== undefined) q = q.where('at', '>=', options.since);
  const rows = await q.execute();
  return rows.reverse().map((r) => ({
    at: Number(r.at),
    files: Number(r.files),
    logicalBytes: Number(r.logical_bytes),
    uniqueBytes: Number(r.unique_bytes),
    storedBytes: Number(r.stored_bytes),
    physicalBytes: Number(r.physical_bytes),
  }));
}
