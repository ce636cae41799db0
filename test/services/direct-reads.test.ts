// Direct reads (docs/api.md "Direct reads"): an orchestrator over three storage nodes hands a client
// a download plan, and the client reads the chunks from the nodes itself with the plan's tickets.
// The bytes come back exact, whole and in ranges, without crossing the orchestrator (the nodes'
// and the orchestrator's /metrics say which path they took); a corrupt copy is read through the
// orchestrator, which rewrites it; a node that is gone costs nothing but its copies; a plan's
// ticket reads its chunk and nothing else; an encrypted repository, or an orchestrator started
// with directReads false, offers no plan, and downloads go through the orchestrator as before.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { initRepository } from '../../src/repository/init-repository.ts';
import { RemoteRepository } from '../../src/repository/remote-repository.ts';
import { startNode, type RunningNode } from '../../src/server/node.ts';
import { FRAME_HEAD, FRAME_PLAN, readFrames } from '../../src/services/data-frames.ts';
import { objectPath } from '../../src/services/storage-data-plane.ts';
import { TICKET_HEADER } from '../../src/services/read-tickets.ts';
import { registerStorageNodeBackends } from '../../src/services/register.ts';
import { chunkKey } from '../../src/storage/blob-store.ts';
import { tempDir } from '../helpers/cli.ts';
import { collect, pieces, randomBytes, textBytes } from '../helpers/data.ts';
import { SMALL_CHUNKS } from '../helpers/engine.ts';

const TOKEN = 'user-token';
const NODE_TOKEN = 'node-token';
const silent = pino({ level: 'silent' });
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const MiB = 1024 * 1024;

