// Upload sessions and the lists they stage: streamed sessions (claims, the staged chunk list a
// commit turns into a version), resumable ones (numbered parts, each with its own chunk list), and
// their expiry. Queries only; which transaction they run in is the store's choice (sql-store.ts).
import { randomUUID } from 'node:crypto';
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { DcsError, UsageError } from '../core/errors.ts';
import { firstUnstored } from './chunks-copies.ts';
import type { PartChunk, ResumableUpload, ResumableUploadOptions, ResumableUploadSummary, StagedChunk } from './metadata-store.ts';
import type { Database } from './schema.ts';
import { batches, bigintColumn, intColumn, prefixEnd, textColumn, type Db, type RowLock, type SqlDialect } from './sql-dialect.ts';

export function uploadNotFound(): DcsError {
  return new DcsError('UPLOAD_NOT_FOUND', 'resumable upload not found (committed, aborted, or expired after being idle too long); start it again');
}

/** Insert a session: streamed, or resumable when options are given (their attributes in a column of their own). */
export async function insertSession(db: Db, name: string, now: number, options?: ResumableUploadOptions): Promise<string> {
  const id = randomUUID();
  const extra = options
    ? { kind: 'resumable' as const, options: JSON.stringify({ codec: options.codec, level: options.level }), attributes: options.attributes ?? null }
    : {};
  await db.insertInto('upload_sessions').values({ id, name, started_at: now, heartbeat_at: now, ...extra }).execute();
  return id;
}

export async function touchSession(db: Db, sessionId: string, now: number): Promise<void> {
  await db.updateTable('upload_sessions').set({ heartbeat_at: now }).where('id', '=', sessionId).execute();
}

/**
 * Fails with SESSION_EXPIRED unless the session exists, and locks it (PostgreSQL): 'key share' while
 * claiming, recording or staging, so expiry cannot remove it underneath; 'update' to commit it, so
 * a second commit or an expiry waits and then finds it gone, and staging in progress finishes first.
 */
export async function requireSession(d: SqlDialect, trx: Db, sessionId: string, lock: RowLock): Promise<void> {
  const s = await d.lock(trx.selectFrom('upload_sessions').select('id').where('id', '=', sessionId), lock).executeTakeFirst();
  if (!s) throw new DcsError('SESSION_EXPIRED', 'upload session expired (it was idle too long and gc released it); retry the upload');
}

/** The attributes a session was begun with (ResumableUploadOptions.attributes), or null. */
export async function sessionAttributes(db: Db, sessionId: string): Promise<string | null> {
  const s = await db.selectFrom('upload_sessions').select('attributes').where('id', '=', sessionId).executeTakeFirst();
  return s?.attributes ?? null;
}

/** Delete a session with its claims, staged entries and parts. */
export async function dropSession(d: SqlDialect, trx: Db, sessionId: string): Promise<void> {
  if (!d.cascades) {
    await trx.deleteFrom('session_claims').where('session_id', '=', sessionId).execute();
    await trx.deleteFrom('session_chunks').where('session_id', '=', sessionId).execute();
    await trx.deleteFrom('upload_part_chunks').where('session_id', '=', sessionId).execute();
    await trx.deleteFrom('upload_parts').where('session_id', '=', sessionId).execute();
  }
  await trx.deleteFrom('upload_sessions').where('id', '=', sessionId).execute();
}

/** dropSession for many, a batch of ids per statement. */
async function dropSessions(d: SqlDialect, trx: Db, ids: readonly string[]): Promise<void> {
  for (const part of batches(ids, d.idBatch)) {
    if (!d.cascades) {
      await trx.deleteFrom('session_claims').where((eb) => d.inList(eb.ref('session_id'), part)).execute();
      await trx.deleteFrom('session_chunks').where((eb) => d.inList(eb.ref('session_id'), part)).execute();
      await trx.deleteFrom('upload_part_chunks').where((eb) => d.inList(eb.ref('session_id'), part)).execute();
      await trx.deleteFrom('upload_parts').where((eb) => d.inList(eb.ref('session_id'), part)).execute();
    }
    await trx.deleteFrom('upload_sessions').where((eb) => d.inList(eb.ref('id'), part)).execute();
  }
}

