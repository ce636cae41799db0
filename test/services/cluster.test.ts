// The local cluster, for real: `dcs serve` processes started by `dcs cluster up`. The default
// topology (one orchestrator, three storage nodes, replicate 2, no chunker or compressor process):
// files of several sizes go up and come back concurrently; storage nodes are killed with SIGKILL
// mid-upload and mid-download without the user seeing an error; a node that lost its disk is
// restored by repair; an orchestrator killed mid-upload leaves no visible half file, and gc reclaims
// what it wrote. With --chunker and --compressors the orchestrator uses those processes; with
// --orchestrators 2 and a shared PostgreSQL, a file put through one is read back through the other,
// and without --metadata that topology is refused.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clusterDown, clusterRestart, clusterUp, isAlive, readState, type ClusterState } from '../../src/cli/commands/cluster.ts';
import { RemoteRepository } from '../../src/repository/remote-repository.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { collect, pieces, randomBytes, textBytes } from '../helpers/data.ts';
import { POSTGRES_URL, requirePostgres } from '../helpers/postgres.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

// Port blocks below Linux's ephemeral range (32768+), where other tests' servers and clients take
// ports; each cluster of this file gets its own block of 100.
const blocks = Array.from({ length: 200 }, (_, i) => 10_000 + i * 100).sort(() => Math.random() - 0.5);
const portBlock = (): number => blocks.pop()!;

let dir: string;
let cleanupDir: () => Promise<void>;
let cluster: ClusterState;
let client: RemoteRepository;

async function pidOf(name: string): Promise<number> {
  const s = await readState(dir);
  const p = s?.processes.find((q) => q.name === name);
  assert.ok(p, `no cluster process ${name}`);
  return p.pid;
}

