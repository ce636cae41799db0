// `dcs serve` processes as a deployment sees them: an orchestrator's /readyz follows its redundancy
// policy and names the storage nodes that are down; the "serving" log line reports the address as
// bound (0.0.0.0 stays 0.0.0.0); storage nodes name themselves by --name, DCS_NODE_NAME or host:port,
// while the orchestrator names a backend by its dcs.yaml name.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@connectrpc/connect';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { BackendError } from '../../src/core/errors.ts';
import { startNode, type RunningNode } from '../../src/server/node.ts';
import { StorageService } from '../../src/services/gen/dcs/v1/storage_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from '../../src/services/gen/grpc/health/v1/health_pb.js';
import { RemoteBlobStore } from '../../src/services/remote-blob-store.ts';
import { createTransport } from '../../src/services/transport.ts';
import { tempDir } from '../helpers/cli.ts';
import { freePort } from '../helpers/ports.ts';

const TOKEN = 'user-token';
const NODE_TOKEN = 'node-token';
const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'dcs.js');
const silent = pino({ level: 'silent' });

async function storageName(url: string): Promise<string> {
  const conn = createTransport(url, { token: NODE_TOKEN });
  try {
    return (await createClient(StorageService, conn.transport).storageInfo({})).name;
  } finally {
    conn.close();
  }
}

describe('/readyz of an orchestrator over three storage nodes (replicate 3, minCopies 2)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const nodes: RunningNode[] = [];

  before(async () => {
    ({ dir, cleanup } = await tempDir('dcs-readyz-'));
    for (let i = 0; i < 3; i++) {
      nodes.push(await startNode({ role: 'storage', host: '127.0.0.1', port: 0, token: NODE_TOKEN, dataDir: join(dir, `data-${i}`), name: `node-${i}`, log: silent }));
    }
    const config = {
      version: 1,
      metadata: 'sqlite:metadata.db',
      backends: nodes.map((n, i) => ({ name: `storage-${i}`, url: n.url.replace('http:', 'grpc:') })),
      redundancy: { replicate: 3, minCopies: 2 },
    };
    await writeFile(join(dir, 'dcs.yaml'), stringify(config));
  });

  after(async () => {
    for (const n of nodes) await n.close(1000);
    await cleanup();
  });

  /** A fresh orchestrator (its first probe sees the nodes as they are now): /readyz and gRPC health. */
  async function probe(): Promise<{ status: number; body: unknown; health: HealthCheckResponse_ServingStatus }> {
    const orchestrator = await startNode({ role: 'all', host: '127.0.0.1', port: 0, token: TOKEN, repoDir: dir, nodeClient: { token: NODE_TOKEN }, openOptions: { workers: 0 }, http: false, log: silent });
    const conn = createTransport(orchestrator.url);
    try {
      const res = await fetch(`${orchestrator.url}/readyz`);
      assert.equal(res.headers.get('content-type'), 'application/json');
      const health = (await createClient(Health, conn.transport).check({ service: '' })).status;
      return { status: res.status, body: await res.json(), health };
    } finally {
      conn.close();
      await orchestrator.close(1000);
    }
  }

  it('is ready with every node up, ready but degraded with one down, and 503 with two down, naming them by dcs.yaml', async () => {
    assert.deepEqual(await probe(), {
      status: 200,
      body: { ready: true, metadata: true, backends: { needed: 2, up: ['storage-0', 'storage-1', 'storage-2'], down: [] } },
      health: HealthCheckResponse_ServingStatus.SERVING,
    });
    await nodes[2]!.close(1000);
    assert.deepEqual(await probe(), {
      status: 200,
      body: { ready: true, metadata: true, backends: { needed: 2, up: ['storage-0', 'storage-1'], down: ['storage-2'] } },
      health: HealthCheckResponse_ServingStatus.SERVING,
    });
    await nodes[1]!.close(1000);
    assert.deepEqual(await probe(), {
      status: 503,
      body: { ready: false, metadata: true, backends: { needed: 2, up: ['storage-0'], down: ['storage-1', 'storage-2'] } },
      health: HealthCheckResponse_ServingStatus.NOT_SERVING,
    });
  });
});

