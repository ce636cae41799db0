// The orchestrator service in-process (dcs serve --role all): the CLI's --server path gives the
// same results as embedded mode, over TLS too; tokens are enforced; hostile RPC input gets clear
// errors and changes nothing; /healthz, /readyz, /metrics and the gRPC health protocol answer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { pino } from 'pino';
import { initRepository } from '../../src/repository/init-repository.ts';
import { startNode, type RunningNode } from '../../src/server/node.ts';
import { OrchestratorService, type UploadRequest } from '../../src/services/gen/dcs/v1/orchestrator_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '../../src/services/gen/grpc/health/v1/health_pb.js';
import { createTransport } from '../../src/services/transport.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { textBytes } from '../helpers/data.ts';
import { SMALL_CHUNKS } from '../helpers/engine.ts';
import { makeTestPki, type TestPki } from '../helpers/tls.ts';

const TOKEN = 'user-token';
const log = pino({ level: 'silent' });

let dir: string;
let cleanup: () => Promise<void>;
let pki: TestPki;
let plain: RunningNode;
let tls: RunningNode;

before(async () => {
  ({ dir, cleanup } = await tempDir('dcs-orch-'));
  pki = makeTestPki(dir);
  await initRepository(`${dir}/repo`, { chunking: SMALL_CHUNKS, backends: ['fs:b1', 'fs:b2'], replicate: 2 });
  plain = await startNode({ role: 'all', host: '127.0.0.1', port: 0, token: TOKEN, repoDir: `${dir}/repo`, openOptions: { workers: 0 }, log });
  tls = await startNode({
    role: 'all',
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    tls: { cert: pki.serverCert, key: pki.serverKey },
    repoDir: `${dir}/repo`,
    openOptions: { workers: 0 },
    log,
  });
});

after(async () => {
  await plain?.close(1000);
  await tls?.close(1000);
  await cleanup();
});

