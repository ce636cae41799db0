// Files whose chunks are inside pack objects (a local `dcs put` of many small files) read through
// the server like any other: the HTTP API (whole and ranged) and `dcs get --server`, whose
// download plan sends chunks inside packs through the orchestrator.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { initRepository } from '../../src/repository/init-repository.ts';
import { startNode, type RunningNode } from '../../src/server/node.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { textBytes } from '../helpers/data.ts';
import { SMALL_CHUNKS } from '../helpers/engine.ts';

const TOKEN = 'packed-files-token';
const files = Array.from({ length: 30 }, (_, i) => ({ name: `src/f${i}.c`, data: textBytes(500 + i * 1_500, 40 + i) }));

describe('packed small files through the server', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let node: RunningNode;

  before(async () => {
    ({ dir, cleanup } = await tempDir('dcs-packed-'));
    const repo = join(dir, 'repo');
    await initRepository(repo, { chunking: SMALL_CHUNKS });
    for (const f of files) await writeFile(join(dir, f.name.replace('/', '_')), f.data);
    const args = files.map((f) => f.name.replace('/', '_'));
    const put = await runCli(['put', '--repo', repo, '-q', ...args], { cwd: dir });
    assert.equal(put.code, 0, put.stderr);
    // The chunks are in a pack or two, not an object per file.
    const objects = await runCli(['verify', '--repo', repo, '--json'], { cwd: dir });
    assert.ok((JSON.parse(objects.stdout) as { chunks: number }).chunks < 5, objects.stdout);
    node = await startNode({ role: 'all', host: '127.0.0.1', port: 0, token: TOKEN, repoDir: repo, openOptions: { workers: 0 }, http: { statsIntervalMs: 0 }, log: pino({ level: 'silent' }) });
  });

  after(async () => {
    await node.close(1000);
    await cleanup();
  });

  it('serves them over HTTP, whole and ranged', async () => {
    for (const f of files.slice(0, 10)) {
      const name = encodeURIComponent(f.name.replace('/', '_'));
      const whole = await fetch(`${node.url}/api/v1/files/${name}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(whole.status, 200);
      assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), f.data);
      const ranged = await fetch(`${node.url}/api/v1/files/${name}`, { headers: { authorization: `Bearer ${TOKEN}`, range: 'bytes=100-299' } });
      assert.equal(ranged.status, 206);
      assert.deepEqual(new Uint8Array(await ranged.arrayBuffer()), f.data.subarray(100, 300));
    }
  });

  it('serves them to dcs get --server', async () => {
    for (const f of files.slice(20)) {
      const got = await runCli(['get', '--server', node.url, f.name.replace('/', '_'), '-o', '-'], { cwd: dir, env: { DCS_TOKEN: TOKEN } });
      assert.equal(got.code, 0, got.stderr);
      assert.deepEqual(new Uint8Array(got.stdoutBytes), f.data);
    }
  });
});