describe('storage node names', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir('dcs-names-')));
  after(() => cleanup());

  it('default to the host name and port, and answer /readyz with JSON', async () => {
    const port = await freePort();
    const node = await startNode({ role: 'storage', host: '127.0.0.1', port, token: NODE_TOKEN, dataDir: join(dir, 'default'), log: silent });
    try {
      assert.equal(await storageName(node.url), `${hostname()}:${port}`);
      const res = await fetch(`${node.url}/readyz`);
      assert.deepEqual([res.status, await res.json()], [200, { ready: true }]);
    } finally {
      await node.close(1000);
    }
  });

  it('errors about a storage node carry the dcs.yaml name first, then the node\'s own name', async () => {
    const data = join(dir, 'gone');
    const node = await startNode({ role: 'storage', host: '127.0.0.1', port: 0, token: NODE_TOKEN, dataDir: data, name: 'node-x', log: silent });
    const store = new RemoteBlobStore('storage-1', node.url, { token: NODE_TOKEN });
    try {
      await rm(data, { recursive: true });
      await assert.rejects(store.head('chunks/aa/x'), (e: unknown) => {
        assert.ok(e instanceof BackendError);
        assert.equal(e.backend, 'storage-1');
        assert.match(e.message, /^backend storage-1: head failed: backend node-x: head failed: storage directory .* does not exist/);
        return true;
      });
    } finally {
      await store.close();
      await node.close(1000);
    }
  });

  /** `dcs serve` as a process: its "serving" log line and its name; stopped with SIGTERM. */
  async function serve(args: string[], env: Record<string, string>): Promise<{ url: string; serving: Record<string, unknown>; child: ChildProcess }> {
    const child = spawn(process.execPath, [BIN, 'serve', '--role', 'storage', ...args], { env: { ...process.env, DCS_NODE_TOKEN: NODE_TOKEN, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const line = (stream: NodeJS.ReadableStream, match: (l: string) => boolean): Promise<string> =>
      new Promise((done, fail) => {
        const lines = createInterface({ input: stream });
        lines.on('line', (l) => match(l) && done(l));
        child.once('exit', (code) => fail(new Error(`dcs serve exited with ${code}`)));
      });
    const [url, serving] = await Promise.all([line(child.stdout!, () => true), line(child.stderr!, (l) => l.includes('"serving"'))]);
    return { url: url.trim(), serving: JSON.parse(serving) as Record<string, unknown>, child };
  }
  const stop = async (child: ChildProcess): Promise<void> => {
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGTERM');
    await exited;
  };

  it('dcs serve logs the address it listens on (0.0.0.0 stays 0.0.0.0) and takes DCS_NODE_NAME, or --name over it', async () => {
    const a = await serve(['--listen', '0.0.0.0:0', '--data', join(dir, 'a')], { DCS_NODE_NAME: 'node-a' });
    try {
      const port = new URL(a.url).port;
      assert.equal(a.serving.listen, `0.0.0.0:${port}`);
      assert.equal(a.url, `http://127.0.0.1:${port}`, 'the printed URL is one a local client can open');
      assert.equal(await storageName(a.url), 'node-a');
    } finally {
      await stop(a.child);
    }
    const b = await serve(['--listen', '127.0.0.1:0', '--data', join(dir, 'b'), '--name', 'node-b'], { DCS_NODE_NAME: 'node-a' });
    try {
      assert.equal(b.serving.listen, `127.0.0.1:${new URL(b.url).port}`);
      assert.equal(await storageName(b.url), 'node-b');
    } finally {
      await stop(b.child);
    }
  });
});
