// Metadata-only changes to names and histories: renaming a file or moving a folder (every name
// under a prefix), making an older version the latest again, and copying a version to another
// name (S3 CopyObject). No chunk is read or written: versions keep their chunk lists, and a
// restored or copied version references the same chunks once more.
// Queries only; the store (sql-store.ts) picks the transaction.
import { sql } from 'kysely';
import { DcsError, FileNotFoundError } from '../core/errors.ts';
import { countAccess } from './analytics.ts';
import { lockChunks, storedOk } from './chunks-copies.ts';
import { lockFile, withAttributes } from './files-versions.ts';
import type { VersionRecord } from './metadata-store.ts';
import { prefixEnd, type Db, type SqlDialect } from './sql-dialect.ts';

/**
 * Rename `from` to `to`, or, when both end in "/", move every name under the folder `from` to the
 * same name under `to`. Refused, changing nothing, when a target name exists or the source does
 * not. Access counters and share links move with their names. Returns the number of names moved.
 */
export async function renameNames(d: SqlDialect, trx: Db, from: string, to: string): Promise<number> {
  const folder = from.endsWith('/');
  if (folder !== to.endsWith('/')) throw new DcsError('USAGE', `a folder moves to a folder: both names end in "/" or neither does (${JSON.stringify(from)} → ${JSON.stringify(to)})`);
  if (from === to) throw new DcsError('USAGE', `${JSON.stringify(from)} is already its own name`);
  if (folder && to.startsWith(from)) throw new DcsError('USAGE', `cannot move the folder ${JSON.stringify(from)} into itself`);
  // Rows locked first (FOR UPDATE on PostgreSQL), so commits and deletes of these names wait.
  const sources = folder
    ? await d.lock(trx.selectFrom('files').select(['id', 'name']).where('name', '>=', from).where('name', '<', prefixEnd(from)!), 'update').execute()
    : await d.lock(trx.selectFrom('files').select(['id', 'name']).where('name', '=', from), 'update').execute();
  if (sources.length === 0) throw folder ? new DcsError('FILE_NOT_FOUND', `no files under ${JSON.stringify(from)}`) : new FileNotFoundError(from);
  const target = (name: string): string => (folder ? to + name.slice(from.length) : to);
  const targets = sources.map((s) => target(s.name));
  for (let i = 0; i < targets.length; i += 500) {
    const taken = await trx.selectFrom('files').select('name').where('name', 'in', targets.slice(i, i + 500)).limit(1).executeTakeFirst();
    if (taken) throw new DcsError('FILE_EXISTS', `cannot move ${JSON.stringify(from)} to ${JSON.stringify(to)}: ${JSON.stringify(taken.name)} exists (delete or rename it first)`);
  }
  // No target exists (sources included), and distinct names map to distinct targets: no update
  // collides with UNIQUE (name) on the way, whatever order rows are updated in.
  if (!folder) {
    await trx.deleteFrom('file_access').where('name', '=', to).execute();
    await trx.updateTable('file_access').set({ name: to }).where('name', '=', from).execute();
    // Share links follow the file they share.
    await trx.updateTable('share_links').set({ name: to }).where('name', '=', from).execute();
    await trx.updateTable('files').set({ name: to }).where('id', '=', sources[0]!.id).execute();
    return 1;
  }
  // A folder moves in a few statements, not a few per file (a round trip each on PostgreSQL).
  // substr counts characters, code points on both databases: so does the spread.
  const rest = sql`CAST(${to} AS TEXT) || substr(name, CAST(${[...from].length + 1} AS INTEGER))`;
  const inFolder = sql`name >= ${from} AND name < ${prefixEnd(from)!}`;
  const movedFiles = sql`SELECT name FROM files WHERE ${inFolder}`;
  // Counters and links of the files that move (not those of deleted files under the folder).
  await sql`DELETE FROM file_access WHERE name IN (SELECT ${rest} FROM files WHERE ${inFolder})`.execute(trx);
  await sql`UPDATE file_access SET name = ${rest} WHERE name IN (${movedFiles})`.execute(trx);
  await sql`UPDATE share_links SET name = ${rest} WHERE name IN (${movedFiles})`.execute(trx);
  await sql`UPDATE files SET name = ${rest} WHERE ${inFolder}`.execute(trx);
  return sources.length;
}

/**
 * Make `version` of `name` its latest again: a new version with the same size and chunk list
 * (refcounts up by the same counts), so nothing is lost and the older history stays.
 */
