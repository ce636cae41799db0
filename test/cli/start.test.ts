// `dcs start` (npm start): a newcomer's first command. It must create the repository, print a URL
// and a token that work, keep the token across restarts, and stop cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const BIN = fileURLToPath(new URL('../../bin/dcs.js', import.meta.url));

async function start(cwd: string, env: Record<string, string> = {}): Promise<{ child: ChildProcess; out: string }> {
  const child = spawn(process.execPath, [BIN, 'start', '--port', '0'], { cwd, env: { ...process.env, DCS_TOKEN: '', DCS_REPO: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('stop with Ctrl-C')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`dcs start exited with ${code}: ${err}`)));
  });
  return { child, out };
}

/** Exit code after SIGTERM; a death by signal (a crash, or no handler) shows as the signal's name. */
async function stopped(child: ChildProcess): Promise<number | string | null> {
  const exit = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  child.kill('SIGTERM');
  return exit;
}

describe('dcs start', () => {
  it('creates ./.dcs on first start, prints a working URL and token, and keeps the token across restarts', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'dcs-start-'));
    try {
      const first = await start(cwd);
      assert.match(first.out, /created repository .*\.dcs/);
      const url = /dcs is serving (http:\/\/127\.0\.0\.1:\d+)/.exec(first.out)![1]!;
      const token = /token: +(\S+)/.exec(first.out)![1]!;
      assert.ok(first.out.includes(`${url}/#token=${token}`), 'a link that logs the browser in');
      assert.equal((await stat(join(cwd, '.dcs', 'web-token'))).mode & 0o777, 0o600);
      assert.equal((await fetch(`${url}/api/v1/info`)).status, 401);
      const put = await fetch(`${url}/api/v1/files/hello.txt`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: 'hello' });
      assert.equal(put.status, 201);
      // The S3 API and a first access key, printed beside the web URL, work as printed.
      const s3Url = /S3 API: +(http:\/\/127\.0\.0\.1:\d+) +region us-east-1/.exec(first.out)![1]!;
      const keyId = /S3 key: +(DCS[A-Z2-7]{17}) +\(new\)/.exec(first.out)![1]!;
      const secret = /S3 secret: +(\S+)/.exec(first.out)![1]!;
      const s3 = new S3Client({ endpoint: s3Url, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: keyId, secretAccessKey: secret }, maxAttempts: 1 });
      await s3.send(new CreateBucketCommand({ Bucket: 'first-bucket' }));
      await s3.send(new PutObjectCommand({ Bucket: 'first-bucket', Key: 'k', Body: 'via s3' }));
      const viaHttp = await fetch(`${url}/api/v1/files/${encodeURIComponent('first-bucket/k')}`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(await viaHttp.text(), 'via s3');
      assert.equal(await stopped(first.child), 0);

      const second = await start(cwd);
      assert.doesNotMatch(second.out, /created repository/);
      const url2 = /dcs is serving (http:\/\/127\.0\.0\.1:\d+)/.exec(second.out)![1]!;
      assert.equal(/token: +(\S+)/.exec(second.out)![1], token, 'same token after a restart');
      assert.equal(/S3 key: +(\S+)/.exec(second.out)![1], keyId, 'the same first key after a restart');
      assert.doesNotMatch(second.out, /\(new\)/);
      const got = await fetch(`${url2}/api/v1/files/hello.txt`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(await got.text(), 'hello');
      assert.equal(await stopped(second.child), 0);

      const own = await start(cwd, { DCS_TOKEN: 'my-own-token' });
      assert.match(own.out, /token: +my-own-token +\(from DCS_TOKEN\)/);
      assert.equal(await stopped(own.child), 0);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('refuses a bad port with a one-line error', async () => {
    const child = spawn(process.execPath, [BIN, 'start', '--port', 'http'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.notEqual(code, 0);
    assert.match(err.trim(), /^dcs: port must be 0-65535, got "http"$/);
  });
});
