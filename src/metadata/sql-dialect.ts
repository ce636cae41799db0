// What differs between the SQL databases dcs keeps metadata in, as one small object per database
// (sqlite-store.ts, postgres-store.ts); every query is written once, against this, in the query
// files (files-versions.ts, chunks-copies.ts, upload-sessions.ts, analytics.ts). The model is
// Kysely's own Dialect: Kysely already hides most SQL differences; what remains is how a
// transaction runs, row locks, how a list reaches the database, batch sizes and the migrations.
import type { AliasedRawBuilder, Expression, Kysely, SelectQueryBuilder, SqlBool } from 'kysely';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

/**
 * PostgreSQL row locks, weakest last: 'update' (the row may be deleted), 'update skip locked'
 * (the same, passing over rows others hold), 'no key update' (its columns change, the row stays),
 * 'key share' (the row must stay while we reference it).
 */
export type RowLock = 'update' | 'update skip locked' | 'no key update' | 'key share';

/** One column of a row list: its values and their PostgreSQL type (arrays travel typed). */
export interface Column<V> {
  readonly type: 'text' | 'bigint' | 'int';
  readonly values: readonly V[];
}

export const textColumn = <V extends string | null>(values: readonly V[]): Column<V> => ({ type: 'text', values });
export const bigintColumn = <V extends number | null>(values: readonly V[]): Column<V> => ({ type: 'bigint', values });
export const intColumn = <V extends number | null>(values: readonly V[]): Column<V> => ({ type: 'int', values });

/** Named columns of equal length. */
export type Columns = Record<string, Column<string | number | null>>;

/** The row type of a row list: one property per column. */
export type RowOf<C extends Columns> = { [K in keyof C]: C[K] extends Column<infer V> ? V : never };

export interface SqlDialect {
  /**
   * Run `fn` in one write transaction. SQLite: BEGIN IMMEDIATE, the one writer of the database.
   * PostgreSQL: READ COMMITTED under row locks, retried whole on deadlock or serialization failure,
   * so `fn` must be safe to run again (keep its results inside it).
   */
  write<T>(db: Db, fn: (trx: Db) => Promise<T>): Promise<T>;
  /** Run reads whose numbers must agree with each other (repository stats). */
  snapshot<T>(db: Db, fn: (db: Db) => Promise<T>): Promise<T>;
  /** Create or upgrade the schema. */
  migrate(db: Db, now: number): Promise<void>;

  /**
   * Whether `lock` takes row locks. When false (SQLite, whose write transaction already excludes
   * every other writer), statements that only lock rows are skipped.
   */
  readonly rowLocks: boolean;
  /** The select with a row-lock clause (FOR UPDATE …), or unchanged where rowLocks is false. */
  lock<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>, mode: RowLock): SelectQueryBuilder<DB, TB, O>;
  /**
   * Whether deleting a row deletes the rows that reference it (ON DELETE CASCADE). SQLite enforces
   * foreign keys per connection (PRAGMA foreign_keys), and a handle with them off must not leave
   * rows behind, so there children are deleted explicitly.
   */
  readonly cascades: boolean;

  /** `column IN (…)` (SQLite), or `column = ANY($1::text[])` (PostgreSQL: the list as one parameter). */
  inList(column: Expression<string>, ids: readonly string[]): Expression<SqlBool>;
  /**
   * Rows as a derived table named `t`, for INSERT … SELECT and UPDATE … FROM: VALUES on SQLite,
   * unnest() of one typed array per column on PostgreSQL (a few parameters, however many rows;
   * several times faster there than a VALUES list or a statement per row). Never called with
   * zero rows. The statements around it are SQL templates, not the query builder: on the upload
   * path Kysely's builder for INSERT … SELECT and UPDATE … FROM costs several times a template per
   * call, which a put of many small files on SQLite pays once per file.
   */
  rows<C extends Columns>(columns: C): AliasedRawBuilder<RowOf<C>, 't'>;
  /** Ids per `inList` and per locking batch (SQLite: well under its parameter limit). */
  readonly idBatch: number;
  /** Rows per `rows` list when rows are many (staged chunk lists, parts, copies). */
  readonly rowBatch: number;
}

export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
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
