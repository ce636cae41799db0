// s3rver (an S3 emulator) in a child process on 127.0.0.1, on a port the OS picks, over a temp
// directory, with one bucket. A child process because s3rver's list continuation tokens use DES,
// which Node 24's OpenSSL 3 offers only with --openssl-legacy-provider (in-process, every list
// longer than one page fails with a 500); it also makes stop() a real outage. close() waits for
// the child to exit, so the test process exits by itself.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { tempDir } from './cli.ts';

/** The credentials s3rver accepts. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface RunningS3rver {
  endpoint: string;
  bucket: string;
  /** Every request received so far, as "METHOD URL" (for asserting how a client talked to S3). */
  requests: string[];
  /** Stop the server but keep its directory (a backend outage). Idempotent. */
  stop(): Promise<void>;
  /** Stop the server (idempotent) and remove its directory. */
  close(): Promise<void>;
}

const CHILD = `
const S3rver = require(process.env.S3RVER_MAIN);
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.env.S3RVER_DIR, configureBuckets: [{ name: process.env.S3RVER_BUCKET }] });
server.run().then((address) => {
  server.httpServer.on('request', (req) => process.stdout.write('REQ ' + req.method + ' ' + req.url + '\\n'));
  process.stdout.write('PORT ' + address.port + '\\n');
});
process.on('SIGTERM', () => process.exit(0));
`;

export async function startS3rver(options: { bucket?: string } = {}): Promise<RunningS3rver> {
  const bucket = options.bucket ?? 'dcs-test';
  const { dir, cleanup } = await tempDir('dcs-s3rver-');
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD], {
    env: { ...process.env, S3RVER_MAIN: createRequire(import.meta.url).resolve('s3rver'), S3RVER_DIR: dir, S3RVER_BUCKET: bucket },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const requests: string[] = [];
  let buffered = '';
  let errors = '';
  child.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start in 20 s: ${errors}`)), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('REQ ')) requests.push(line.slice(4));
        else if (line.startsWith('PORT ')) {
          clearTimeout(timer);
          resolve(Number(line.slice(5)));
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with ${code} before listening: ${errors}`));
    });
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await exited;
    await cleanup();
    throw err;
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    })();
    return stopping;
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    requests,
    stop,
    close: async () => {
      await stop();
      await cleanup();
    },
  };
}

/** Point the AWS SDK's default credential chain (environment first) at s3rver's credentials. */
export function useS3rverCredentials(): void {
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}
