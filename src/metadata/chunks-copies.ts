// Chunks and their copies: claiming chunks for an upload, recording what it wrote, reading chunk
// records with their copies, copy states, and gc's marking and forgetting of unreferenced chunks.
// Queries only; the store (sql-store.ts) picks the transaction.
//
// On PostgreSQL, chunk rows are locked in id order (ORDER BY id … FOR …) before a statement changes
// several of them, so lock waits between transactions cannot form a cycle; callers pass ids sorted.
import { sql, type Expression, type ExpressionBuilder, type RawBuilder, type SqlBool } from 'kysely';
import type { ChunkId } from '../core/chunk-id.ts';
import { PACK_CODEC_ID } from '../core/codecs.ts';
import type { ChunkRecord, ClaimResult, CopyRecord, CopyState, GarbageChunk, SparsePack, StoredChunk, VersionChunk } from './metadata-store.ts';
import type { Database } from './schema.ts';
import { batches, bigintColumn, intColumn, textColumn, type Db, type RowLock, type SqlDialect } from './sql-dialect.ts';

/** Rows per page of the chunk streams. */
const PAGE = 500;

/** Lock the chunk rows `where` selects, in id order (the order every transaction uses). */
export async function lockChunks(d: SqlDialect, trx: Db, where: (eb: ExpressionBuilder<Database, 'chunks'>) => Expression<SqlBool>, mode: RowLock): Promise<void> {
  if (!d.rowLocks) return;
  await d.lock(trx.selectFrom('chunks').select('id').where(where).orderBy('id'), mode).execute();
}

/**
 * The chunk has an ok copy of its own, or is inside a pack that has one: `id` and `pack` are its
 * id and pack_id columns (a NULL pack_id matches no copy).
 */
