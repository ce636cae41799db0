// The S3 API with S3 tools no one here wrote, from Debian: rclone (sync in and out, check),
// restic with its s3: backend (init, backup, check --read-data, restore), and s3cmd. .ci/run
// installs them (DCS_REQUIRE_PEER_TOOLS=1 there turns a missing tool into a failure); elsewhere a
// missing tool skips its test with the reason.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { initRepository } from '../../src/repository/init-repository.ts';
import { openRepository } from '../../src/repository/local-repository.ts';
import { createAccessKey, SecretVault } from '../../src/server/s3/access-keys.ts';
import { startNode, type RunningNode } from '../../src/server/node.ts';
import { tempDir } from '../helpers/cli.ts';
import { randomBytes, textBytes } from '../helpers/data.ts';

function tool(name: string): string | undefined {
  const path = `/usr/bin/${name}`;
  if (existsSync(path)) return path;
  if (process.env.DCS_REQUIRE_PEER_TOOLS === '1') throw new Error(`${name} is not installed (apt-get install ${name}); DCS_REQUIRE_PEER_TOOLS=1 needs it`);
  return undefined;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function treeDigest(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(relative(root, path), createHash('sha256').update(await readFile(path)).digest('hex'));
  }
  return out;
}

/** A folder tree like a user's: nested folders, spaces and unicode in names, empty and larger files. */
async function makeTree(root: string): Promise<void> {
  const files: [string, Uint8Array][] = [
    ['README.md', textBytes(3_000, 1)],
    ['docs/guide one.txt', textBytes(40_000, 2)],
    ['docs/ünïcode/naïve.txt', textBytes(1_000, 3)],
    ['src/main.c', textBytes(120_000, 4)],
    ['src/lib/a.h', textBytes(500, 5)],
    ['data/blob.bin', randomBytes(11 * 1024 * 1024 + 17, 6)],
    ['data/empty', new Uint8Array(0)],
  ];
  for (let i = 0; i < 40; i++) files.push([`many/f${String(i).padStart(3, '0')}.txt`, textBytes(200 + i * 97, 100 + i)]);
  for (const [name, data] of files) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), data);
  }
}

