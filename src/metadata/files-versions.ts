// Files and their versions: the commit that turns a session's staged chunk list into a visible
// version, deleting versions, and reading them (one name's versions, the listing of all names).
// Queries only; the store (sql-store.ts) picks the transaction.
import { sql, type ExpressionBuilder } from 'kysely';
import { DcsError } from '../core/errors.ts';
import { countAccess } from './analytics.ts';
import { lockChunks, storedOk } from './chunks-copies.ts';
import type { CommittedFile, FileCommit, FileSummary, LatestVersion, StagedChunk, ListFilesOptions, VersionRecord } from './metadata-store.ts';
import type { Database } from './schema.ts';
import { batches, bigintColumn, intColumn, prefixEnd, textColumn, type Db, type SqlDialect } from './sql-dialect.ts';
import { checkTiling, dropSession, sessionAttributes } from './upload-sessions.ts';

/** Files per page of listFiles: each page is a query, and `dcs ls` of 10,000 files made 20 of them. */
const PAGE = 2000;

/**
 * The commit itself, in the caller's write transaction, which holds the session (FOR UPDATE on
 * PostgreSQL): staged list → new version, refcounts up, session dropped, upload counted. The
 * version's attributes are info's, else those the session was begun with (a resumable upload's).
 * Locks, in order: session, file, chunks (id order), access counters last.
 */
export async function commitStaged(
  d: SqlDialect,
  trx: Db,
  sessionId: string,
  info: { name: string; size: number; codec: string; attributes?: string },
  now: number,
): Promise<VersionRecord> {
  // The staged list cannot change under the session lock: check it before taking any other lock.
  await checkTiling(trx, sessionId, info.name, info.size);
  const attributes = info.attributes ?? (await sessionAttributes(trx, sessionId));
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
        eb.not(storedOk('c.id', 'c.pack_id')),
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
    .values({ file_id: fileId, version_no: versionNo, size: info.size, chunk_count: chunkCount, stored_size: Number(stored.s), codec: info.codec, created_at: now, attributes })
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
  return { versionId: version.id, name: info.name, version: versionNo, size: info.size, chunkCount, codec: info.codec, createdAt: now, ...withAttributes(attributes) };
}

/** commitFiles' check of one file's list, as checkTiling checks a staged one. */
function checkFileTiling(f: FileCommit): void {
  const refuse = (why: string) => new DcsError('COMMIT_REFUSED', `cannot commit ${JSON.stringify(f.name)}: its chunk list ${why}`);
  let offset = 0;
  for (const [i, c] of f.chunks.entries()) {
    if (c.seq !== i) throw refuse(`has seq ${c.seq} at position ${i} (must be 0..${f.chunks.length - 1} in order)`);
    if (!(c.length > 0)) throw refuse(`has an entry of length ${c.length}`);
    if (c.offset !== offset) throw refuse(`has an entry (seq ${c.seq}) whose offset does not follow the previous entries`);
    offset += c.length;
  }
  if (offset !== f.size) throw refuse(`covers ${offset} bytes, but the file has ${f.size}`);
}

/**
 * Many files' versions in the caller's write transaction (which holds the session FOR UPDATE),
 * each checked and made as commitStaged makes one; a file that fails its check refuses them all.
 * Locks, in order: session, files (name order), chunks (id order), access counters (name order).
 */
