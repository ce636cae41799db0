// Dedup before the wire (`dcs put --server`): the client chunks, hashes and compresses, offers its
// chunk list and sends only what the repository lacks, on the orchestrator's data plane. A re-put
// of an unchanged file sends under 1% of its bytes; the orchestrator verifies every sent chunk
// against its id, so a client cannot store bytes under someone else's id; an encrypted repository
// hands clients the id key, never the data key, and stores only sealed objects; an orchestrator
// without a data plane is served over gRPC; `--compress-on server` leaves compression to it.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient } from '@connectrpc/connect';
import { pino } from 'pino';
import { encodeEnvelope } from '../../src/core/envelope.ts';
import { initRepository } from '../../src/repository/init-repository.ts';
import { openRepository } from '../../src/repository/local-repository.ts';
import { RemoteRepository } from '../../src/repository/remote-repository.ts';
import { orchestratorServiceImpl } from '../../src/server/grpc-orchestrator.ts';
import { startNode, type RunningNode } from '../../src/server/node.ts';
import { OrchestratorService } from '../../src/services/gen/dcs/v1/orchestrator_pb.js';
import { listen } from '../../src/services/listener.ts';
import { createTransport } from '../../src/services/transport.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { collect, pieces, randomBytes, textBytes } from '../helpers/data.ts';
import { SMALL_CHUNKS } from '../helpers/engine.ts';

const TOKEN = 'user-token';
const log = pino({ level: 'silent' });
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** `data` with `n` one-byte inserts spread evenly. */
function withInserts(data: Uint8Array, n: number): Uint8Array {
  const out: Uint8Array[] = [];
  const step = Math.floor(data.length / (n + 1));
  for (let i = 0; i < n; i++) {
    out.push(data.subarray(i * step, (i + 1) * step), Uint8Array.of(i));
  }
  out.push(data.subarray(n * step));
  return Buffer.concat(out);
}

let dir: string;
let cleanup: () => Promise<void>;
let node: RunningNode;
let client: RemoteRepository;

before(async () => {
  ({ dir, cleanup } = await tempDir('dcs-chunked-'));
  await initRepository(join(dir, 'repo'), { chunking: SMALL_CHUNKS, backends: ['fs:b1', 'fs:b2'], replicate: 2, codec: 'zstd' });
  node = await startNode({ role: 'orchestrator', host: '127.0.0.1', port: 0, token: TOKEN, repoDir: join(dir, 'repo'), openOptions: { workers: 1 }, http: false, log });
  client = new RemoteRepository(node.url, { token: TOKEN, workers: 1 });
});

after(async () => {
  await client.close();
  await node.close(2000);
  await cleanup();
});

