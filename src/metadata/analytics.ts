// What the repository reports about itself: per-name access counters, repository-wide stats, and
// the size history servers sample for the web UI's charts. Queries only; the store (sql-store.ts)
// picks the transaction.
import { sql } from 'kysely';
import { PACK_CODEC_ID } from '../core/codecs.ts';
import type { FileAccess, RepositoryStats, StatsSample, UsageTotals } from './metadata-store.ts';
import type { Db } from './sql-dialect.ts';

/** Samples kept in stats_history: recordStatsSample drops older ones. */
export const STATS_HISTORY_LIMIT = 10_000;

// --- access counters ---------------------------------------------------------------------------

/** Add to a name's access counters (creating its row); one statement, so concurrent counts add up. */
export async function countAccess(db: Db, name: string, delta: { uploads?: number; downloads?: number; bytesIn?: number; bytesOut?: number }, now: number): Promise<void> {
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

export async function usageTotals(db: Db): Promise<UsageTotals> {
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

export async function topFiles(db: Db, limit: number): Promise<FileAccess[]> {
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

export async function fileAccess(db: Db, name: string): Promise<FileAccess | undefined> {
  const r = await db.selectFrom('file_access').selectAll().where('name', '=', name).executeTakeFirst();
  return r && toFileAccess(r);
}

// --- repository stats --------------------------------------------------------------------------

/** Repository-wide aggregates; run them in one snapshot (SqlDialect.snapshot) so the numbers agree. */
export async function repositoryStats(db: Db): Promise<RepositoryStats> {
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
    // A pack is storage for the chunks in it, which count here themselves.
    .where('codec_id', '!=', PACK_CODEC_ID)
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
    // A chunk inside a pack frees nothing on its own: its pack does, once no chunk is left in it.
    .where('pack_id', 'is', null)
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

// --- size history ------------------------------------------------------------------------------

/** Insert a sample and drop all but the newest STATS_HISTORY_LIMIT; run it in a write transaction. */
export async function insertStatsSample(db: Db, s: StatsSample): Promise<void> {
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

export async function statsHistory(db: Db, options: { since?: number; limit?: number } = {}): Promise<StatsSample[]> {
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