export async function commitFiles(d: SqlDialect, trx: Db, sessionId: string, files: readonly FileCommit[], now: number): Promise<CommittedFile[]> {
  for (const f of files) checkFileTiling(f);
  const fileIds = await lockFiles(d, trx, [...new Set(files.map((f) => f.name))].sort(), now);
  const ids = [...new Set(files.flatMap((f) => f.chunks.map((c) => c.id)))].sort();
  const chunks = new Map<string, { raw: number; stored: number; usable: boolean }>();
  for (const part of batches(ids, d.idBatch)) {
    await lockChunks(d, trx, (eb) => d.inList(eb.ref('id'), part), 'no key update');
    const rows = await trx
      .selectFrom('chunks as c')
      .select(['c.id', 'c.raw_size', 'c.stored_size', 'c.state', storedOk('c.id', 'c.pack_id').as('ok')])
      .where((eb) => d.inList(eb.ref('c.id'), part))
      .execute();
    for (const r of rows) chunks.set(r.id, { raw: Number(r.raw_size), stored: Number(r.stored_size), usable: r.state !== 'deleting' && Number(r.ok) > 0 });
  }
  for (const f of files) {
    for (const c of f.chunks) {
      const row = chunks.get(c.id);
      if (row?.usable && row.raw === c.length) continue;
      const why = row?.usable ? `is ${row.raw} bytes but was staged as ${c.length}` : 'has no stored copy';
      throw new DcsError('COMMIT_REFUSED', `cannot commit ${JSON.stringify(f.name)}: chunk ${c.id.slice(0, 16)}… ${why}`);
    }
  }
  const latest = new Map<number, number>();
  for (const part of batches([...fileIds.values()], d.idBatch)) {
    const rows = await trx.selectFrom('versions').select((eb) => ['file_id', eb.fn.max('version_no').as('v')]).where('file_id', 'in', part).groupBy('file_id').execute();
    for (const r of rows) latest.set(r.file_id, Number(r.v));
  }
  const made = files.map((f) => {
    const fileId = fileIds.get(f.name)!;
    const versionNo = (latest.get(fileId) ?? 0) + 1;
    latest.set(fileId, versionNo);
    const stored = [...new Set(f.chunks.map((c) => c.id))].reduce((sum, id) => sum + chunks.get(id)!.stored, 0);
    return { f, fileId, versionNo, stored };
  });
  // All versions in a statement per batch, then their ids by (file, version number).
  const versionIds = new Map<string, number>();
  for (const rows of batches(made, d.rowBatch)) {
    const t = d.rows({
      file_id: bigintColumn(rows.map((m) => m.fileId)),
      version_no: intColumn(rows.map((m) => m.versionNo)),
      size: bigintColumn(rows.map((m) => m.f.size)),
      chunk_count: intColumn(rows.map((m) => m.f.chunks.length)),
      stored_size: bigintColumn(rows.map((m) => m.stored)),
      codec: textColumn(rows.map((m) => m.f.codec)),
      source_stamp: textColumn(rows.map((m) => m.f.sourceStamp ?? null)),
      attributes: textColumn(rows.map((m) => m.f.attributes ?? null)),
    });
    await sql`INSERT INTO versions (file_id, version_no, size, chunk_count, stored_size, codec, created_at, source_stamp, attributes)
              SELECT t.file_id, t.version_no, t.size, t.chunk_count, t.stored_size, t.codec, ${now}, t.source_stamp, t.attributes FROM ${t}`.execute(trx);
    const keys = d.rows({ file_id: bigintColumn(rows.map((m) => m.fileId)), version_no: intColumn(rows.map((m) => m.versionNo)) });
    const { rows: inserted } = await sql<{ id: number; file_id: number; version_no: number }>`
      SELECT v.id, v.file_id, v.version_no FROM versions v INNER JOIN ${keys} ON v.file_id = t.file_id AND v.version_no = t.version_no`.execute(trx);
    for (const r of inserted) versionIds.set(`${r.file_id}:${r.version_no}`, Number(r.id));
  }
  const out: CommittedFile[] = [];
  const entries: { version: number; seq: number; offset: number; length: number; id: string }[] = [];
  const refs = new Map<string, number>();
  for (const { f, fileId, versionNo, stored } of made) {
    const versionId = versionIds.get(`${fileId}:${versionNo}`)!;
    for (const c of f.chunks) {
      entries.push({ version: versionId, seq: c.seq, offset: c.offset, length: c.length, id: c.id });
      refs.set(c.id, (refs.get(c.id) ?? 0) + 1);
    }
    out.push({ version: { versionId, name: f.name, version: versionNo, size: f.size, chunkCount: f.chunks.length, codec: f.codec, createdAt: now, ...(f.attributes === undefined ? {} : { attributes: f.attributes }) }, storedSize: stored });
  }
  for (const rows of batches(entries, d.rowBatch)) {
    const t = d.rows({
      version_id: bigintColumn(rows.map((e) => e.version)),
      seq: intColumn(rows.map((e) => e.seq)),
      offset: bigintColumn(rows.map((e) => e.offset)),
      length: intColumn(rows.map((e) => e.length)),
      chunk_id: textColumn(rows.map((e) => e.id)),
    });
    await sql`INSERT INTO version_chunks (version_id, seq, "offset", length, chunk_id) SELECT t.version_id, t.seq, t."offset", t.length, t.chunk_id FROM ${t}`.execute(trx);
  }
  // One reference per occurrence, as commitStaged counts them.
  for (const rows of batches([...refs].sort(([a], [b]) => (a < b ? -1 : 1)), d.rowBatch)) {
    const t = d.rows({ id: textColumn(rows.map(([id]) => id)), n: bigintColumn(rows.map(([, n]) => n)) });
    await sql`UPDATE chunks SET refcount = refcount + t.n, state = 'live' FROM ${t} WHERE chunks.id = t.id`.execute(trx);
  }
  await dropSession(d, trx, sessionId);
  const access = new Map<string, { uploads: number; bytesIn: number }>();
  for (const f of files) {
    const a = access.get(f.name) ?? { uploads: 0, bytesIn: 0 };
    access.set(f.name, { uploads: a.uploads + 1, bytesIn: a.bytesIn + f.size });
  }
  await countUploads(d, trx, access, now);
  return out;
}