describe('S3 API with rclone, restic and s3cmd', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let node: RunningNode;
  let key: { id: string; secret: string };

  before(async () => {
    ({ dir, cleanup } = await tempDir('dcs-s3-peers-'));
    const repoDir = join(dir, 'repo');
    await initRepository(repoDir, {});
    const repo = await openRepository(repoDir, { workers: 0 });
    key = await createAccessKey(repo, await SecretVault.open(repoDir, {}, true));
    await repo.close();
    node = await startNode({ role: 'all', host: '127.0.0.1', port: 0, token: 't', repoDir, http: false, s3: { host: '127.0.0.1', port: 0 }, log: pino({ level: 'silent' }) });
  });

  after(async () => {
    await node?.close(1000);
    await cleanup();
  });

  it('rclone syncs a folder tree in and out, and rclone check finds no difference', async (t) => {
    const rclone = tool('rclone');
    if (!rclone) return t.skip('rclone is not installed (apt-get install rclone)');
    const env = {
      RCLONE_CONFIG_DCS_TYPE: 's3',
      RCLONE_CONFIG_DCS_PROVIDER: 'Other',
      RCLONE_CONFIG_DCS_ENDPOINT: node.s3Url!,
      RCLONE_CONFIG_DCS_ACCESS_KEY_ID: key.id,
      RCLONE_CONFIG_DCS_SECRET_ACCESS_KEY: key.secret,
      RCLONE_CONFIG_DCS_REGION: 'us-east-1',
      RCLONE_CONFIG_DCS_FORCE_PATH_STYLE: 'true',
      // data/blob.bin (11 MiB) goes up as a multipart upload of three parts. rclone (Go) writes
      // the ETags of its completion as &#34;…&#34;, which the first version here did not decode.
      RCLONE_CONFIG_DCS_UPLOAD_CUTOFF: '5M',
      RCLONE_CONFIG_DCS_CHUNK_SIZE: '5M',
    };
    const src = join(dir, 'tree');
    await makeTree(src);
    const ok = async (args: string[]): Promise<string> => {
      const r = await run(rclone, [...args, '--config', '/dev/null'], env);
      assert.equal(r.code, 0, `rclone ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await ok(['mkdir', 'dcs:tree']);
    await ok(['sync', src, 'dcs:tree']);
    await ok(['check', src, 'dcs:tree']);
    // A change, a new file and a deletion, synced again: check stays clean.
    await writeFile(join(src, 'src/main.c'), textBytes(120_001, 44));
    await writeFile(join(src, 'docs/new.txt'), 'new');
    const { rm } = await import('node:fs/promises');
    await rm(join(src, 'many/f000.txt'));
    await ok(['sync', src, 'dcs:tree']);
    await ok(['check', src, 'dcs:tree']);
    const out = join(dir, 'tree-out');
    await ok(['sync', 'dcs:tree', out]);
    assert.deepEqual(await treeDigest(out), await treeDigest(src));
    // Server-side copy (rclone copyto within the remote uses CopyObject).
    await ok(['copyto', 'dcs:tree/data/blob.bin', 'dcs:tree/data/blob-copy.bin']);
    await ok(['check', join(src, 'data'), 'dcs:tree/data', '--exclude', 'blob-copy.bin']);
    const listed = await ok(['lsf', 'dcs:tree/data']);
    assert.deepEqual(listed.trim().split('\n').sort(), ['blob-copy.bin', 'blob.bin', 'empty']);
  });

  it('restic backs up to dcs over S3, check --read-data is clean, and the restore is byte-identical', async (t) => {
    const restic = tool('restic');
    if (!restic) return t.skip('restic is not installed (apt-get install restic)');
    const src = join(dir, 'restic-src');
    await makeTree(src);
    const env = {
      RESTIC_REPOSITORY: `s3:${node.s3Url}/restic-repo`,
      RESTIC_PASSWORD: 'restic test password',
      AWS_ACCESS_KEY_ID: key.id,
      AWS_SECRET_ACCESS_KEY: key.secret,
      RESTIC_CACHE_DIR: join(dir, 'restic-cache'),
    };
    const ok = async (args: string[]): Promise<string> => {
      const r = await run(restic, args, env, 300_000);
      assert.equal(r.code, 0, `restic ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await ok(['init']);
    await ok(['backup', src]);
    await writeFile(join(src, 'docs/second.txt'), textBytes(9_000, 77));
    await ok(['backup', src]);
    await ok(['check', '--read-data']);
    const target = join(dir, 'restic-out');
    await ok(['restore', 'latest', '--target', target]);
    assert.deepEqual(await treeDigest(join(target, src)), await treeDigest(src));
    await ok(['forget', '--keep-last', '1', '--prune']);
    await ok(['check', '--read-data']);
  });

  it('s3cmd makes a bucket, puts, lists, gets and deletes', async (t) => {
    const s3cmd = tool('s3cmd');
    if (!s3cmd) return t.skip('s3cmd is not installed (apt-get install s3cmd)');
    const host = new URL(node.s3Url!).host;
    const base = ['--config=/dev/null', `--host=${host}`, '--host-bucket=', '--no-ssl', `--access_key=${key.id}`, `--secret_key=${key.secret}`, '--region=us-east-1'];
    const ok = async (args: string[]): Promise<string> => {
      const r = await run(s3cmd, [...base, ...args], {});
      assert.equal(r.code, 0, `s3cmd ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const file = join(dir, 's3cmd.bin');
    const data = randomBytes(7 * 1024 * 1024 + 3, 9);
    await writeFile(file, data);
    await ok(['mb', 's3://s3cmd-bucket']);
    // 7 MiB with 5 MiB chunks: s3cmd's multipart upload.
    await ok(['put', '--multipart-chunk-size-mb=5', file, 's3://s3cmd-bucket/dir/file.bin']);
    assert.match(await ok(['ls', 's3://s3cmd-bucket/dir/']), /dir\/file\.bin/);
    const back = join(dir, 's3cmd-back.bin');
    await ok(['get', 's3://s3cmd-bucket/dir/file.bin', back]);
    assert.deepEqual(await readFile(back), Buffer.from(data));
    await ok(['del', 's3://s3cmd-bucket/dir/file.bin']);
    await ok(['rb', 's3://s3cmd-bucket']);
  });
});
