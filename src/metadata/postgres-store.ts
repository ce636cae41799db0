// PostgreSQL metadata (pg Pool under Kysely's PostgresDialect): the shared metadata of several
// orchestrators. This file holds what is PostgreSQL's own — opening the pool, the SqlDialect (row
// locks, transactions retried on deadlock, lists as array parameters), type parsers and the URL's
// `schema` parameter; the queries and the locking rules they follow are shared (sql-store.ts).
// It is loaded only when a repository's metadata URL is postgres:// (repository/stores.ts imports it
// lazily), so SQLite users never load pg.
import { setTimeout as sleep } from 'node:timers/promises';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool, types } from 'pg';
import { ConfigError, DcsError } from '../core/errors.ts';
import { migratePostgres } from './postgres-migrations.ts';
import type { Database } from './schema.ts';
import type { Columns, Db, RowOf, SqlDialect } from './sql-dialect.ts';
import { SqlMetadataStore } from './sql-store.ts';

const MAX_ATTEMPTS = 8;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresOptions {
  /** Schema holding dcs's tables (created by migrate); default: the connection's search_path. */
  schema?: string;
  /** Connections in the pool. */
  max?: number;
  now?: () => number;
}

function isRetryable(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  return code === '40001' || code === '40P01';
}

function postgresDialect(schema: string | undefined): SqlDialect {
  return {
    /** One READ COMMITTED transaction, retried whole on deadlock or serialization failure. */
    async write(db, fn) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await db.transaction().execute(fn);
        } catch (err) {
          if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw err;
          await sleep(Math.random() * 10 * 2 ** attempt);
        }
      }
    },
    // One snapshot for all the numbers, so they agree with each other.
    snapshot: (db, fn) => db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(fn),
    migrate: (db, now) => migratePostgres(db, schema, now),
    rowLocks: true,
    lock(query, mode) {
      switch (mode) {
        case 'update':
          return query.forUpdate();
        case 'update skip locked':
          return query.forUpdate().skipLocked();
        case 'no key update':
          return query.forNoKeyUpdate();
        case 'key share':
          return query.forKeyShare();
      }
    },
    cascades: true,
    inList: (column, ids) => sql`${column} = ANY(${ids}::text[])`,
    rows<C extends Columns>(columns: C) {
      const arrays = Object.values(columns).map((c) => sql`${c.values}::${sql.raw(c.type)}[]`);
      const names = Object.keys(columns).map((name) => sql.ref(name));
      return sql<RowOf<C>>`unnest(${sql.join(arrays)})`.as<'t'>(sql`t(${sql.join(names)})`);
    },
    // Lists travel as one array parameter: these only bound a statement's size.
    idBatch: 1000,
    rowBatch: 5000,
  };
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

/** PostgreSQL's store: the shared one; its own class so callers can tell which database they have. */
export class PostgresMetadataStore extends SqlMetadataStore {
  constructor(db: Db, schema: string | undefined, now?: () => number) {
    super(db, postgresDialect(schema), now);
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
  return new PostgresMetadataStore(db, schema, options.now);
}