async function kill9(name: string): Promise<void> {
  const pid = await pidOf(name);
  process.kill(pid, 'SIGKILL');
  // Wait until it is really gone (or a zombie), so the next step sees a dead node.
  for (let i = 0; i < 250 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(isAlive(pid), false, `${name} (pid ${pid}) did not die`);
}

/** Bytes as an upload stream that runs `during` after `afterBytes` have been sent. */
async function* streamWith(data: Uint8Array, afterBytes: number, during: () => Promise<void>): AsyncGenerator<Uint8Array> {
  let sent = 0;
  let done = false;
  for await (const piece of pieces(data, [256 * 1024])) {
    yield piece;
    sent += piece.length;
    if (!done && sent >= afterBytes) {
      done = true;
      await during();
    }
  }
}

describe('local cluster, default topology (dcs cluster up: orchestrator, 3 storage nodes)', { timeout: 240_000 }, () => {
  before(async () => {
    ({ dir, cleanup: cleanupDir } = await tempDir('dcs-cluster-'));
    cluster = await clusterUp({ dir, nodes: 3, port: portBlock(), replicate: 2, env: process.env });
    const tokens = (await import(join(dir, 'tokens.json'), { with: { type: 'json' } })).default as { DCS_TOKEN: string };
    client = new RemoteRepository(cluster.server, { token: tokens.DCS_TOKEN });
  });

  after(async () => {
    client?.close();
    await clusterDown(dir, 5000);
    await cleanupDir();
  });

  it('starts one orchestrator and the storage nodes only, and its dcs.yaml names no services', async () => {
    assert.deepEqual(cluster.processes.map((p) => p.name).sort(), ['orchestrator', 'storage-0', 'storage-1', 'storage-2']);
    assert.deepEqual(cluster.servers, [cluster.server]);
    const yaml = await readFile(join(dir, 'repo', 'dcs.yaml'), 'utf8');
    assert.doesNotMatch(yaml, /services:|chunker|compressor/);
    assert.match(yaml, /metadata: sqlite:/);
    assert.match(await readFile(join(dir, 'cluster.env'), 'utf8'), new RegExp(`^export DCS_SERVER=${cluster.server}$`, 'm'));
  });

  it('uploads and downloads many files of several sizes concurrently, byte for byte', async () => {
    const sizes = [0, 1, 1000, 300_000, 2.5 * MiB, 6 * MiB];
    const files = sizes.flatMap((size, i) => [
      { name: `random/${i}.bin`, data: randomBytes(size, 100 + i) },
      { name: `text/${i}.txt`, data: textBytes(size, 200 + i) },
    ]);
    await Promise.all(files.map((f) => client.upload(pieces(f.data, [100_000]), { name: f.name, codec: 'auto' })));
    const names: string[] = [];
    for await (const f of client.list()) names.push(f.name);
    assert.deepEqual(names, files.map((f) => f.name).sort());
    await Promise.all(
      files.map(async (f) => {
        const dl = await client.download(f.name);
        assert.equal(sha(await collect(dl.body)), sha(f.data), f.name);
      }),
    );
    const ranged = await client.download('text/5.txt', { range: { start: 1000, end: 1_999_999 } });
    assert.equal(sha(await collect(ranged.body)), sha(files[11]!.data.subarray(1000, 2_000_000)));
  });

  it('survives a storage node killed mid-upload and another mid-download, and repair restores redundancy', async () => {
    const big = textBytes(24 * MiB, 31);
    // storage-1 dies with SIGKILL after 4 MiB of the upload: no error for the user.
    const up = await client.upload(streamWith(big, 4 * MiB, () => kill9('storage-1')), { name: 'big.txt', codec: 'zstd' });
    assert.equal(up.version.size, big.length);
    assert.equal(sha(await collect((await client.download('big.txt')).body)), sha(big));

    // The orchestrator's health checks (gRPC health protocol) notice the dead node: it is marked
    // down in /metrics, and new chunks go to the live nodes only.
    let metrics = '';
    for (let i = 0; i < 50 && !/dcs_storage_node_up\{node="storage-1"[^}]*\} 0/.test(metrics); i++) {
      await new Promise((r) => setTimeout(r, 200));
      metrics = await (await fetch(`${cluster.server}/metrics`)).text();
    }
    assert.match(metrics, /dcs_storage_node_up\{node="storage-1"[^}]*\} 0/);
    assert.match(metrics, /dcs_storage_node_up\{node="storage-0"[^}]*\} 1/);
    await client.upload(pieces(randomBytes(3 * MiB, 55)), { name: 'while-down.bin', codec: 'none' });
    const placed = await client.stat('while-down.bin', { chunks: true });
    assert.ok(placed.chunkList!.every((c) => c.copies.length === 2 && c.copies.every((k) => k.backend !== 'storage-1')));

    // storage-1 comes back with its disk; storage-2 dies mid-download.
    await clusterRestart(dir, 'storage-1');
    const dl = await client.download('big.txt');
    const got: Uint8Array[] = [];
    let killed = false;
    for await (const piece of dl.body) {
      got.push(piece);
      if (!killed) {
        killed = true;
        await kill9('storage-2');
      }
    }
    assert.equal(sha(Buffer.concat(got)), sha(big));

    // storage-2 comes back with an empty disk (replaced drive): verify sees missing copies,
    // repair rewrites them, and the repository is fully redundant again.
    await rm(join(dir, 'data', 'storage-2'), { recursive: true, force: true });
    await clusterRestart(dir, 'storage-2');
    // The orchestrator's circuit breaker for storage-2 opened while it was down; it lets a probe
    // through after its half-open delay (10 s), and from then on the node's copies are seen missing.
    let beforeRepair = await client.verify();
    for (let i = 0; i < 40 && beforeRepair.missing === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      beforeRepair = await client.verify();
    }
    assert.ok(beforeRepair.missing > 0, 'copies on the wiped node are reported missing');
    // Repair reports what it could not finish or confirm (a backend whose breaker is still open
    // right after it returned answers nothing); an operator re-runs verify and repair until the
    // repository is clean, and so does this test.
    let fixed = await client.repair();
    let repaired = fixed.rewritten + fixed.added;
    let afterRepair = await client.verify({ deep: true });
    for (let i = 0; i < 10 && (fixed.stillDegraded > 0 || afterRepair.okCopies !== afterRepair.copies); i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      fixed = await client.repair();
      repaired += fixed.rewritten + fixed.added;
      afterRepair = await client.verify({ deep: true });
    }
    assert.ok(repaired > 0);
    assert.equal(fixed.lost, 0);
    assert.equal(afterRepair.okCopies, afterRepair.copies);
    assert.equal(afterRepair.underReplicated, 0);
    assert.equal(afterRepair.missing + afterRepair.corrupt + afterRepair.unreachable + afterRepair.lost, 0);
  });

  it('an orchestrator killed mid-upload leaves no visible half file, and gc reclaims its chunks', async () => {
    const statsBefore = await client.stats();
    const data = randomBytes(16 * MiB, 77);
    let killed: Promise<void> | undefined;
    await assert.rejects(client.upload(streamWith(data, 8 * MiB, () => (killed = kill9('orchestrator'))), { name: 'half.bin', codec: 'none' }));
    // The upload fails as soon as the connection resets, which can be before the process is gone.
    assert.ok(killed, 'the orchestrator was killed mid-upload');
    await killed;
    client.close();
    await clusterRestart(dir, 'orchestrator');
    const tokens = (await import(join(dir, 'tokens.json'), { with: { type: 'json' } })).default as { DCS_TOKEN: string };
    client = new RemoteRepository(cluster.server, { token: tokens.DCS_TOKEN });
    await assert.rejects(client.stat('half.bin'), /no such file/);
    const mid = await client.verify();
    const physicalMid = (await client.stats()).physicalBytes;
    assert.equal(physicalMid >= statsBefore.physicalBytes, true);
    // The dead upload's session is expired at once here (by default gc waits 10 minutes).
    const g = await client.gc({ sessionTimeoutMs: 1 });
    assert.equal(g.sessionsExpired + g.chunksDeleted + g.orphansDeleted > 0, true, JSON.stringify(g));
    const end = await client.verify();
    assert.equal(end.orphans, 0);
    assert.equal((await client.stats()).physicalBytes, statsBefore.physicalBytes);
    assert.equal(end.missing + end.corrupt + end.lost, 0, JSON.stringify(mid));
  });
});