/** The rows of these names (sorted), inserted where missing, locked FOR UPDATE in name order (lockFile for many). */
async function lockFiles(d: SqlDialect, trx: Db, names: readonly string[], now: number): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  let todo = names;
  while (todo.length > 0) {
    for (const part of batches(todo, d.idBatch)) {
      await sql`INSERT INTO files (name, created_at) SELECT t.name, ${now} FROM ${d.rows({ name: textColumn(part) })} ORDER BY t.name
                ON CONFLICT (name) DO NOTHING`.execute(trx);
      const rows = await d.lock(trx.selectFrom('files').select(['id', 'name']).where((eb) => d.inList(eb.ref('name'), part)).orderBy('name'), 'update').execute();
      for (const r of rows) ids.set(r.name, r.id);
    }
    // A name a delete took away between our insert and our lock: insert it once more.
    todo = todo.filter((n) => !ids.has(n));
  }
  return ids;
}

/** Upload counters of many names in one upsert per batch (countAccess for many), in name order. */
async function countUploads(d: SqlDialect, trx: Db, access: ReadonlyMap<string, { uploads: number; bytesIn: number }>, now: number): Promise<void> {
  const names = [...access.keys()].sort();
  for (const part of batches(names, d.rowBatch)) {
    const t = d.rows({ name: textColumn(part), uploads: bigintColumn(part.map((n) => access.get(n)!.uploads)), bytes_in: bigintColumn(part.map((n) => access.get(n)!.bytesIn)) });
    await sql`INSERT INTO file_access (name, uploads, downloads, bytes_in, bytes_out, last_access_at)
              SELECT t.name, t.uploads, 0, t.bytes_in, 0, ${now} FROM ${t} ORDER BY t.name
              ON CONFLICT (name) DO UPDATE SET uploads = file_access.uploads + excluded.uploads,
                bytes_in = file_access.bytes_in + excluded.bytes_in, last_access_at = excluded.last_access_at`.execute(trx);
  }
}