/** The sum of a counter's samples whose labels include all of `labels`, from a /metrics page. */
async function counter(url: string, name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

interface Setup {
  dir: string;
  nodes: RunningNode[];
  orchestrator: RunningNode;
  client: RemoteRepository;
  cleanup(): Promise<void>;
}

async function setup(options: { passphrase?: string; directReads?: boolean } = {}): Promise<Setup> {
  const { dir, cleanup } = await tempDir('dcs-direct-');
  const nodes: RunningNode[] = [];
  let orchestrator: RunningNode;
  try {
    for (let i = 0; i < 3; i++) nodes.push(await startNode({ role: 'storage', host: '127.0.0.1', port: 0, token: NODE_TOKEN, dataDir: join(dir, `data-${i}`), name: `node-${i}`, log: silent }));
    registerStorageNodeBackends({ token: NODE_TOKEN });
    const repoDir = join(dir, 'repo');
    await initRepository(repoDir, {
      chunking: SMALL_CHUNKS,
      backends: nodes.map((n, i) => `storage-${i}=${n.url.replace('http:', 'grpc:')}`),
      replicate: 2,
      ...(options.passphrase ? { passphrase: options.passphrase, kdfCost: { N: 1024 } } : {}),
    });
    orchestrator = await startNode({
      role: 'orchestrator',
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      repoDir,
      nodeClient: { token: NODE_TOKEN },
      openOptions: { workers: 0, ...(options.passphrase ? { passphrase: async () => options.passphrase! } : {}) },
      ...(options.directReads === false ? { directReads: false } : {}),
      http: false,
      log: silent,
    });
  } catch (err) {
    for (const n of nodes) await n.close(1000);
    await cleanup();
    throw err;
  }
  const client = new RemoteRepository(orchestrator.url, { token: TOKEN, workers: 1 });
  return {
    dir,
    nodes,
    orchestrator,
    client,
    cleanup: async () => {
      await client.close();
      await orchestrator.close(1000);
      for (const n of nodes) await n.close(1000);
      await cleanup();
    },
  };
}

/** Batched direct reads the nodes answered (no bearer token: tickets), and envelope downloads the orchestrator served. */
async function paths(s: Setup): Promise<{ direct: number; viaOrchestrator: number; plans: number }> {
  let direct = 0;
  for (const n of s.nodes) direct += await counter(n.url, 'dcs_data_requests_total', { route: 'reads', auth: 'none', status: '200' }).catch(() => 0);
  return {
    direct,
    viaOrchestrator: await counter(s.orchestrator.url, 'dcs_data_requests_total', { route: 'files' }),
    plans: await counter(s.orchestrator.url, 'dcs_data_requests_total', { route: 'plans', status: '200' }),
  };
}

interface PlanEntry {
  id: string;
  copies: [number, string][];
}

/** The head's node URLs and the first batch of a file's plan, as the orchestrator sends them. */
async function planOf(s: Setup, name: string): Promise<{ nodes: string[]; length: number; entries: PlanEntry[] }> {
  const res = await fetch(`${s.orchestrator.url}/data/v1/plans/${name}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  const frames = readFrames(res.body as AsyncIterable<Uint8Array>, 1 << 20);
  const head = (await frames.next()).value as { type: number; json: { nodes: string[]; length: number } };
  assert.equal(head.type, FRAME_HEAD);
  const plan = (await frames.next()).value as { type: number; json: PlanEntry[] };
  assert.equal(plan.type, FRAME_PLAN);
  await frames.return(undefined);
  return { nodes: head.json.nodes, length: head.json.length, entries: plan.json };
}

describe('direct reads from the storage nodes', () => {
  let s: Setup;
  const text = textBytes(3 * MiB + 12_345, 5);
  const random = randomBytes(MiB + 7, 6);

  before(async () => {
    s = await setup();
    await s.client.upload(pieces(text, [100_000]), { name: 'text.txt', codec: 'zstd' });
    await s.client.upload(pieces(random), { name: 'random.bin', codec: 'auto' });
    await s.client.upload(pieces(new Uint8Array(0)), { name: 'empty' });
  });
  after(() => s.cleanup());

  it('reads whole files and ranges from the nodes, not through the orchestrator', async () => {
    const earlier = await paths(s);
    assert.equal(sha(await collect((await s.client.download('text.txt')).body)), sha(text));
    assert.equal(sha(await collect((await s.client.download('random.bin')).body)), sha(random));
    assert.equal((await collect((await s.client.download('empty')).body)).length, 0);
    for (const [start, end] of [[0, 0], [1, 99_999], [16_383, 16_385], [1_000_000, 2_999_999], [text.length - 1, text.length - 1]] as const) {
      const dl = await s.client.download('text.txt', { range: { start, end } });
      assert.deepEqual([dl.start, dl.length], [start, end - start + 1]);
      assert.equal(sha(await collect(dl.body)), sha(text.subarray(start, end + 1)), `range ${start}-${end}`);
    }
    const tail = await s.client.download('text.txt', { range: { suffix: 1000 } });
    assert.equal(sha(await collect(tail.body)), sha(text.subarray(text.length - 1000)));
    const now = await paths(s);
    assert.ok(now.direct - earlier.direct >= 8, `the nodes answered ${now.direct - earlier.direct} batched reads`);
    assert.ok(now.plans - earlier.plans >= 8, 'every download took a plan');
    assert.equal(now.viaOrchestrator, earlier.viaOrchestrator, 'no chunk went through the orchestrator');
  });

  it("a plan's ticket reads its own chunk on its node, and nothing else; a plan needs the user token", async () => {
    const refused = await fetch(`${s.orchestrator.url}/data/v1/plans/text.txt`);
    assert.equal(refused.status, 401);
    const plan = await planOf(s, 'text.txt');
    assert.equal(plan.length, text.length);
    assert.deepEqual([...plan.nodes].sort(), s.nodes.map((n) => n.url).sort());
    const [first, second] = plan.entries as [PlanEntry, PlanEntry];
    assert.equal(first.copies.length, 2, 'both copies are offered');
    const [node, ticket] = first.copies[0]!;
    const url = plan.nodes[node]!;
    const get = (id: string, method = 'GET'): Promise<Response> => fetch(`${url}${objectPath(chunkKey(id))}`, { method, headers: { [TICKET_HEADER]: ticket }, ...(method === 'PUT' ? { body: 'x' } : {}) });
    assert.equal((await get(first.id)).status, 200);
    assert.equal((await get(second.id)).status, 403);
    assert.equal((await get(first.id, 'PUT')).status, 403);
    const list = await fetch(`${url}/data/v1/objects/${encodeURIComponent('chunks/')}`, { headers: { [TICKET_HEADER]: ticket } });
    assert.ok(list.status >= 400);
  });

  it('a corrupt copy on a node: the download is exact, and the orchestrator rewrites the copy', async () => {
    // The copy the plan offers first, so the client reads the corrupt one.
    const plan = await planOf(s, 'text.txt');
    const chunk = plan.entries[3]!;
    const nodeDir = join(s.dir, `data-${s.nodes.findIndex((n) => n.url === plan.nodes[chunk.copies[0]![0]])}`);
    const file = (await readdir(nodeDir, { recursive: true, withFileTypes: true })).find((e) => e.isFile() && e.name === chunk.id);
    assert.ok(file, `copy of ${chunk.id} in ${nodeDir}`);
    const path = join(file.parentPath, file.name);
    const good = await readFile(path);
    const bad = Buffer.from(good);
    bad[bad.length - 10]! ^= 0xff;
    await writeFile(path, bad);
    const earlier = await paths(s);
    assert.equal(sha(await collect((await s.client.download('text.txt')).body)), sha(text));
    assert.equal((await paths(s)).viaOrchestrator, earlier.viaOrchestrator + 1, 'the corrupt chunk, and only it, went through the orchestrator');
    assert.deepEqual(await readFile(path), good, 'the copy was rewritten');
    const report = await s.client.verify({ deep: true });
    assert.deepEqual([report.corrupt, report.problems], [0, []]);
  });

  it('a storage node that is gone: its chunks come from their other copies, still directly', async () => {
    await s.nodes[1]!.close(1000);
    const earlier = await paths(s);
    assert.equal(sha(await collect((await s.client.download('text.txt')).body)), sha(text));
    assert.equal(sha(await collect((await s.client.download('random.bin')).body)), sha(random));
    const now = await paths(s);
    assert.ok(now.direct > earlier.direct);
    assert.equal(now.viaOrchestrator, earlier.viaOrchestrator, 'no chunk went through the orchestrator');
  });
});

describe('no direct reads', () => {
  it('an encrypted repository offers no plan (404 NOT_FOUND): downloads go through the orchestrator', async () => {
    const s = await setup({ passphrase: 'pw' });
    try {
      const data = textBytes(MiB, 7);
      await s.client.upload(pieces(data), { name: 'secret.txt' });
      const plan = await fetch(`${s.orchestrator.url}/data/v1/plans/secret.txt`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.deepEqual([plan.status, ((await plan.json()) as { error: { code: string } }).error.code], [404, 'NOT_FOUND']);
      assert.equal(sha(await collect((await s.client.download('secret.txt')).body)), sha(data));
      const p = await paths(s);
      assert.equal(p.direct, 0);
      assert.ok(p.viaOrchestrator > 0);
    } finally {
      await s.cleanup();
    }
  });

  it('an orchestrator started with directReads false (dcs serve --no-direct-reads) offers no plan either', async () => {
    const s = await setup({ directReads: false });
    try {
      const data = randomBytes(MiB, 8);
      await s.client.upload(pieces(data), { name: 'r.bin' });
      assert.equal((await fetch(`${s.orchestrator.url}/data/v1/plans/r.bin`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
      assert.equal(sha(await collect((await s.client.download('r.bin')).body)), sha(data));
      assert.equal((await paths(s)).direct, 0);
    } finally {
      await s.cleanup();
    }
  });
});