/** The bearer token of the cluster in `clusterDir`. */
async function tokenOf(clusterDir: string): Promise<string> {
  return (JSON.parse(await readFile(join(clusterDir, 'tokens.json'), 'utf8')) as { DCS_TOKEN: string }).DCS_TOKEN;
}

describe('local cluster with a chunker and two compressors (--chunker --compressors 2)', { timeout: 120_000 }, () => {
  let d: string;
  let cleanup: () => Promise<void>;
  let c: ClusterState;
  let auth: { authorization: string };

  before(async () => {
    ({ dir: d, cleanup } = await tempDir('dcs-cluster-services-'));
    c = await clusterUp({ dir: d, nodes: 3, port: portBlock(), replicate: 2, chunker: true, compressors: 2, env: process.env });
    auth = { authorization: `Bearer ${await tokenOf(d)}` };
  });

  after(async () => {
    await clusterDown(d, 5000);
    await cleanup();
  });

  it('names the chunker and the compressors in dcs.yaml, and plain streamed uploads go through them', async () => {
    assert.deepEqual(c.processes.map((p) => `${p.role}:${p.name}`).sort(), ['chunker:chunker', 'compressor:compressor', 'compressor:compressor-1', 'orchestrator:orchestrator', 'storage:storage-0', 'storage:storage-1', 'storage:storage-2']);
    const yaml = await readFile(join(d, 'repo', 'dcs.yaml'), 'utf8');
    const port = (name: string): number => c.processes.find((p) => p.name === name)!.port;
    assert.match(yaml, new RegExp(`chunker: http://127.0.0.1:${port('chunker')}`));
    assert.match(yaml, new RegExp(`- http://127.0.0.1:${port('compressor')}\\n\\s*- http://127.0.0.1:${port('compressor-1')}`));
    // HTTP PUT is the upload of a client that cannot chunk (curl, a browser): the orchestrator
    // chunks it on the chunker and compresses it on the compressors.
    const files = [0, 1000, 3 * MiB].flatMap((size, i) => [
      { name: `t${i}.txt`, data: textBytes(size, 300 + i) },
      { name: `r${i}.bin`, data: randomBytes(size, 400 + i) },
    ]);
    await Promise.all(
      files.map(async (f) => {
        const r = await fetch(`${c.server}/api/v1/files/${f.name}?codec=zstd`, { method: 'PUT', headers: auth, body: f.data });
        assert.equal(r.status, 201, await r.text());
      }),
    );
    for (const f of files) {
      const r = await fetch(`${c.server}/api/v1/files/${f.name}`, { headers: auth });
      assert.equal(r.status, 200);
      assert.equal(sha(new Uint8Array(await r.arrayBuffer())), sha(f.data), f.name);
    }
    const served = async (name: string, service: string): Promise<boolean> =>
      new RegExp(`dcs_rpc_total\\{method="dcs\\.v1\\.${service}/[A-Za-z]+",code="ok"[^}]*\\} [1-9]`).test(await (await fetch(`http://127.0.0.1:${port(name)}/metrics`)).text());
    assert.ok(await served('chunker', 'ChunkingService'), 'the chunker served no requests');
    for (const name of ['compressor', 'compressor-1']) assert.ok(await served(name, 'CompressionService'), `${name} served no requests`);
  });
});