/**
 * The file row, created if missing, held FOR UPDATE: one commit or delete of a name at a time, so
 * latest + 1 never repeats (UNIQUE (file_id, version_no) backs this up). A row we insert is ours
 * alone until we commit: nobody else sees it, and a concurrent insert of the name waits for us.
 */
export async function lockFile(d: SqlDialect, trx: Db, name: string, now: number): Promise<number> {
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

const VERSION_COLUMNS = ['v.id', 'f.name', 'v.version_no', 'v.size', 'v.chunk_count', 'v.codec', 'v.created_at', 'v.attributes'] as const;

function versionsOfName(db: Db, name: string) {
  return db.selectFrom('versions as v').innerJoin('files as f', 'f.id', 'v.file_id').select(VERSION_COLUMNS).where('f.name', '=', name);
}

/** A version's attributes as a record carries them: the property only when there are some. */
export function withAttributes(attributes: string | null): { attributes?: string } {
  return attributes === null ? {} : { attributes };
}

function toVersion(r: { id: number; name: string; version_no: number; size: number; chunk_count: number; codec: string; created_at: number; attributes: string | null }): VersionRecord {
  return { versionId: r.id, name: r.name, version: r.version_no, size: r.size, chunkCount: r.chunk_count, codec: r.codec, createdAt: r.created_at, ...withAttributes(r.attributes) };
}

/** The given version of a name (1-based), or its latest when version is undefined. */
export async function getVersion(db: Db, name: string, version?: number): Promise<VersionRecord | undefined> {
  const q = versionsOfName(db, name);
  const r = await (version === undefined ? q.orderBy('v.version_no', 'desc').limit(1) : q.where('v.version_no', '=', version)).executeTakeFirst();
  return r && toVersion(r);
}

export async function latestVersions(d: SqlDialect, db: Db, names: readonly string[]): Promise<Map<string, LatestVersion>> {
  const out = new Map<string, LatestVersion>();
  for (const part of batches([...new Set(names)], d.idBatch)) {
    const rows = await db
      .selectFrom('versions as v')
      .innerJoin('files as f', 'f.id', 'v.file_id')
      .select([...VERSION_COLUMNS, 'v.stored_size', 'v.source_stamp'])
      .where((eb) => d.inList(eb.ref('f.name'), part))
      .where('v.version_no', '=', (eb) => eb.selectFrom('versions as m').select((e) => e.fn.max('m.version_no').as('mv')).whereRef('m.file_id', '=', 'f.id'))
      .execute();
    const lists = new Map<number, StagedChunk[]>();
    for (const ids of batches(rows.map((r) => r.id), d.idBatch)) {
      const chunks = await db.selectFrom('version_chunks').select(['version_id', 'seq', 'offset', 'length', 'chunk_id']).where('version_id', 'in', ids).orderBy('version_id').orderBy('seq').execute();
      for (const c of chunks) {
        const list = lists.get(c.version_id) ?? [];
        list.push({ seq: c.seq, offset: Number(c.offset), length: c.length, id: c.chunk_id });
        lists.set(c.version_id, list);
      }
    }
    for (const r of rows) {
      out.set(r.name, { version: toVersion(r), storedSize: Number(r.stored_size), ...(r.source_stamp !== null ? { sourceStamp: r.source_stamp } : {}), chunks: lists.get(r.id) ?? [] });
    }
  }
  return out;
}

export async function listVersions(db: Db, name: string): Promise<VersionRecord[]> {
  return (await versionsOfName(db, name).orderBy('v.version_no').execute()).map(toVersion);
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
        'v.attributes',
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
      yield { name: r.name, version: r.version_no, versions: Number(r.versions), size: r.size, storedSize: r.stored_size, createdAt: r.created_at, ...withAttributes(r.attributes) };
    }
    if (rows.length < PAGE) return;
    remaining -= rows.length;
    after = rows[rows.length - 1]!.name;
  }
}
