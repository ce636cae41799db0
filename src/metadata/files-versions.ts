// Files and their versions: the commit that turns a session's staged chunk list into a visible
// version, deleting versions, and reading them (one name's versions, the listing of all names).
// Queries only; the store (sql-store.ts) picks the transaction.
import { sql, type ExpressionBuilder } from 'kysely';
import { DcsError } from '../core/errors.ts';
import { countAccess } from './analytics.ts';
import { lockChunks } from './chunks-copies.ts';
import type { FileSummary, ListFilesOptions, VersionRecord } from './metadata-store.ts';
import type { Database } from './schema.ts';
import type { Db, SqlDialect } from './sql-dialect.ts';
import { checkTiling, dropSession } from './upload-sessions.ts';

/** Files per page of listFiles: each page is a query, and `dcs ls` of 10,000 files made 20 of them. */
const PAGE = 2000;

/**
 * The commit itself, in the caller's write transaction, which holds the session (FOR UPDATE on
 * PostgreSQL): staged list → new version, refcounts up, session dropped, upload counted. Locks, in
 * order: session, file, chunks (id order), access counters last.
 */
export async function commitStaged(d: SqlDialect, trx: Db, sessionId: string, info: { name: string; size: number; codec: string }, now: number): Promise<VersionRecord> {
  // The staged list cannot change under the session lock: check it before taking any other lock.
  await checkTiling(trx, sessionId, info.name, info.size);
  const fileId = await lockFile(d, trx, info.name, now);
  const staged = trx.selectFrom('session_chunks').select('chunk_id').distinct().where('session_id', '=', sessionId);
  await lockChunks(d, trx, (eb) => eb('id', 'in', staged), 'no key update');

  // Checked after the locks, so the states read here cannot change before we commit.
  const bad = await trx
    .selectFrom('session_chunks as s')
    .leftJoin('chunks as c', 'c.id', 's.chunk_id')
    .select(['s.chunk_id', 's.length', 'c.raw_size'])
    .where('s.session_id', '=', sessionId)
    .where((eb) =>
      eb.or([
        eb('c.id', 'is', null),
        eb('c.state', '=', 'deleting'),
        // A client that chunks for itself could stage a length that is not its chunk's.
        eb('c.raw_size', '!=', eb.ref('s.length')),
        eb.not(eb.exists(eb.selectFrom('chunk_copies as k').select('k.chunk_id').whereRef('k.chunk_id', '=', 's.chunk_id').where('k.state', '=', 'ok'))),
      ]),
    )
    .limit(1)
    .executeTakeFirst();
  if (bad) {
    const why = bad.raw_size !== null && Number(bad.raw_size) > 0 && Number(bad.raw_size) !== Number(bad.length) ? `is ${bad.raw_size} bytes but was staged as ${bad.length}` : 'has no stored copy';
    throw new DcsError('COMMIT_REFUSED', `cannot commit ${JSON.stringify(info.name)}: chunk ${bad.chunk_id.slice(0, 16)}… ${why}`);
  }

  const latest = await trx.selectFrom('versions').select((eb) => eb.fn.max('version_no').as('v')).where('file_id', '=', fileId).executeTakeFirst();
  const versionNo = Number(latest?.v ?? 0) + 1;
  const counts = await trx
    .selectFrom('session_chunks')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('session_id', '=', sessionId)
    .executeTakeFirstOrThrow();
  const stored = await trx
    .selectFrom('chunks')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('stored_size'), eb.lit(0)).as('s'))
    .where('id', 'in', staged)
    .executeTakeFirstOrThrow();
  const chunkCount = Number(counts.n);
  const version = await trx
    .insertInto('versions')
    .values({ file_id: fileId, version_no: versionNo, size: info.size, chunk_count: chunkCount, stored_size: Number(stored.s), codec: info.codec, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  await sql`INSERT INTO version_chunks (version_id, seq, "offset", length, chunk_id)
            SELECT ${version.id}, seq, "offset", length, chunk_id FROM session_chunks WHERE session_id = ${sessionId}`.execute(trx);
  // One reference per occurrence: deleteFile subtracts exactly the same counts.
  await sql`UPDATE chunks SET refcount = refcount + r.n, state = 'live'
            FROM (SELECT chunk_id, COUNT(*) AS n FROM session_chunks WHERE session_id = ${sessionId} GROUP BY chunk_id) AS r
            WHERE chunks.id = r.chunk_id`.execute(trx);
  await dropSession(d, trx, sessionId);
  await countAccess(trx, info.name, { uploads: 1, bytesIn: info.size }, now);
  return { versionId: version.id, name: info.name, version: versionNo, size: info.size, chunkCount, codec: info.codec, createdAt: now };
}

/**
 * The file row, created if missing, held FOR UPDATE: one commit or delete of a name at a time, so
 * latest + 1 never repeats (UNIQUE (file_id, version_no) backs this up). A row we insert is ours
 * alone until we commit: nobody else sees it, and a concurrent insert of the name waits for us.
 */
async function lockFile(d: SqlDialect, trx: Db, name: string, now: number): Promise<number> {
  for (;;) {
    const file = await d.lock(trx.selectFrom('files').select('id').where('name', '=', name), 'update').executeTakeFirst();
    if (file) return file.id;
    const inserted = await trx.insertInto('files').values({ name, created_at: now }).onConflict((oc) => oc.column('name').doNothing()).returning('id').executeTakeFirst();
    if (inserted) return inserted.id;
    // Another transaction inserted the name since our look-up: lock its row (or, if a delete took
    // it away again, insert once more).
  }
}

/** Delete one version, or all versions of a name; refcounts go down. Returns versions removed. */
export async function deleteFile(d: SqlDialect, trx: Db, name: string, version: number | undefined): Promise<number> {
  const file = await d.lock(trx.selectFrom('files').select('id').where('name', '=', name), 'update').executeTakeFirst();
  if (!file) return 0;
  // The file row's lock keeps this set fixed: commits of the name wait for it.
  const doomed = (eb: ExpressionBuilder<Database, 'versions'>) =>
    version === undefined ? eb('versions.file_id', '=', file.id) : eb.and([eb('versions.file_id', '=', file.id), eb('versions.version_no', '=', version)]);
  const versions = trx.selectFrom('versions').select('id').where(doomed);
  const removed = (await versions.execute()).length;
  if (removed === 0) return 0;
  await lockChunks(d, trx, (eb) => eb('id', 'in', trx.selectFrom('version_chunks').select('chunk_id').where('version_id', 'in', versions)), 'no key update');
  await sql`UPDATE chunks SET refcount = refcount - r.n
            FROM (SELECT chunk_id, COUNT(*) AS n FROM version_chunks WHERE version_id IN (${versions}) GROUP BY chunk_id) AS r
            WHERE chunks.id = r.chunk_id`.execute(trx);
  if (!d.cascades) await trx.deleteFrom('version_chunks').where('version_id', 'in', versions).execute();
  await trx.deleteFrom('versions').where(doomed).execute();
  const left = await trx.selectFrom('versions').select('id').where('file_id', '=', file.id).limit(1).executeTakeFirst();
  if (!left) await trx.deleteFrom('files').where('id', '=', file.id).execute();
  return removed;
}

// --- reads -------------------------------------------------------------------------------------

const VERSION_COLUMNS = ['v.id', 'f.name', 'v.version_no', 'v.size', 'v.chunk_count', 'v.codec', 'v.created_at'] as const;

function versionsOfName(db: Db, name: string) {
  return db.selectFrom('versions as v').innerJoin('files as f', 'f.id', 'v.file_id').select(VERSION_COLUMNS).where('f.name', '=', name);
}

function toVersion(r: { id: number; name: string; version_no: number; size: number; chunk_count: number; codec: string; created_at: number }): VersionRecord {
  return { versionId: r.id, name: r.name, version: r.version_no, size: r.size, chunkCount: r.chunk_count, codec: r.codec, createdAt: r.created_at };
}

/** The given version of a name (1-based), or its latest when version is undefined. */
export async function getVersion(db: Db, name: string, version?: number): Promise<VersionRecord | undefined> {
  const q = versionsOfName(db, name);
  const r = await (version === undefined ? q.orderBy('v.version_no', 'desc').limit(1) : q.where('v.version_no', '=', version)).executeTakeFirst();
  return r && toVersion(r);
}

export async function listVersions(db: Db, name: string): Promise<VersionRecord[]> {
  return (await versionsOfName(db, name).orderBy('v.version_no').execute()).map(toVersion);
}

/**
 * The least string greater than every string that starts with `prefix`, if any. Both databases
 * compare names in code-point (UTF-8 byte) order — SQLite's BINARY collation, PostgreSQL's
 * COLLATE "C" — so `prefix <= name < prefixEnd(prefix)` is exactly the names with that prefix.
 */
export function prefixEnd(prefix: string): string | undefined {
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

/** Latest version of each name, in name order, a page per query (keyset on name). */
export async function* listFiles(db: Db, options: ListFilesOptions = {}): AsyncIterable<FileSummary> {
  let after = options.after;
  let remaining = options.limit ?? Infinity;
  const prefix = options.prefix ?? '';
  const end = prefixEnd(prefix);
  while (remaining > 0) {
    let q = db
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
    // A byte-order range is exactly the names with this prefix (no LIKE and its escaping).
    if (prefix !== '') q = q.where('f.name', '>=', prefix);
    if (prefix !== '' && end !== undefined) q = q.where('f.name', '<', end);
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
