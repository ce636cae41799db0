// Azurite (the Azure Storage emulator), blob service only, as a child process on 127.0.0.1 with a
// port the OS picks (read back from its start-up line), in-memory persistence, API version check
// off. close() stops it and waits for the exit, so the test process exits by itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { tempDir } from './cli.ts';

/** Azurite's well-known development account. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface RunningAzurite {
  /** Blob endpoint including the account: http://127.0.0.1:PORT/devstoreaccount1 */
  blobEndpoint: string;
  connectionString: string;
  /** Stop the emulator (idempotent). */
  close(): Promise<void>;
}

export function azuriteConnectionString(blobEndpoint: string, key = AZURITE_KEY): string {
  return `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${key};BlobEndpoint=${blobEndpoint};`;
}

export async function startAzurite(): Promise<RunningAzurite> {
  const main = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');
  // In-memory persistence refuses --location; the cwd is a temp dir so nothing lands in the checkout.
  const { dir, cleanup } = await tempDir('dcs-azurite-');
  const child: ChildProcess = spawn(
    process.execPath,
    [main, '--blobHost', '127.0.0.1', '--blobPort', '0', '--blobKeepAliveTimeout', '60', '--inMemoryPersistence', '--extentMemoryLimit', '512', '--skipApiVersionCheck', '--silent', '--disableTelemetry'],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start in 20 s:\n${output}`)), 20_000);
    const onData = (d: Buffer): void => {
      output += d.toString();
      const m = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code} before listening:\n${output}`));
    });
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await exited;
    await cleanup();
    throw err;
  });
  // Keep draining its output; never let the pipes hold the event loop open.
  child.stdout!.resume();
  child.stderr!.resume();
  const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  let closed: Promise<void> | undefined;
  return {
    blobEndpoint,
    connectionString: azuriteConnectionString(blobEndpoint),
    close: () => {
      closed ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
        await cleanup();
      })();
      return closed;
    },
  };
}
