// The PostgreSQL server the tests use (DCS_TEST_POSTGRES_URL, default: trust auth on 127.0.0.1,
// database `test`) and throw-away schemas in it, one per store under test. No server is a failure,
// not a skip: CI installs PostgreSQL (.ci/run), and a silently skipped suite proves nothing.
import { randomBytes } from 'node:crypto';
import { Client, type QueryResultRow } from 'pg';

export const POSTGRES_URL = process.env.DCS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Run one statement on a short-lived connection, in the given schema if any. */
export async function adminQuery<R extends QueryResultRow = QueryResultRow>(text: string, values: unknown[] = [], schema?: string): Promise<R[]> {
  const client = new Client({
    connectionString: POSTGRES_URL,
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

/** Throws a clear error when the test server does not answer. */
export async function requirePostgres(): Promise<void> {
  try {
    await adminQuery('SELECT 1');
  } catch (err) {
    const e = err as { message?: string; code?: string };
    throw new Error(
      `PostgreSQL tests need a server at ${POSTGRES_URL} (trust auth, database "test"), but it did not answer: ` +
        `${e.message || e.code || String(err)}. Start one (see .ci/run) or point DCS_TEST_POSTGRES_URL at one.`,
      { cause: err },
    );
  }
}

export function freshSchemaName(): string {
  return `dcs_test_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}