/** Sessions to expire: streamed ones silent since before `cutoff`, resumable ones since before `resumableCutoff`. */
function expired(cutoff: number, resumableCutoff: number) {
  return (eb: ExpressionBuilder<Database, 'upload_sessions'>): Expression<SqlBool> =>
    eb.or([
      eb.and([eb('upload_sessions.kind', '!=', 'resumable'), eb('upload_sessions.heartbeat_at', '<', cutoff)]),
      eb.and([eb('upload_sessions.kind', '=', 'resumable'), eb('upload_sessions.heartbeat_at', '<', resumableCutoff)]),
    ]);
}

/** Drop expired sessions; returns how many. */
export async function expireSessions(d: SqlDialect, trx: Db, cutoff: number, resumableCutoff: number): Promise<number> {
  // SKIP LOCKED: a session inside a claim, part or commit right now is not dead.
  const dead = await d.lock(trx.selectFrom('upload_sessions').select('id').where(expired(cutoff, resumableCutoff)).orderBy('id'), 'update skip locked').execute();
  await dropSessions(d, trx, dead.map((r) => r.id));
  return dead.length;
}

/** Append entries to a session's staged chunk list. */
export async function stageChunks(d: SqlDialect, trx: Db, sessionId: string, entries: readonly StagedChunk[]): Promise<void> {
  for (const part of batches(entries, d.rowBatch)) {
    const t = d.rows({
      seq: intColumn(part.map((e) => e.seq)),
      offset: bigintColumn(part.map((e) => e.offset)),
      length: intColumn(part.map((e) => e.length)),
      chunk_id: textColumn(part.map((e) => e.id)),
    });
    await sql`INSERT INTO session_chunks (session_id, seq, "offset", length, chunk_id)
              SELECT ${sessionId}, t.seq, t."offset", t.length, t.chunk_id FROM ${t}`.execute(trx);
  }
}

/** Drop a session's staged list (a completion that failed midway starts over). */
export async function unstageAll(d: SqlDialect, trx: Db, sessionId: string): Promise<void> {
  // KEY SHARE on the session, as staging: a commit of it (FOR UPDATE) waits for this, or this for it.
  const s = await d.lock(trx.selectFrom('upload_sessions').select('id').where('id', '=', sessionId), 'key share').executeTakeFirst();
  if (!s) throw uploadNotFound();
  await trx.deleteFrom('session_chunks').where('session_id', '=', sessionId).execute();
}

/**
 * commitUpload's rule for the staged list: it must tile [0, size) — seq 0..n-1 without gaps, each
 * offset the sum of the lengths before it, every length positive, lengths adding up to size. One
 * aggregate over a running sum (in seq order, which the (session_id, seq) key provides), so a
 * million-entry list is checked in the database, not in memory. Throws COMMIT_REFUSED.
 */
