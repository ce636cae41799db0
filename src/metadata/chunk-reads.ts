// Reads both SQL stores share — chunks, copies and repository stats (Kysely builds the same
// queries for SQLite and PostgreSQL); only how a list of ids reaches the database differs — `IN (…)` batches for SQLite, one array
// parameter (`= ANY($1)`) for PostgreSQL — so each store passes its own id filter.
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { ChunkId } from '../core/chunk-id.ts';
import type { ChunkRecord, CopyRecord, RepositoryStats, StoredChunk, VersionChunk } from './metadata-store.ts';
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
      .groupBy('codec_id')
      .orderBy('codec_id')
      .execute();
    const perBackend = await db
      .selectFrom('chunk_copies as k')
      .innerJoin('chunks as c', 'c.id', 'k.chunk_id')
      .select((eb) => [
        'k.backend',
        eb.fn.countAll<number>().as('copies'),
        eb.fn.sum<number>(eb.case().when('k.state', '=', 'ok').then(eb.ref('c.stored_size')).else(0).end()).as('bytes'),
        eb.fn.sum<number>(eb.case().when('k.state', '=', 'missing').then(1).else(0).end()).as('missing'),
        eb.fn.sum<number>(eb.case().when('k.state', '=', 'corrupt').then(1).else(0).end()).as('corrupt'),
      ])
      .where('c.state', '=', 'live')
      .groupBy('k.backend')
      .orderBy('k.backend')
      .execute();
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
    };
}