export async function restoreVersion(d: SqlDialect, trx: Db, name: string, version: number, now: number): Promise<VersionRecord> {
  const file = await d.lock(trx.selectFrom('files').select('id').where('name', '=', name), 'update').executeTakeFirst();
  if (!file) throw new FileNotFoundError(name);
  const old = await trx.selectFrom('versions').selectAll().where('file_id', '=', file.id).where('version_no', '=', version).executeTakeFirst();
  if (!old) throw new FileNotFoundError(name, version);
  await lockChunks(d, trx, (eb) => eb('id', 'in', trx.selectFrom('version_chunks').select('chunk_id').where('version_id', '=', old.id)), 'no key update');
  const latest = await trx.selectFrom('versions').select((eb) => eb.fn.max('version_no').as('v')).where('file_id', '=', file.id).executeTakeFirstOrThrow();
  const versionNo = Number(latest.v) + 1;
  const created = await trx
    .insertInto('versions')
    .values({ file_id: file.id, version_no: versionNo, size: old.size, chunk_count: old.chunk_count, stored_size: old.stored_size, codec: old.codec, created_at: now, attributes: old.attributes })
    .returning('id')
    .executeTakeFirstOrThrow();
  await sql`INSERT INTO version_chunks (version_id, seq, "offset", length, chunk_id)
            SELECT ${created.id}, seq, "offset", length, chunk_id FROM version_chunks WHERE version_id = ${old.id}`.execute(trx);
  await sql`UPDATE chunks SET refcount = refcount + r.n
            FROM (SELECT chunk_id, COUNT(*) AS n FROM version_chunks WHERE version_id = ${old.id} GROUP BY chunk_id) AS r
            WHERE chunks.id = r.chunk_id`.execute(trx);
  return { versionId: created.id, name, version: versionNo, size: Number(old.size), chunkCount: Number(old.chunk_count), codec: old.codec, createdAt: now, ...withAttributes(old.attributes) };
}

/**
 * A new latest version of `target` with the size, codec and chunk list of version `sourceId`
 * (of any name, `target` included), made as a commit of that list would be: the chunks are checked
 * as commitUpload checks them (COMMIT_REFUSED without an ok copy), gain one reference per entry,
 * and the version's stored size is their sum; the target counts one upload of no bytes in (none
 * arrived). Locks, in order: the target's file row, the chunks (id order), its access counters.
 *
 * gc: the source's chunks are locked (FOR NO KEY UPDATE on PostgreSQL, so markGarbage's SKIP
 * LOCKED passes over them) before the source is read. If the source still exists then, it holds a
 * reference on each chunk, so none of them is or can become 'deleting' before we commit; if a
 * delete took it away first, the copy fails with FileNotFoundError and references nothing.
 */
export async function copyVersion(d: SqlDialect, trx: Db, sourceId: number, target: string, attributes: string | undefined, now: number): Promise<VersionRecord> {
  const fileId = await lockFile(d, trx, target, now);
  const sourceChunks = trx.selectFrom('version_chunks').select('chunk_id').where('version_id', '=', sourceId);
  await lockChunks(d, trx, (eb) => eb('id', 'in', sourceChunks), 'no key update');
  // Read after the locks: a delete of the source that committed meanwhile is seen here.
  const source = await trx
    .selectFrom('versions as v')
    .innerJoin('files as f', 'f.id', 'v.file_id')
    .select(['f.name', 'v.version_no', 'v.size', 'v.chunk_count', 'v.codec', 'v.attributes'])
    .where('v.id', '=', sourceId)
    .executeTakeFirst();
  if (!source) throw new FileNotFoundError(`version id ${sourceId}`);
  const bad = await trx
    .selectFrom('version_chunks as s')
    .leftJoin('chunks as c', 'c.id', 's.chunk_id')
    .select('s.chunk_id')
    .where('s.version_id', '=', sourceId)
    .where((eb) => eb.or([eb('c.id', 'is', null), eb('c.state', '=', 'deleting'), eb.not(storedOk('c.id', 'c.pack_id'))]))
    .limit(1)
    .executeTakeFirst();
  if (bad) {
    throw new DcsError('COMMIT_REFUSED', `cannot copy ${JSON.stringify(source.name)} (version ${source.version_no}) to ${JSON.stringify(target)}: chunk ${bad.chunk_id.slice(0, 16)}… has no stored copy`);
  }
  const latest = await trx.selectFrom('versions').select((eb) => eb.fn.max('version_no').as('v')).where('file_id', '=', fileId).executeTakeFirst();
  const versionNo = Number(latest?.v ?? 0) + 1;
  const stored = await trx
    .selectFrom('chunks')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('stored_size'), eb.lit(0)).as('s'))
    .where('id', 'in', sourceChunks)
    .executeTakeFirstOrThrow();
  const kept = attributes ?? source.attributes;
  const created = await trx
    .insertInto('versions')
    .values({ file_id: fileId, version_no: versionNo, size: source.size, chunk_count: source.chunk_count, stored_size: Number(stored.s), codec: source.codec, created_at: now, attributes: kept })
    .returning('id')
    .executeTakeFirstOrThrow();
  await sql`INSERT INTO version_chunks (version_id, seq, "offset", length, chunk_id)
            SELECT ${created.id}, seq, "offset", length, chunk_id FROM version_chunks WHERE version_id = ${sourceId}`.execute(trx);
  // One reference per occurrence, as a commit counts them (and deleteFile takes them off).
  await sql`UPDATE chunks SET refcount = refcount + r.n, state = 'live'
            FROM (SELECT chunk_id, COUNT(*) AS n FROM version_chunks WHERE version_id = ${sourceId} GROUP BY chunk_id) AS r
            WHERE chunks.id = r.chunk_id`.execute(trx);
  await countAccess(trx, target, { uploads: 1, bytesIn: 0 }, now);
  return { versionId: created.id, name: target, version: versionNo, size: Number(source.size), chunkCount: Number(source.chunk_count), codec: source.codec, createdAt: now, ...withAttributes(kept) };
}
