// SQLite metadata (better-sqlite3 under Kysely): the embedded default. This file holds what is
// SQLite's own — opening the file, the SqlDialect, the prepared-statement cache; the queries are
// shared with PostgreSQL (sql-store.ts). WAL with synchronous=NORMAL: a committed transaction
// survives a process crash, and chunks are already durable in storage before the version commit,
// so the worst a power loss can do is lose the newest commits, never corrupt them. Write
// transactions are BEGIN IMMEDIATE so concurrent processes (a gc beside a put) queue on the busy
// timeout instead of failing on lock upgrade.
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import type { Database } from './schema.ts';
import type { Columns, RowOf, SqlDialect } from './sql-dialect.ts';
import { migrate } from './sqlite-migrations.ts';
import { SqlMetadataStore } from './sql-store.ts';

export interface SqliteOptions {
  now?: () => number;
}

const sqlite: SqlDialect = {
  /** One write transaction (BEGIN IMMEDIATE), on Kysely's single connection. */
  write(db, fn) {
    return db.connection().execute(async (conn) => {
      await sql`BEGIN IMMEDIATE`.execute(conn);
      try {
        const result = await fn(conn);
        await sql`COMMIT`.execute(conn);
        return result;
      } catch (err) {
        await sql`ROLLBACK`.execute(conn).catch(() => {});
        throw err;
      }
    });
  },
  snapshot: (db, fn) => fn(db),
  migrate: (db, now) => migrate(db, (fn) => sqlite.write(db, fn), now),
  // The write transaction already excludes every other writer.
  rowLocks: false,
  lock: (query) => query,
  cascades: false,
  inList: (column, ids) => sql`${column} in (${sql.join(ids)})`,
  rows<C extends Columns>(columns: C) {
    const names = Object.keys(columns);
    const values = Object.values(columns);
    const n = values[0]?.values.length ?? 0;
    const tuples = Array.from({ length: n }, (_, i) => sql`(${sql.join(values.map((c) => c.values[i]))})`);
    // VALUES names its columns column1, column2, … (the names are this code's, not input).
    const named = sql.raw(names.map((name, k) => `column${k + 1} AS "${name}"`).join(', '));
    return sql<RowOf<C>>`(SELECT ${named} FROM (VALUES ${sql.join(tuples)}))`.as('t');
  },
  // Well under SQLite's limit of 32,766 parameters per statement.
  idBatch: 500,
  rowBatch: 200,
};

/** SQLite's store: the shared one, plus what tests and tools ask of the file itself. */
export class SqliteMetadataStore extends SqlMetadataStore {
  readonly #raw: BetterSqlite3.Database;

  constructor(raw: BetterSqlite3.Database, options: SqliteOptions = {}) {
    super(new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) }), sqlite, options.now);
    this.#raw = raw;
  }

  /** The journal mode actually in effect. */
  journalMode(): string {
    return String(this.#raw.pragma('journal_mode', { simple: true }));
  }
}

/**
 * better-sqlite3 as Kysely sees it, with prepared statements kept by SQL text (the most recent 256).
 * Kysely prepares every query anew: a put of 500 small files spent 0.83 of its main thread's 3.1
 * CPU-s in prepare. Reuse is safe because every query here runs to completion in one synchronous
 * call (all() or run(); nothing streams), so a statement is never in use twice at once.
 */
function withStatementCache(raw: BetterSqlite3.Database, max = 256): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (statement) cache.delete(text);
      else statement = raw.prepare(text);
      // Map order is insertion order: re-inserting keeps the most recently used last.
      cache.set(text, statement);
      if (cache.size > max) cache.delete(cache.keys().next().value!);
      return statement;
    },
  };
}

export async function openSqliteMetadata(path: string, options: SqliteOptions = {}): Promise<SqliteMetadataStore> {
  const raw = new BetterSqlite3(path, { timeout: 15_000 });
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  return new SqliteMetadataStore(raw, options);
}