describe('orchestrator service', () => {
  it('serves the CLI over --server with the same results as embedded mode, over TLS too', async () => {
    const data = textBytes(300_000, 5);
    const env = { DCS_TOKEN: TOKEN };
    const put = await runCli(['put', '-', '--name', 'dir/a file.txt', '--server', plain.url, '--json'], { cwd: dir, env, stdin: data });
    assert.equal(put.code, 0, put.stderr);
    assert.equal(JSON.parse(put.stdout).size, data.length);
    const viaTls = await runCli(['get', 'dir/a file.txt', '-o', '-', '--server', tls.url], { cwd: dir, env: { ...env, DCS_TLS_CA: pki.ca } });
    assert.equal(viaTls.code, 0, viaTls.stderr);
    assert.deepEqual(new Uint8Array(viaTls.stdoutBytes), data);
    const remote = await runCli(['stat', 'dir/a file.txt', '--json', '--server', plain.url], { cwd: dir, env });
    const local = await runCli(['stat', 'dir/a file.txt', '--json', '--repo', `${dir}/repo`], { cwd: dir });
    const strip = (s: string): unknown => {
      const o = JSON.parse(s) as { version: { versionId?: number } };
      delete o.version.versionId;
      return o;
    };
    assert.deepEqual(strip(remote.stdout), strip(local.stdout));
    const range = await runCli(['get', 'dir/a file.txt', '--range', '10-19', '-o', '-', '--server', plain.url], { cwd: dir, env });
    assert.deepEqual(new Uint8Array(range.stdoutBytes), data.subarray(10, 20));
  });

  it('refuses a missing or wrong token with a one-line error and exit 1', async () => {
    for (const env of [{}, { DCS_TOKEN: 'nope' }]) {
      const r = await runCli(['ls', '--server', plain.url], { cwd: dir, env });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^dcs: .*token/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });

  it('answers hostile input with INVALID_ARGUMENT and leaves no version behind', async () => {
    const conn = createTransport(plain.url, { token: TOKEN });
    const client = createClient(OrchestratorService, conn.transport);
    const isInvalid = (e: unknown): boolean => e instanceof ConnectError && e.code === Code.InvalidArgument;
    async function* msgs(...m: UploadRequest['msg'][]): AsyncGenerator<UploadRequest> {
      for (const msg of m) yield { msg } as UploadRequest;
    }
    await assert.rejects(client.upload(msgs({ case: 'data', value: new Uint8Array(3) })), isInvalid);
    await assert.rejects(client.upload(msgs()), isInvalid);
    await assert.rejects(client.upload(msgs({ case: 'header', value: { name: 'a\0b', codec: '', level: 0 } as never })), isInvalid);
    await assert.rejects(client.upload(msgs({ case: 'header', value: { name: 'x'.repeat(5000), codec: '', level: 0 } as never })), isInvalid);
    await assert.rejects(client.upload(msgs({ case: 'header', value: { name: 'ok', codec: 'rar', level: 0 } as never })), isInvalid);
    await assert.rejects(client.upload(msgs({ case: 'header', value: { name: 'ok', codec: 'zstd', level: 99 } as never })), isInvalid);
    await assert.rejects(
      client.upload(msgs({ case: 'header', value: { name: 'twice', codec: '', level: 0 } as never }, { case: 'data', value: new Uint8Array(10) }, { case: 'header', value: { name: 'b', codec: '', level: 0 } as never })),
      isInvalid,
    );
    await assert.rejects(client.stat({ name: '' }), isInvalid);
    await assert.rejects(client.stat({ name: 'missing' }), (e: unknown) => e instanceof ConnectError && e.code === Code.NotFound);
    const names: string[] = [];
    for await (const page of client.list({})) names.push(...page.files.map((f) => f.name));
    assert.deepEqual(names.filter((n) => ['ok', 'twice', 'b'].includes(n)), []);
    conn.close();
  });

  it('answers /healthz, /readyz, /metrics and the gRPC health protocol', async () => {
    assert.equal((await fetch(`${plain.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${plain.url}/readyz`)).status, 200);
    const metrics = await (await fetch(`${plain.url}/metrics`)).text();
    assert.match(metrics, /dcs_rpc_total\{method="dcs\.v1\.OrchestratorService\/Upload"/);
    // Per-backend metrics: operations, errors, latency and bytes of every backend.
    assert.match(metrics, /dcs_backend_operations_total\{[^}]*backend="fs1"[^}]*op="put"[^}]*\} [1-9]/);
    assert.match(metrics, /dcs_backend_written_bytes_total\{[^}]*backend="fs2"/);
    // No token: health checkers (kubelet) cannot send one.
    const conn = createTransport(plain.url);
    const health = createClient(Health, conn.transport);
    assert.equal((await health.check({ service: '' })).status, HealthCheckResponse_ServingStatus.SERVING);
    assert.equal((await health.check({ service: 'dcs.v1.OrchestratorService' })).status, HealthCheckResponse_ServingStatus.SERVING);
    await assert.rejects(health.check({ service: 'nope.Service' }), (e: unknown) => e instanceof ConnectError && e.code === Code.NotFound);
    conn.close();
  });

  it('shuts down gracefully: a request in flight finishes, new ones are refused', async () => {
    const node = await startNode({ role: 'all', host: '127.0.0.1', port: 0, token: TOKEN, repoDir: `${dir}/repo`, openOptions: { workers: 0 }, log });
    const { RemoteRepository } = await import('../../src/repository/remote-repository.ts');
    const client = new RemoteRepository(node.url, { token: TOKEN });
    const data = textBytes(2_000_000, 11);
    let closing: Promise<void> | undefined;
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield data.subarray(0, 1_000_000);
      closing = node.close(10_000); // SIGTERM arrives mid-upload
      await new Promise((r) => setTimeout(r, 300));
      yield data.subarray(1_000_000);
    }
    const r = await client.upload(slow(), { name: 'during-shutdown', codec: 'zstd' });
    assert.equal(r.version.size, data.length);
    await closing;
    await assert.rejects(fetch(`${node.url}/healthz`));
    client.close();
    const stored = await runCli(['get', 'during-shutdown', '-o', '-', '--repo', `${dir}/repo`], { cwd: dir });
    assert.deepEqual(new Uint8Array(stored.stdoutBytes), data);
  });

  it('refuses to run without a token, and open only on loopback', async () => {
    await assert.rejects(startNode({ role: 'storage', host: '127.0.0.1', port: 0, dataDir: `${dir}/n`, log }), ConfigError);
    await assert.rejects(startNode({ role: 'storage', host: '0.0.0.0', port: 0, open: true, dataDir: `${dir}/n`, log }), /only on a loopback/);
  });
});