describe('dcs cluster up --orchestrators', { timeout: 120_000 }, () => {
  it('refuses more than one orchestrator without a shared PostgreSQL, in one line', async () => {
    const { dir: d, cleanup } = await tempDir('dcs-cluster-refused-');
    try {
      const r = await runCli(['cluster', 'up', '--dir', join(d, 'c'), '--orchestrators', '2'], { cwd: d, env: process.env });
      assert.notEqual(r.code, 0);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^dcs: --orchestrators 2 needs a PostgreSQL metadata database they all share: pass --metadata postgres:\/\/USER@HOST:PORT\/DATABASE \(password in PGPASSWORD\)\n$/);
      // Nothing was started or written.
      assert.equal(await readState(join(d, 'c')), undefined);
    } finally {
      await cleanup();
    }
  });

  it('two orchestrators share one PostgreSQL database: a file put through one is read back through the other', async () => {
    await requirePostgres();
    const { dir: d, cleanup } = await tempDir('dcs-cluster-two-');
    const clusterDir = join(d, 'cluster');
    try {
      const up = await runCli(['cluster', 'up', '--dir', clusterDir, '--port', String(portBlock()), '--orchestrators', '2', '--metadata', POSTGRES_URL, '--json'], { cwd: d, env: process.env });
      assert.equal(up.code, 0, up.stderr);
      const c = JSON.parse(up.stdout) as ClusterState;
      assert.equal(c.servers.length, 2);
      assert.equal(c.server, c.servers[0]);
      assert.deepEqual(c.processes.filter((p) => p.role === 'orchestrator').map((p) => `http://127.0.0.1:${p.port}`), c.servers);
      assert.match(await readFile(join(clusterDir, 'cluster.env'), 'utf8'), new RegExp(`^export DCS_SERVER=${c.servers[0]},${c.servers[1]}$`, 'm'));
      assert.match(await readFile(join(clusterDir, 'repo', 'dcs.yaml'), 'utf8'), /metadata: postgres:\/\//);

      const env = { ...process.env, DCS_TOKEN: await tokenOf(clusterDir) };
      const data = textBytes(2 * MiB + 12_345, 99);
      await writeFile(join(d, 'in.txt'), data);
      const put = await runCli(['put', join(d, 'in.txt'), '--name', 'shared.txt', '--server', c.servers[0]!, '-q'], { cwd: d, env });
      assert.equal(put.code, 0, put.stderr);
      const get = await runCli(['get', 'shared.txt', '-o', join(d, 'out.txt'), '--server', c.servers[1]!, '-q'], { cwd: d, env });
      assert.equal(get.code, 0, get.stderr);
      assert.equal(sha(await readFile(join(d, 'out.txt'))), sha(data));

      const status = await runCli(['cluster', 'status', '--dir', clusterDir, '--json'], { cwd: d, env: process.env });
      assert.equal(status.code, 0, status.stderr);
      const rows = (JSON.parse(status.stdout) as { processes: { name: string; ready: boolean }[] }).processes;
      assert.deepEqual(rows.map((p) => p.name).sort(), ['orchestrator', 'orchestrator-1', 'storage-0', 'storage-1', 'storage-2']);
      assert.ok(rows.every((p) => p.ready));
    } finally {
      const down = await runCli(['cluster', 'down', '--dir', clusterDir], { cwd: d, env: process.env });
      assert.match(down.stdout, /stopped 5 processes/);
      await cleanup();
    }
  });
});