export function storedOk(id: string, pack: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${ownOk(id)} OR EXISTS (SELECT 1 FROM chunk_copies k WHERE k.chunk_id = ${sql.ref(pack)} AND k.state = 'ok'))`;
}

/** The chunk (`id` its id column) has an ok copy of its own. */
function ownOk(id: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`EXISTS (SELECT 1 FROM chunk_copies k WHERE k.chunk_id = ${sql.ref(id)} AND k.state = 'ok')`;
}

/** No live session claims the chunk (`id` is its id column). */
function unclaimed(eb: ExpressionBuilder<Database, 'chunks'>): Expression<SqlBool> {
  return eb.not(eb.exists(eb.selectFrom('session_claims as s').select('s.chunk_id').whereRef('s.chunk_id', '=', 'chunks.id')));
}

/**
 * Claim chunks for a session (ids distinct and sorted). New ids get a pending row first, then every
 * row is read under KEY SHARE and claimed while that lock is held; gc's markGarbage locks rows
 * FOR UPDATE, so a claim and a marking of one chunk never pass each other (see sql-store.ts).
 */
export async function claimChunks(d: SqlDialect, trx: Db, sessionId: string, ids: readonly ChunkId[], now: number): Promise<Map<ChunkId, ClaimResult>> {
  const results = new Map<ChunkId, ClaimResult>();
  for (const part of batches(ids, d.idBatch)) {
    // INSERT … SELECT … ON CONFLICT statements here insert in key order (ORDER BY): concurrent
    // inserters of overlapping keys then cannot deadlock (PostgreSQL), and SQLite needs a clause
    // between FROM and ON CONFLICT, or it reads that ON as a join's.
    await sql`INSERT INTO chunks (id, raw_size, stored_size, codec_id, refcount, state, created_at)
              SELECT t.id, 0, 0, -1, 0, 'pending', ${now} FROM ${d.rows({ id: textColumn(part) })} ORDER BY t.id
              ON CONFLICT (id) DO NOTHING`.execute(trx);
    const query = trx
      .selectFrom('chunks as c')
      .select(['c.id', 'c.state', storedOk('c.id', 'c.pack_id').as('ok')])
      .where((eb) => d.inList(eb.ref('c.id'), part))
      .orderBy('c.id');
    const known = new Map((await d.lock(query, 'key share').execute()).map((r) => [r.id, r]));
    const toClaim: string[] = [];
    for (const id of part) {
      const row = known.get(id);
      // Missing: gc forgot it between our insert and our lock (PostgreSQL); the next claim inserts it afresh.
      if (!row || row.state === 'deleting') {
        results.set(id, 'busy');
        continue;
      }
      toClaim.push(id);
      // Any recorded ok copy is durable (recorded only after the write), even of another session's
      // uncommitted chunk; this claim now protects it from gc (and, for a chunk in a pack, its
      // row keeps the pack referenced).
      results.set(id, Number(row.ok) > 0 ? 'present' : 'write');
    }
    if (toClaim.length > 0) {
      await sql`INSERT INTO session_claims (session_id, chunk_id)
                SELECT ${sessionId}, t.chunk_id FROM ${d.rows({ chunk_id: textColumn(toClaim) })} ORDER BY t.chunk_id
                ON CONFLICT (session_id, chunk_id) DO NOTHING`.execute(trx);
    }
  }
  return results;
}

/** The erasure shard index `backend` holds of a stored chunk, or null for a whole replica. */
function shardOf(c: StoredChunk, backend: string): number | null {
  return c.shards?.find((s) => s.backend === backend)?.index ?? null;
}

/**
 * Record chunks a session wrote (sorted by id): their sizes and codec, and their copies as ok.
 * Chunks written into packs are recorded after the packs (recordPacked).
 */
export async function recordStored(d: SqlDialect, trx: Db, chunks: readonly StoredChunk[], now: number): Promise<void> {
  const whole = chunks.filter((c) => !c.pack);
  await recordWhole(d, trx, whole, now);
  const packed = chunks.filter((c) => c.pack);
  if (packed.length > 0) await recordPacked(d, trx, packed);
}

async function recordWhole(d: SqlDialect, trx: Db, chunks: readonly StoredChunk[], now: number): Promise<void> {
  for (const part of batches(chunks, d.idBatch)) {
    const ids = part.map((c) => c.id);
    await lockChunks(d, trx, (eb) => d.inList(eb.ref('id'), ids), 'no key update');
    // Sizes are filled in once; a live chunk rewritten by a later upload keeps its record.
    const sizes = d.rows({
      id: textColumn(ids),
      raw_size: bigintColumn(part.map((c) => c.rawSize)),
      stored_size: bigintColumn(part.map((c) => c.storedSize)),
      codec_id: intColumn(part.map((c) => c.codecId)),
      shard_bytes: bigintColumn(part.map((c) => c.shardBytes ?? null)),
    });
    // A chunk that was inside a pack whose copies were lost is now whole again: it leaves the pack.
    const unpacked = await trx.selectFrom('chunks').select(['id', 'pack_id']).where((eb) => d.inList(eb.ref('id'), ids)).where('pack_id', 'is not', null).execute();
    await sql`UPDATE chunks SET raw_size = t.raw_size, stored_size = t.stored_size, codec_id = t.codec_id, shard_bytes = t.shard_bytes,
                pack_id = NULL, pack_offset = NULL
              FROM ${sizes} WHERE chunks.id = t.id AND (chunks.state = 'pending' OR chunks.pack_id IS NOT NULL)`.execute(trx);
    if (unpacked.length > 0) {
      const delta = new Map<string, number>();
      for (const r of unpacked) delta.set(r.pack_id!, (delta.get(r.pack_id!) ?? 0) - 1);
      await addPackRefs(d, trx, delta);
    }
    // Distinct backends per chunk: one statement must not upsert a row twice (PostgreSQL refuses).
    // In key order, as the claims above.
    const copies = part.flatMap((c) => [...new Set(c.backends)].sort().map((backend) => ({ id: c.id, backend, shard: shardOf(c, backend) })));
    for (const rows of batches(copies, d.rowBatch)) {
      const t = d.rows({ chunk_id: textColumn(rows.map((r) => r.id)), backend: textColumn(rows.map((r) => r.backend)), shard: intColumn(rows.map((r) => r.shard)) });
      await sql`INSERT INTO chunk_copies (chunk_id, backend, state, checked_at, shard)
                SELECT t.chunk_id, t.backend, 'ok', ${now}, t.shard FROM ${t} ORDER BY t.chunk_id, t.backend
                ON CONFLICT (chunk_id, backend) DO UPDATE SET state = 'ok', checked_at = excluded.checked_at, shard = excluded.shard`.execute(trx);
    }
  }
}

/** How many references each pack gains (+) or loses (−), applied in one statement per batch. */
async function addPackRefs(d: SqlDialect, trx: Db, delta: ReadonlyMap<string, number>): Promise<void> {
  const changes = [...delta].filter(([, n]) => n !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const rows of batches(changes, d.rowBatch)) {
    const t = d.rows({ id: textColumn(rows.map(([id]) => id)), n: bigintColumn(rows.map(([, n]) => n)) });
    // A pack its chunks reference is live from the moment they are recorded (not only on commit):
    // were its uploader to die, gc forgets the chunks first, and the pack when none is left.
    await sql`UPDATE chunks SET refcount = refcount + t.n, state = 'live' FROM ${t} WHERE chunks.id = t.id`.execute(trx);
  }
}

/**
 * Chunks written into packs: each points at its pack (whose row recordWhole just filled in) and
 * the pack gains a reference per chunk. A chunk that meanwhile got an ok copy of its own (another
 * session wrote it whole) stays whole; one that was in an older pack moves to the new one.
 */
async function recordPacked(d: SqlDialect, trx: Db, chunks: readonly StoredChunk[]): Promise<void> {
  const delta = new Map<string, number>();
  for (const part of batches(chunks, d.idBatch)) {
    const ids = part.map((c) => c.id);
    const read = () => trx.selectFrom('chunks as c').select(['c.id', 'c.pack_id', ownOk('c.id').as('whole')]).where((eb) => d.inList(eb.ref('c.id'), ids)).execute();
    // The packs the chunks are in now are locked with them, in id order; the rows are read again
    // under the locks: another session may have moved a chunk between the first read and the lock.
    const before = await read();
    const packs = new Set([...part.map((c) => c.pack!.id), ...before.flatMap((r) => (r.pack_id === null ? [] : [r.pack_id]))]);
    await lockChunks(d, trx, (eb) => d.inList(eb.ref('id'), [...new Set([...ids, ...packs])].sort()), 'no key update');
    const current = new Map((d.rowLocks ? await read() : before).map((r) => [r.id, r]));
    const moving = part.filter((c) => {
      const row = current.get(c.id);
      return row !== undefined && !(Number(row.whole) > 0) && row.pack_id !== c.pack!.id;
    });
    if (moving.length === 0) continue;
    for (const c of moving) {
      const old = current.get(c.id)!.pack_id;
      if (old !== null) delta.set(old, (delta.get(old) ?? 0) - 1);
      delta.set(c.pack!.id, (delta.get(c.pack!.id) ?? 0) + 1);
    }
    const movingIds = moving.map((c) => c.id);
    const t = d.rows({
      id: textColumn(movingIds),
      raw_size: bigintColumn(moving.map((c) => c.rawSize)),
      stored_size: bigintColumn(moving.map((c) => c.storedSize)),
      codec_id: intColumn(moving.map((c) => c.codecId)),
      pack_id: textColumn(moving.map((c) => c.pack!.id)),
      pack_offset: bigintColumn(moving.map((c) => c.pack!.offset)),
    });
    await sql`UPDATE chunks SET raw_size = t.raw_size, stored_size = t.stored_size, codec_id = t.codec_id, shard_bytes = NULL,
                pack_id = t.pack_id, pack_offset = t.pack_offset
              FROM ${t} WHERE chunks.id = t.id`.execute(trx);
    // Copies it had were all missing or corrupt (else it would not have been written again).
    await trx.deleteFrom('chunk_copies').where((eb) => d.inList(eb.ref('chunk_id'), movingIds)).execute();
  }
  await addPackRefs(d, trx, delta);
}

/** The first of `ids` without an ok copy (or gone, or being deleted by gc), if any: commitUpload's rule. */
export async function firstUnstored(d: SqlDialect, db: Db, ids: readonly string[]): Promise<string | undefined> {
  for (const part of batches([...new Set(ids)], d.idBatch)) {
    const rows = await db
      .selectFrom('chunks as c')
      .select('c.id')
      .where((eb) => d.inList(eb.ref('c.id'), part))
      .where('c.state', '!=', 'deleting')
      .where(storedOk('c.id', 'c.pack_id'))
      .execute();
    const ok = new Set(rows.map((r) => r.id));
    const bad = part.find((id) => !ok.has(id));
    if (bad !== undefined) return bad;
  }
  return undefined;
}

// --- reads -------------------------------------------------------------------------------------

async function copiesOf(d: SqlDialect, db: Db, ids: readonly string[]): Promise<Map<string, CopyRecord[]>> {
  const out = new Map<string, CopyRecord[]>();
  for (const part of batches([...new Set(ids)], d.idBatch)) {
    const rows = await db.selectFrom('chunk_copies').selectAll().where((eb) => d.inList(eb.ref('chunk_copies.chunk_id'), part)).orderBy('chunk_id').orderBy('backend').execute();
    for (const r of rows) {
      const list = out.get(r.chunk_id) ?? [];
      list.push({ backend: r.backend, state: r.state, ...(r.checked_at !== null ? { checkedAt: r.checked_at } : {}), ...(r.shard !== null && r.shard !== undefined ? { shard: Number(r.shard) } : {}) });
      out.set(r.chunk_id, list);
    }
  }
  return out;
}

export async function* versionChunks(d: SqlDialect, db: Db, versionId: number, fromOffset?: number): AsyncIterable<VersionChunk> {
  let seq = 0;
  if (fromOffset !== undefined && fromOffset > 0) {
    const start = await db
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
    const rows = await db
      .selectFrom('version_chunks as vc')
      .innerJoin('chunks as c', 'c.id', 'vc.chunk_id')
      .leftJoin('chunks as p', 'p.id', 'c.pack_id')
      .select(['vc.seq', 'vc.offset', 'vc.length', ...CHUNK_COLUMNS, 'p.stored_size as pack_stored_size'])
      .where('vc.version_id', '=', versionId)
      .where('vc.seq', '>=', seq)
      .orderBy('vc.seq')
      .limit(PAGE)
      .execute();
    const copies = await copiesOf(d, db, rows.map(objectId));
    for (const r of rows) yield { seq: r.seq, offset: r.offset, length: r.length, chunk: toChunkRecord(r, copies) };
    if (rows.length < PAGE) return;
    seq = rows[rows.length - 1]!.seq + 1;
  }
}

const CHUNK_COLUMNS = ['c.id', 'c.raw_size', 'c.stored_size', 'c.codec_id', 'c.refcount', 'c.pack_id', 'c.pack_offset'] as const;

interface ChunkRow {
  id: string;
  raw_size: number;
  stored_size: number;
  codec_id: number;
  refcount: number;
  pack_id: string | null;
  pack_offset: number | null;
  pack_stored_size: number | null;
}

/** The object that holds a chunk: its own, or its pack's. */
const objectId = (r: ChunkRow): string => r.pack_id ?? r.id;

/** A chunk row as a record; a chunk inside a pack gets the pack's copies. */
function toChunkRecord(r: ChunkRow, copies: ReadonlyMap<string, CopyRecord[]>): ChunkRecord {
  const record: ChunkRecord = { id: r.id, rawSize: Number(r.raw_size), storedSize: Number(r.stored_size), codecId: r.codec_id, refcount: Number(r.refcount), copies: copies.get(objectId(r)) ?? [] };
  if (r.pack_id !== null) record.pack = { id: r.pack_id, offset: Number(r.pack_offset), storedSize: Number(r.pack_stored_size ?? 0) };
  return record;
}

export async function getChunk(d: SqlDialect, db: Db, id: ChunkId): Promise<ChunkRecord | undefined> {
  const r = await db.selectFrom('chunks as c').leftJoin('chunks as p', 'p.id', 'c.pack_id').select([...CHUNK_COLUMNS, 'p.stored_size as pack_stored_size']).where('c.id', '=', id).executeTakeFirst();
  if (!r) return undefined;
  return toChunkRecord(r, await copiesOf(d, db, [objectId(r)]));
}

/** Committed chunks in id order, a page per query (keyset on id). */
export async function* liveChunks(d: SqlDialect, db: Db, options: { after?: ChunkId; pageSize?: number } = {}): AsyncIterable<ChunkRecord> {
  let after = options.after ?? '';
  const size = options.pageSize ?? PAGE;
  for (;;) {
    // Chunks inside packs are not objects: the pack stands for them.
    const rows = await db.selectFrom('chunks').selectAll().where('state', '=', 'live').where('pack_id', 'is', null).where('id', '>', after).orderBy('id').limit(size).execute();
    const copies = await copiesOf(d, db, rows.map((r) => r.id));
    for (const r of rows) {
      yield { id: r.id, rawSize: r.raw_size, storedSize: r.stored_size, codecId: r.codec_id, refcount: r.refcount, copies: copies.get(r.id) ?? [] };
    }
    if (rows.length < size) return;
    after = rows[rows.length - 1]!.id;
  }
}

export async function sparsePacks(d: SqlDialect, db: Db, options: { maxLiveFraction: number; limit: number; after?: ChunkId }): Promise<SparsePack[]> {
  const { rows } = await sql<{ id: string; raw_size: number; stored_size: number; codec_id: number; refcount: number; live: number }>`
    SELECT p.id, p.raw_size, p.stored_size, p.codec_id, p.refcount, SUM(m.stored_size) AS live
    FROM chunks p INNER JOIN chunks m ON m.pack_id = p.id
    WHERE p.codec_id = ${PACK_CODEC_ID} AND p.state = 'live' AND p.id > ${options.after ?? ''}
    GROUP BY p.id, p.raw_size, p.stored_size, p.codec_id, p.refcount
    HAVING SUM(m.stored_size) * 1000 < p.stored_size * ${Math.round(options.maxLiveFraction * 1000)}
    ORDER BY p.id LIMIT ${options.limit}`.execute(db);
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const copies = await copiesOf(d, db, ids);
  const members = new Map<string, SparsePack['members']>();
  for (const part of batches(ids, d.idBatch)) {
    const found = await db
      .selectFrom('chunks')
      .select(['id', 'pack_id', 'pack_offset', 'stored_size', 'raw_size', 'codec_id'])
      .where(d.inList(sql<string>`pack_id`, part))
      .orderBy('pack_id')
      .orderBy('pack_offset')
      .execute();
    for (const m of found) {
      const list = members.get(m.pack_id!) ?? [];
      list.push({ id: m.id, offset: Number(m.pack_offset), storedSize: Number(m.stored_size), rawSize: Number(m.raw_size), codecId: m.codec_id });
      members.set(m.pack_id!, list);
    }
  }
  return rows.map((r) => ({
    pack: { id: r.id, rawSize: Number(r.raw_size), storedSize: Number(r.stored_size), codecId: r.codec_id, refcount: Number(r.refcount), copies: copies.get(r.id) ?? [] },
    liveBytes: Number(r.live),
    members: members.get(r.id) ?? [],
  }));
}

export async function existingChunks(d: SqlDialect, db: Db, ids: readonly ChunkId[]): Promise<Set<ChunkId>> {
  const out = new Set<ChunkId>();
  for (const part of batches([...new Set(ids)], d.idBatch)) {
    for (const r of await db.selectFrom('chunks').select('id').where((eb) => d.inList(eb.ref('chunks.id'), part)).execute()) out.add(r.id);
  }
  return out;
}

// --- copies ------------------------------------------------------------------------------------

export async function setCopyState(db: Db, id: ChunkId, backend: string, state: CopyState, now: number): Promise<void> {
  await db.updateTable('chunk_copies').set({ state, checked_at: now }).where('chunk_id', '=', id).where('backend', '=', backend).execute();
}

export async function addCopy(db: Db, id: ChunkId, backend: string, shard: number | null, now: number): Promise<void> {
  await db
    .insertInto('chunk_copies')
    .values({ chunk_id: id, backend, state: 'ok', checked_at: now, shard })
    .onConflict((oc) => oc.columns(['chunk_id', 'backend']).doUpdateSet({ state: 'ok', checked_at: now, shard }))
    .execute();
}

export async function removeCopy(db: Db, id: ChunkId, backend: string): Promise<void> {
  await db.deleteFrom('chunk_copies').where('chunk_id', '=', id).where('backend', '=', backend).execute();
}

// --- gc ----------------------------------------------------------------------------------------

/**
 * Mark up to `limit` unreferenced, unclaimed chunks 'deleting' and return them with their copies.
 * 1. Lock candidates FOR UPDATE SKIP LOCKED: rows a claim (KEY SHARE) or a commit/delete holds are
 *    skipped, not waited for. 2. Re-check in a second statement, whose snapshot is taken after the
 *    locks were granted: it sees every claim committed before them, and no claim can be added while
 *    we hold them. A claim that waited on our lock then reads 'deleting' and answers 'busy'.
 */
export async function markGarbage(d: SqlDialect, trx: Db, limit: number, among?: readonly ChunkId[]): Promise<GarbageChunk[]> {
  const candidates: string[] = [];
  const pick = async (part?: readonly string[]): Promise<void> => {
    const q = trx.selectFrom('chunks').select('id').where('refcount', '=', 0).where(unclaimed);
    const rows = await d.lock((part === undefined ? q : q.where((eb) => d.inList(eb.ref('chunks.id'), part))).orderBy('id').limit(limit - candidates.length), 'update skip locked').execute();
    for (const r of rows) candidates.push(r.id);
  };
  if (among === undefined) await pick();
  else for (const part of batches([...new Set(among)].sort(), d.idBatch)) if (candidates.length < limit) await pick(part);
  const ids: string[] = [];
  for (const part of batches(candidates, d.idBatch)) {
    const marked = await trx
      .updateTable('chunks')
      .set({ state: 'deleting' })
      .where((eb) => d.inList(eb.ref('chunks.id'), part))
      .where('refcount', '=', 0)
      .where(unclaimed)
      .returning('id')
      .execute();
    for (const r of marked) ids.push(r.id);
  }
  ids.sort();
  const copies = new Map<string, string[]>();
  const inPack = new Set<string>();
  for (const part of batches(ids, d.idBatch)) {
    for (const r of await trx.selectFrom('chunk_copies').select(['chunk_id', 'backend']).where((eb) => d.inList(eb.ref('chunk_id'), part)).orderBy('backend').execute()) {
      copies.set(r.chunk_id, [...(copies.get(r.chunk_id) ?? []), r.backend]);
    }
    for (const r of await trx.selectFrom('chunks').select('id').where((eb) => d.inList(eb.ref('id'), part)).where('pack_id', 'is not', null).execute()) inPack.add(r.id);
  }
  return ids.map((id) => ({ id, backends: copies.get(id) ?? [], ...(inPack.has(id) ? { inPack: true } : {}) }));
}

/** Delete the rows of chunks (distinct, sorted) that are still marked and unreferenced. */
export async function forgetGarbage(d: SqlDialect, trx: Db, ids: readonly ChunkId[]): Promise<void> {
  for (const part of batches(ids, d.idBatch)) {
    const doomed = (eb: ExpressionBuilder<Database, 'chunks'>) => eb.and([d.inList(eb.ref('chunks.id'), part), eb('chunks.state', '=', 'deleting'), eb('chunks.refcount', '=', 0)]);
    // The packs these chunks are in lose a reference each; locked with them, in id order.
    const packs = new Set((await trx.selectFrom('chunks').select('pack_id').where(doomed).where('pack_id', 'is not', null).execute()).map((r) => r.pack_id!));
    await lockChunks(d, trx, (eb) => d.inList(eb.ref('id'), [...new Set([...part, ...packs])].sort()), 'update');
    const released = new Map<string, number>();
    for (const r of await trx.selectFrom('chunks').select('pack_id').where(doomed).where('pack_id', 'is not', null).execute()) released.set(r.pack_id!, (released.get(r.pack_id!) ?? 0) - 1);
    await addPackRefs(d, trx, released);
    if (!d.cascades) await trx.deleteFrom('chunk_copies').where('chunk_id', 'in', trx.selectFrom('chunks').select('id').where(doomed)).execute();
    // The foreign key from version_chunks would refuse a chunk a version still references.
    await trx.deleteFrom('chunks').where(doomed).execute();
  }
}

/** Return marked chunks (distinct, sorted) to 'live': their objects could not all be deleted. */
export async function unmarkGarbage(d: SqlDialect, trx: Db, ids: readonly ChunkId[]): Promise<void> {
  for (const part of batches(ids, d.idBatch)) {
    await lockChunks(d, trx, (eb) => d.inList(eb.ref('id'), part), 'no key update');
    await trx.updateTable('chunks').set({ state: 'live' }).where((eb) => d.inList(eb.ref('chunks.id'), part)).where('state', '=', 'deleting').execute();
  }
}