export async function checkTiling(db: Db, sessionId: string, name: string, size: number): Promise<void> {
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

// --- resumable uploads: parts ------------------------------------------------------------------

export async function resumableUpload(db: Db, sessionId: string): Promise<ResumableUpload | undefined> {
  const s = await db
    .selectFrom('upload_sessions')
    .select(['id', 'name', 'started_at', 'heartbeat_at', 'options', 'attributes'])
    .where('id', '=', sessionId)
    .where('kind', '=', 'resumable')
    .executeTakeFirst();
  if (!s) return undefined;
  const parts = await db.selectFrom('upload_parts').select(['part', 'size', 'chunk_count', 'created_at', 'etag']).where('session_id', '=', sessionId).orderBy('part').execute();
  const options = JSON.parse(s.options ?? '{}') as Partial<ResumableUploadOptions>;
  return {
    sessionId: s.id,
    name: s.name,
    codec: options.codec ?? 'auto',
    ...(typeof options.level === 'number' ? { level: options.level } : {}),
    ...(s.attributes !== null ? { attributes: s.attributes } : {}),
    startedAt: s.started_at,
    heartbeatAt: s.heartbeat_at,
    parts: parts.map((p) => ({ part: p.part, size: p.size, chunkCount: p.chunk_count, createdAt: p.created_at, ...(p.etag !== null ? { etag: p.etag } : {}) })),
  };
}

/** The most sessions listResumableUploads returns at once (and its default). */
export const RESUMABLE_LIST_LIMIT = 1000;

/**
 * Resumable sessions in progress — the rows getResumableUpload answers for — whose name starts
 * with `prefix`, in (name, id) byte order (SQLite's BINARY collation, the columns' COLLATE "C" on
 * PostgreSQL) strictly after `after`, at most `limit` (capped at RESUMABLE_LIST_LIMIT). The prefix
 * is a byte-order range, not LIKE, so '%' and '_' in it are plain characters. One index range
 * scan (upload_sessions_resumable_by_name).
 */
export async function listResumableUploads(
  db: Db,
  options: { prefix?: string; after?: { name: string; sessionId: string }; limit?: number } = {},
): Promise<ResumableUploadSummary[]> {
  const limit = Math.min(Math.floor(options.limit ?? RESUMABLE_LIST_LIMIT), RESUMABLE_LIST_LIMIT);
  if (!(limit > 0)) return [];
  const prefix = options.prefix ?? '';
  const end = prefixEnd(prefix);
  const after = options.after;
  let q = db.selectFrom('upload_sessions').select(['id', 'name', 'started_at']).where('kind', '=', 'resumable');
  if (prefix !== '') q = q.where('name', '>=', prefix);
  if (prefix !== '' && end !== undefined) q = q.where('name', '<', end);
  if (after !== undefined) {
    q = q.where((eb) => eb.or([eb('name', '>', after.name), eb.and([eb('name', '=', after.name), eb('id', '>', after.sessionId)])]));
  }
  const rows = await q.orderBy('name').orderBy('id').limit(limit).execute();
  return rows.map((r) => ({ sessionId: r.id, name: r.name, startedAt: r.started_at }));
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

/**
 * Record (or replace, when sent again) a part of a resumable session and refresh its heartbeat.
 * The heartbeat locks the session FOR NO KEY UPDATE: a commit or expiry of it waits for this part
 * (then sees it), and a part staged after a commit finds the session gone.
 */
export async function stagePart(
  d: SqlDialect,
  trx: Db,
  sessionId: string,
  part: number,
  size: number,
  chunks: readonly PartChunk[],
  etag: string | undefined,
  now: number,
): Promise<void> {
  const s = await trx.updateTable('upload_sessions').set({ heartbeat_at: now }).where('id', '=', sessionId).where('kind', '=', 'resumable').returning('id').executeTakeFirst();
  if (!s) throw uploadNotFound();
  const bad = await firstUnstored(d, trx, chunks.map((c) => c.id));
  if (bad !== undefined) throw new DcsError('COMMIT_REFUSED', `cannot store part ${part}: chunk ${bad.slice(0, 16)}… has no stored copy`);
  // A part sent again replaces the earlier copy of it, its etag included (cleared when none is given).
  await trx.deleteFrom('upload_part_chunks').where('session_id', '=', sessionId).where('part', '=', part).execute();
  await trx.deleteFrom('upload_parts').where('session_id', '=', sessionId).where('part', '=', part).execute();
  await trx.insertInto('upload_parts').values({ session_id: sessionId, part, size, chunk_count: chunks.length, created_at: now, etag: etag ?? null }).execute();
  for (const [b, rows] of batches(chunks, d.rowBatch).entries()) {
    const t = d.rows({
      idx: intColumn(rows.map((_, i) => b * d.rowBatch + i)),
      offset: bigintColumn(rows.map((c) => c.offset)),
      length: intColumn(rows.map((c) => c.length)),
      chunk_id: textColumn(rows.map((c) => c.id)),
    });
    await sql`INSERT INTO upload_part_chunks (session_id, part, idx, "offset", length, chunk_id)
              SELECT ${sessionId}, ${part}, t.idx, t."offset", t.length, t.chunk_id FROM ${t}`.execute(trx);
  }
}

/**
 * A resumable session's part, its chunks in order (offsets relative to the part); [] when the part
 * was not stored. One statement, so the session check and the read see the same state.
 */
export async function partChunks(db: Db, sessionId: string, part: number): Promise<PartChunk[]> {
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