describe('dedup before the wire', () => {
  it('a re-put sends under 1% of the file; 20 one-byte inserts send a small fraction; bytes come back exact', async () => {
    const data = textBytes(3_000_000, 5);
    const sentBefore = client.bytesSent;
    const first = await client.upload(pieces(data, [100_000]), { name: 'big.txt' });
    const firstSent = client.bytesSent - sentBefore;
    assert.equal(first.newChunks, first.chunks);
    // Compressed on the client: well under the plain size went out.
    assert.ok(firstSent < data.length / 2, `first put sent ${firstSent} bytes of ${data.length}`);

    const again = client.bytesSent;
    const second = await client.upload(pieces(data, [100_000]), { name: 'big.txt' });
    const secondSent = client.bytesSent - again;
    assert.equal(second.newChunks, 0);
    assert.equal(second.version.version, 2);
    assert.ok(secondSent < data.length / 100, `re-put sent ${secondSent} bytes (${((100 * secondSent) / data.length).toFixed(2)}%)`);

    const edited = withInserts(data, 20);
    const beforeEdit = client.bytesSent;
    const third = await client.upload(pieces(edited, [100_000]), { name: 'big.txt' });
    const editSent = client.bytesSent - beforeEdit;
    assert.ok(third.newChunks > 0 && third.newChunks <= 3 * 20, `${third.newChunks} new chunks for 20 inserts`);
    assert.ok(editSent < firstSent / 2, `edited put sent ${editSent} bytes, the first ${firstSent}`);

    for (const [version, expect] of [[1, data], [2, data], [3, edited]] as const) {
      const dl = await client.download('big.txt', { version });
      assert.equal(sha(await collect(dl.body)), sha(expect), `v${version}`);
    }
    const ranged = await client.download('big.txt', { version: 3, range: { start: 123_456, end: 1_234_567 } });
    assert.equal(sha(await collect(ranged.body)), sha(edited.subarray(123_456, 1_234_568)));
    const report = await client.verify({ deep: true });
    assert.equal(report.problems.length, 0);
  });

  it('stores empty and one-byte files, and files given as a path', async () => {
    await writeFile(join(dir, 'one'), Uint8Array.of(7));
    const r = await client.upload({ path: join(dir, 'one') }, { name: 'one' });
    assert.equal(r.size, 1);
    const e = await client.upload(pieces(new Uint8Array(0)), { name: 'empty' });
    assert.equal(e.size, 0);
    assert.deepEqual(await collect((await client.download('one')).body), Uint8Array.of(7));
    assert.equal((await collect((await client.download('empty')).body)).length, 0);
  });

  it('leaves the caller\'s buffers as they were', async () => {
    const data = randomBytes(1);
    await client.upload(pieces(data, [1]), { name: 'kept' });
    assert.equal(data.length, 1);
  });

  it('--compress-on server: chunks go uncompressed and are stored compressed', async () => {
    const server = new RemoteRepository(node.url, { token: TOKEN, workers: 1, compressOn: 'server' });
    try {
      const data = textBytes(500_000, 77);
      const at = server.bytesSent;
      const r = await server.upload(pieces(data), { name: 'server-compressed.txt', codec: 'zstd' });
      assert.ok(server.bytesSent - at > data.length, 'the plain bytes went over the wire');
      assert.ok(r.newStoredBytes < data.length / 2, `stored ${r.newStoredBytes} bytes`);
      assert.deepEqual(Object.keys(r.codecs), ['zstd']);
      assert.equal(sha(await collect((await server.download('server-compressed.txt')).body)), sha(data));
    } finally {
      await server.close();
    }
  });
});

describe('what a client may send', () => {
  const rpc = () => createClient(OrchestratorService, createTransport(node.url, { token: TOKEN }).transport);

  it('refuses a chunk whose content does not match its id, and nothing becomes visible', async () => {
    const c = rpc();
    const b = await c.beginChunkedUpload({ name: 'forged' });
    const real = textBytes(1000, 1);
    const other = textBytes(1000, 2);
    const id = createHash('sha256').update(real).digest();
    const offer = await c.offerChunks({ sessionId: b.sessionId, firstSeq: 0, firstOffset: 0n, chunks: [{ id, length: 1000 }] });
    assert.deepEqual(offer.send, [0]);
    const forged = encodeEnvelope({ codecId: 0, cipherId: 0, plainLength: other.length }, other);
    async function* put() {
      yield { msg: { case: 'header' as const, value: { sessionId: b.sessionId } } };
      yield { msg: { case: 'chunk' as const, value: { id, envelope: forged } } };
    }
    await assert.rejects(c.putChunks(put()), /rejected: content does not match its chunk id/);
    await assert.rejects(c.commitChunkedUpload({ sessionId: b.sessionId, name: 'forged', size: 1000n, codec: 'none' }), /has no stored copy/);
    await assert.rejects(client.stat('forged'), /no such file/);
  });

  it('refuses a commit whose offered lengths are not the chunks\' own', async () => {
    const data = textBytes(20_000, 3);
    await client.upload(pieces(data), { name: 'honest' });
    const { chunkList } = await client.stat('honest', { chunks: true });
    const c = rpc();
    const b = await c.beginChunkedUpload({ name: 'liar' });
    const first = chunkList![0]!;
    const offer = await c.offerChunks({ sessionId: b.sessionId, firstSeq: 0, firstOffset: 0n, chunks: [{ id: Buffer.from(first.id, 'hex'), length: first.length + 1 }] });
    assert.deepEqual(offer.send, [], 'the chunk is stored already');
    await assert.rejects(c.commitChunkedUpload({ sessionId: b.sessionId, name: 'liar', size: BigInt(first.length + 1), codec: 'none' }), /was staged as/);
    await assert.rejects(client.stat('liar'), /no such file/);
  });

  it('refuses data-plane requests without the token', async () => {
    const res = await fetch(`${node.url}/data/v1/files/honest`);
    assert.equal(res.status, 401);
    const post = await fetch(`${node.url}/data/v1/uploads/00000000-0000-0000-0000-000000000000/chunks`, { method: 'POST', body: new Uint8Array(10) });
    assert.equal(post.status, 401);
  });
});

describe('an encrypted repository', () => {
  let encDir: string;
  let enc: RunningNode;
  let encClient: RemoteRepository;

  before(async () => {
    encDir = join(dir, 'enc');
    await initRepository(encDir, { chunking: SMALL_CHUNKS, passphrase: 'correct horse', codec: 'zstd' });
    enc = await startNode({ role: 'orchestrator', host: '127.0.0.1', port: 0, token: TOKEN, repoDir: encDir, openOptions: { workers: 1, passphrase: async () => 'correct horse' }, http: false, log });
    encClient = new RemoteRepository(enc.url, { token: TOKEN, workers: 1 });
  });

  after(async () => {
    await encClient.close();
    await enc.close(2000);
  });

  it('gives clients the id key only; every stored object is sealed; files come back exact', async () => {
    const c = createClient(OrchestratorService, createTransport(enc.url, { token: TOKEN }).transport);
    const terms = await c.beginChunkedUpload({ name: 'x' });
    assert.equal(terms.idKey.length, 32);
    await c.abortChunkedUpload({ sessionId: terms.sessionId });

    const data = textBytes(400_000, 9);
    await encClient.upload(pieces(data), { name: 'secret.txt' });
    const { chunkList } = await encClient.stat('secret.txt', { chunks: true });
    // Ids are HMACs under the key the client was given.
    const firstChunk = data.subarray(0, chunkList![0]!.length);
    assert.equal(chunkList![0]!.id, createHmac('sha256', terms.idKey).update(firstChunk).digest('hex'));
    // What the backend holds is encrypted: cipher id (header byte 6) is AES-256-GCM, never 0.
    const objects: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(d, e.name));
        else if (/^[0-9a-f]{64}$/.test(e.name)) objects.push(join(d, e.name));
      }
    };
    await walk(join(encDir, 'data'));
    assert.ok(objects.length >= chunkList!.length);
    for (const o of objects) assert.notEqual((await readFile(o))[6], 0, `${o} is not sealed`);
    assert.equal(sha(await collect((await encClient.download('secret.txt')).body)), sha(data));
    const again = encClient.bytesSent;
    await encClient.upload(pieces(data), { name: 'secret.txt' });
    assert.ok(encClient.bytesSent - again < data.length / 100, 'a re-put dedups before the wire when encrypted too');
  });

  it('refuses a chunk a client sealed itself', async () => {
    const c = createClient(OrchestratorService, createTransport(enc.url, { token: TOKEN }).transport);
    const b = await c.beginChunkedUpload({ name: 'sealed' });
    const plain = textBytes(1000, 4);
    const id = createHmac('sha256', b.idKey).update(plain).digest();
    const envelope = encodeEnvelope({ codecId: 0, cipherId: 1, plainLength: plain.length }, plain);
    async function* put() {
      yield { msg: { case: 'header' as const, value: { sessionId: b.sessionId } } };
      yield { msg: { case: 'chunk' as const, value: { id, envelope } } };
    }
    await c.offerChunks({ sessionId: b.sessionId, firstSeq: 0, firstOffset: 0n, chunks: [{ id, length: plain.length }] });
    await assert.rejects(c.putChunks(put()), /clients send chunks unencrypted/);
  });
});

describe('an orchestrator without a data plane (a gRPC-only proxy in front of it)', () => {
  it('is served over gRPC PutChunks and Download', async () => {
    const repoDir = join(dir, 'grpc-only');
    await initRepository(repoDir, { chunking: SMALL_CHUNKS });
    const repo = await openRepository(repoDir, { workers: 0 });
    const server = await listen({ host: '127.0.0.1', port: 0, routes: (r) => r.service(OrchestratorService, orchestratorServiceImpl(repo)) });
    const c = new RemoteRepository(server.url, { workers: 1 });
    try {
      const data = textBytes(300_000, 12);
      const r = await c.upload(pieces(data), { name: 'via-grpc' });
      assert.equal(r.newChunks, r.chunks);
      assert.equal(sha(await collect((await c.download('via-grpc')).body)), sha(data));
      const out = await runCli(['get', 'via-grpc', '-o', '-', '--repo', repoDir], { cwd: dir });
      assert.equal(sha(out.stdoutBytes), sha(data));
    } finally {
      await c.close();
      await server.close(1000);
      await repo.close();
    }
  });
});
