// Attacks on a storage node's data plane (PUT/GET /data/v1/objects/{key}, POST /data/v1/reads), sent
// as raw HTTP so that no client-side check hides a server-side hole: no or wrong token, read tickets
// for another key, expired, forged or used to write, hostile keys and reads bodies, bodies over the
// limit or cut off mid-way, ranges; and RemoteBlobStore's mapping of each failure to the
// errors the gRPC path gave (BlobNotFoundError, UsageError, retryable BackendError).
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BackendError, BlobNotFoundError, UsageError } from '../../src/core/errors.ts';
import { StorageService } from '../../src/services/gen/dcs/v1/storage_pb.js';
import { listen } from '../../src/services/listener.ts';
import { RemoteBlobStore } from '../../src/services/remote-blob-store.ts';
import { objectPath, STORAGE_OBJECT_MAX_BYTES } from '../../src/services/storage-data-plane.ts';
import { storageServiceImpl } from '../../src/services/storage-service.ts';
import { READ_FAILED, READ_MISSING, READ_OK, READ_REFUSED, READS_PATH, readOutcomes, type ReadOutcome } from '../../src/services/batch-reads.ts';
import { TICKET_HEADER, TicketSigner } from '../../src/services/read-tickets.ts';
import { storageMount } from '../../src/services/stage-roles.ts';
import { FsBlobStore } from '../../src/storage/fs-store.ts';
import { tempDir } from '../helpers/cli.ts';
import { pieces, randomBytes } from '../helpers/data.ts';
import { NODE_TOKEN, storageNode } from '../helpers/storage-node.ts';

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP/1.1 request with the path sent exactly as given (node:http does not normalise it). */
function raw(url: string, r: { method: string; path: string; token?: string; headers?: Record<string, string | number>; body?: Uint8Array }): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: hostname,
      port,
      method: r.method,
      path: r.path,
      agent: false,
      headers: { ...r.headers, ...(r.token ? { authorization: `Bearer ${r.token}` } : {}), ...(r.body ? { 'content-length': r.body.length } : {}) },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (p: Buffer) => parts.push(p));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.end(r.body);
  });
}

const errorCode = (a: RawAnswer): unknown => (JSON.parse(a.body.toString('utf8')) as { error: { code: unknown } }).error.code;

/** Every file under the node's data directory (a stored object, or a temp file of a write). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('storage node data plane: authentication', () => {
  it('refuses PUT and GET without the node token or with a wrong one (401), and stores nothing', async () => {
    const { node, root, cleanup } = await storageNode();
    try {
      const data = randomBytes(1000, 1);
      for (const token of [undefined, 'wrong', `${NODE_TOKEN}x`]) {
        const put = await raw(node.url, { method: 'PUT', path: objectPath('chunks/aa/x'), ...(token ? { token } : {}), body: data });
        assert.equal(put.status, 401, `PUT with token ${token}`);
        assert.equal(errorCode(put), 'UNAUTHENTICATED');
      }
      assert.deepEqual(await filesUnder(join(root, 'data')), []);
      // A stored object is not readable without the token either.
      assert.equal((await raw(node.url, { method: 'PUT', path: objectPath('chunks/aa/x'), token: NODE_TOKEN, body: data })).status, 204);
      for (const token of [undefined, 'wrong']) {
        const get = await raw(node.url, { method: 'GET', path: objectPath('chunks/aa/x'), ...(token ? { token } : {}) });
        assert.equal(get.status, 401);
        assert.ok(!get.body.includes(Buffer.from(data.subarray(0, 16))), 'no object bytes in the refusal');
      }
      const ok = await raw(node.url, { method: 'GET', path: objectPath('chunks/aa/x'), token: NODE_TOKEN });
      assert.deepEqual([ok.status, ok.headers['content-length'], new Uint8Array(ok.body)], [200, '1000', data]);
    } finally {
      await cleanup();
    }
  });

  it('a node that runs open (--insecure-open on loopback) takes requests without a token', async () => {
    const { node, cleanup } = await storageNode({ open: true });
    try {
      assert.equal((await raw(node.url, { method: 'PUT', path: objectPath('k/open'), body: new Uint8Array([7]) })).status, 204);
      const store = new RemoteBlobStore('node0', node.url);
      assert.deepEqual(await store.get('k/open'), new Uint8Array([7]));
      await store.close();
    } finally {
      await cleanup();
    }
  });
});

describe('storage node data plane: keys', () => {
  it('answers hostile or malformed keys with 400 USAGE and writes nothing anywhere', async () => {
    const { node, root, cleanup } = await storageNode();
    try {
      const paths = [
        '/data/v1/objects/..', // `..` itself, as a raw segment
        '/data/v1/objects/%2E%2E',
        '/data/v1/objects/.',
        '/data/v1/objects/%2E%2E%2Fescape',
        '/data/v1/objects/chunks%2F..%2F..%2Fescape',
        '/data/v1/objects/%2Fetc%2Fpasswd', // absolute
        '/data/v1/objects/nul%00byte',
        '/data/v1/objects/a%5Cb', // backslash
        '/data/v1/objects/a%2F%2Fb',
        '/data/v1/objects/', // empty
        '/data/v1/objects/chunks/aa/x', // raw slashes: the key must be one encoded segment
        '/data/v1/objects/bad%E0%A4%A', // malformed percent-encoding
        `/data/v1/objects/${'a'.repeat(1025)}`,
      ];
      for (const path of paths) {
        const put = await raw(node.url, { method: 'PUT', path, token: NODE_TOKEN, body: new Uint8Array([1, 2, 3]) });
        assert.deepEqual([put.status, errorCode(put)], [400, 'USAGE'], `PUT ${path}`);
        const get = await raw(node.url, { method: 'GET', path, token: NODE_TOKEN });
        assert.deepEqual([get.status, errorCode(get)], [400, 'USAGE'], `GET ${path}`);
      }
      assert.deepEqual(await readdir(root), ['data']);
      assert.deepEqual(await filesUnder(root), []);
    } finally {
      await cleanup();
    }
  });

  it('stores a key sent as one percent-encoded segment under that key (seen over gRPC too)', async () => {
    const { node, cleanup } = await storageNode();
    const store = new RemoteBlobStore('node0', node.url, { token: NODE_TOKEN, bulk: 'grpc' });
    try {
      const key = 'chunks/ab/odd name+%?#';
      assert.equal((await raw(node.url, { method: 'PUT', path: objectPath(key), token: NODE_TOKEN, body: new Uint8Array([5, 6]) })).status, 204);
      assert.deepEqual(await store.get(key), new Uint8Array([5, 6]));
      assert.equal((await store.head(key))?.size, 2);
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it('answers other methods with 405 and an Allow header', async () => {
    const { node, cleanup } = await storageNode();
    try {
      const del = await raw(node.url, { method: 'DELETE', path: objectPath('k/x'), token: NODE_TOKEN });
      assert.deepEqual([del.status, del.headers.allow], [405, 'GET, PUT']);
    } finally {
      await cleanup();
    }
  });
});

describe('storage node data plane: bodies', () => {
  it('refuses a PUT without Content-Length (411), storing nothing', async () => {
    const { node, root, cleanup } = await storageNode();
    try {
      const { hostname, port } = new URL(node.url);
      const answer = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: hostname, port, method: 'PUT', path: objectPath('k/chunked'), agent: false, headers: { authorization: `Bearer ${NODE_TOKEN}` } });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        // Chunked transfer encoding: no Content-Length.
        req.write(new Uint8Array(100));
        req.end();
      });
      assert.equal(answer, 411);
      assert.deepEqual(await filesUnder(join(root, 'data')), []);
    } finally {
      await cleanup();
    }
  });

  it('refuses a body over the node limit (413) from its Content-Length alone, and closes the connection', async () => {
    const { node, root, cleanup } = await storageNode();
    try {
      const { port } = new URL(node.url);
      const socket = net.connect(Number(port), '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (d: Buffer) => received.push(d));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => {});
      socket.write(`PUT ${objectPath('chunks/aa/big')} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${NODE_TOKEN}\r\nContent-Length: ${STORAGE_OBJECT_MAX_BYTES + 1}\r\n\r\n`);
      socket.write(new Uint8Array(256 * 1024));
      // The node answers and hangs up without waiting for the other 80 MB.
      await Promise.race([closed, sleep(5000, undefined, { ref: false }).then(() => assert.fail('the node kept the connection open'))]);
      const text = Buffer.concat(received).toString('latin1');
      assert.match(text, /^HTTP\/1\.1 413 /);
      assert.match(text, /"code":"TOO_LARGE"/);
      assert.deepEqual(await filesUnder(join(root, 'data')), []);
    } finally {
      await cleanup();
    }
  });

  it('takes an object of exactly the limit and refuses one byte more, through RemoteBlobStore', async () => {
    // A node with a small limit (storageMount's option), served the way startNode serves it.
    const { dir, cleanup } = await tempDir('dcs-limit-');
    const mount = await storageMount({ dataDir: join(dir, 'data'), name: 'small', marker: 'repo', token: NODE_TOKEN, maxObjectBytes: 1000 });
    const listener = await listen({
      host: '127.0.0.1',
      port: 0,
      routes: mount.routes,
      fallback: (req, res) => {
        if (mount.handleHttp?.(req, res, (req.url ?? '/').split('?')[0]!)) return;
        res.statusCode = 404;
        res.end();
      },
    });
    const store = new RemoteBlobStore('small', listener.url, { token: NODE_TOKEN });
    try {
      await store.put('k/fits', randomBytes(1000, 2));
      assert.equal((await store.get('k/fits')).length, 1000);
      await assert.rejects(store.put('k/big', randomBytes(1001, 3)), (e: unknown) => e instanceof BackendError && !e.retryable && /larger than the limit/.test(e.message));
      assert.equal(await store.head('k/big'), undefined);
      assert.deepEqual((await filesUnder(join(dir, 'data'))).map((f) => f.slice(dir.length)), ['/data/k/fits']);
    } finally {
      await store.close();
      await listener.close(1000);
      await cleanup();
    }
  });

  it('stores nothing when the connection is cut mid-body', async () => {
    const { node, root, cleanup } = await storageNode();
    const store = new RemoteBlobStore('node0', node.url, { token: NODE_TOKEN });
    try {
      const size = 1024 * 1024;
      const { port } = new URL(node.url);
      for (const key of ['chunks/aa/cut', 'chunks/aa/cut-late']) {
        const sent = key.endsWith('late') ? size - 1 : size / 2;
        const socket = net.connect(Number(port), '127.0.0.1');
        socket.on('error', () => {});
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        socket.write(`PUT ${objectPath(key)} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${NODE_TOKEN}\r\nContent-Length: ${size}\r\n\r\n`);
        await new Promise<void>((resolve) => socket.write(randomBytes(sent, 4), () => resolve()));
        await sleep(50);
        socket.destroy();
      }
      await sleep(300);
      for (const key of ['chunks/aa/cut', 'chunks/aa/cut-late']) {
        assert.equal(await store.head(key), undefined, key);
        await assert.rejects(store.get(key), BlobNotFoundError);
      }
      // Not even a temp file: nothing reached the store.
      assert.deepEqual(await filesUnder(join(root, 'data')), []);
      // The node still works.
      await store.put('chunks/aa/after', randomBytes(size, 5));
      assert.deepEqual(await store.get('chunks/aa/after'), randomBytes(size, 5));
    } finally {
      await store.close();
      await cleanup();
    }
  });
});

describe('storage node data plane: reads', () => {
  it('answers Range with 206 and Content-Range, past the end with 416, other forms with 400', async () => {
    const { node, cleanup } = await storageNode();
    try {
      const data = randomBytes(1000, 6);
      const path = objectPath('r/x');
      assert.equal((await raw(node.url, { method: 'PUT', path, token: NODE_TOKEN, body: data })).status, 204);
      const get = (range: string): Promise<RawAnswer> => raw(node.url, { method: 'GET', path, token: NODE_TOKEN, headers: { range } });

      const mid = await get('bytes=10-19');
      assert.deepEqual([mid.status, mid.headers['content-range'], mid.headers['content-length']], [206, 'bytes 10-19/*', '10']);
      assert.deepEqual(new Uint8Array(mid.body), data.subarray(10, 20));
      const tail = await get('bytes=990-');
      assert.deepEqual([tail.status, tail.headers['content-range'], new Uint8Array(tail.body)], [206, 'bytes 990-999/*', data.subarray(990)]);
      const over = await get('bytes=995-5000');
      assert.deepEqual([over.status, new Uint8Array(over.body)], [206, data.subarray(995)]);
      const past = await get('bytes=1000-1010');
      assert.deepEqual([past.status, past.headers['content-range'], errorCode(past)], [416, 'bytes */1000', 'RANGE_NOT_SATISFIABLE']);
      for (const bad of ['bytes=-10', 'bytes=0-1,5-6', 'bytes=20-10', 'items=0-1', 'bytes=0x1-2']) {
        const r = await get(bad);
        assert.deepEqual([r.status, errorCode(r)], [400, 'USAGE'], bad);
      }
      // The same through RemoteBlobStore, with a length that means "to the end".
      const store = new RemoteBlobStore('node0', node.url, { token: NODE_TOKEN });
      assert.deepEqual(await store.get('r/x', { range: { offset: 900, length: Number.MAX_SAFE_INTEGER } }), data.subarray(900));
      assert.deepEqual(await store.get('r/x', { range: { offset: 1000, length: 5 } }), new Uint8Array(0));
      await store.close();
      const whole = await raw(node.url, { method: 'GET', path, token: NODE_TOKEN });
      assert.deepEqual([whole.status, whole.headers['content-range'], new Uint8Array(whole.body)], [200, undefined, data]);
    } finally {
      await cleanup();
    }
  });

  it('answers a missing key with 404 BLOB_NOT_FOUND, which RemoteBlobStore turns into BlobNotFoundError', async () => {
    const { node, cleanup } = await storageNode();
    const store = new RemoteBlobStore('backend-a', node.url, { token: NODE_TOKEN });
    try {
      const r = await raw(node.url, { method: 'GET', path: objectPath('chunks/00/missing'), token: NODE_TOKEN });
      assert.deepEqual([r.status, errorCode(r)], [404, 'BLOB_NOT_FOUND']);
      await assert.rejects(store.get('chunks/00/missing'), (e: unknown) => e instanceof BlobNotFoundError && e.key === 'chunks/00/missing' && e.backend === 'backend-a');
      await assert.rejects(store.get('chunks/00/missing', { range: { offset: 0, length: 0 } }), BlobNotFoundError);
    } finally {
      await store.close();
      await cleanup();
    }
  });
});

describe('RemoteBlobStore over the data plane: failures', () => {
  it('moves put and get bytes on the data plane, not PutObject/GetObject', async () => {
    // A node that serves StorageService only: the data plane is missing, gRPC works.
    const { dir, cleanup } = await tempDir('dcs-grpc-only-');
    const fs = new FsBlobStore({ name: 'grpc-only', root: dir });
    const listener = await listen({ host: '127.0.0.1', port: 0, routes: (r) => r.service(StorageService, storageServiceImpl(fs)) });
    const lean = new RemoteBlobStore('old', listener.url);
    const grpc = new RemoteBlobStore('old', listener.url, { bulk: 'grpc' });
    try {
      await assert.rejects(lean.put('k/x', new Uint8Array([1])), (e: unknown) => e instanceof BackendError && !e.retryable && /without the data plane/.test(e.message));
      await grpc.put('k/x', new Uint8Array([1]));
      await assert.rejects(lean.get('k/x'), (e: unknown) => e instanceof BackendError && !(e instanceof BlobNotFoundError));
      assert.deepEqual(await grpc.get('k/x'), new Uint8Array([1]));
    } finally {
      await lean.close();
      await grpc.close();
      await listener.close(1000);
      await cleanup();
    }
  });

  it('returns a plain Uint8Array of exactly the object', async () => {
    const { node, cleanup } = await storageNode();
    const store = new RemoteBlobStore('node0', node.url, { token: NODE_TOKEN });
    try {
      const data = randomBytes(3 * 1024 * 1024 + 7, 8);
      await store.put('k/big', data);
      const got = await store.get('k/big');
      assert.equal(Object.getPrototypeOf(got), Uint8Array.prototype);
      assert.equal(got.byteLength, data.length);
      assert.deepEqual(got, data);
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it('turns a refused connection, a silent peer and a node error into retryable BackendErrors; the caller\'s abort is not retried', async () => {
    // Connection refused: a port nobody listens on.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
    const freePort = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const refused = new RemoteBlobStore('gone', `http://127.0.0.1:${freePort}`, { timeoutMs: 2000 });
    await assert.rejects(refused.put('k/x', new Uint8Array([1])), (e: unknown) => e instanceof BackendError && e.retryable && e.backend === 'gone');
    await assert.rejects(refused.get('k/x'), (e: unknown) => e instanceof BackendError && e.retryable);
    await refused.close();

    // A peer that accepts and never answers: the store's timeout.
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const silentUrl = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const slow = new RemoteBlobStore('silent', silentUrl, { timeoutMs: 300 });
    const started = Date.now();
    await assert.rejects(slow.get('k/x'), (e: unknown) => e instanceof BackendError && e.retryable);
    assert.ok(Date.now() - started < 3000, 'gave up near the timeout');
    // The caller's abort: reported, not retryable.
    const patient = new RemoteBlobStore('silent', silentUrl, { timeoutMs: 60_000 });
    await assert.rejects(patient.put('k/x', new Uint8Array(10), { signal: AbortSignal.timeout(100) }), (e: unknown) => e instanceof BackendError && !e.retryable && /aborted/.test(e.message));
    await slow.close();
    await patient.close();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));

    // The node's disk is gone: 503 from the node, retryable here (as gRPC's UNAVAILABLE was).
    const { node, root, cleanup } = await storageNode();
    const store = new RemoteBlobStore('node0', node.url, { token: NODE_TOKEN });
    try {
      const { rm } = await import('node:fs/promises');
      await rm(join(root, 'data'), { recursive: true });
      await assert.rejects(store.put('chunks/aa/x', new Uint8Array([1])), (e: unknown) => e instanceof BackendError && e.retryable && /does not exist/.test(e.message));
    } finally {
      await store.close();
      await cleanup();
    }
  });

  it('refuses a hostile key before sending, with UsageError', async () => {
    const store = new RemoteBlobStore('nowhere', 'http://127.0.0.1:9');
    await assert.rejects(store.put('../x', new Uint8Array(1)), UsageError);
    await assert.rejects(store.get('/abs'), UsageError);
    await store.close();
  });
});

describe('storage node data plane: read tickets and batched reads', () => {
  const signer = new TicketSigner(NODE_TOKEN);
  const ticket = (key: string, ms = 60_000): string => signer.sign(key, Date.now() + ms);
  const reads = (url: string, body: unknown, token?: string): Promise<RawAnswer> =>
    raw(url, { method: 'POST', path: READS_PATH, ...(token ? { token } : {}), headers: { 'content-type': 'application/json' }, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) });
  const outcomes = (a: RawAnswer, n: number): Promise<ReadOutcome[]> => readOutcomes(pieces(new Uint8Array(a.body), [777]), n, 1 << 20);

  it('a GET with a ticket for its key reads it without the node token; any other use is 403 and changes nothing', async () => {
    const { node, cleanup } = await storageNode();
    try {
      const data = randomBytes(5000, 8);
      for (const key of ['chunks/aa/one', 'chunks/aa/two']) assert.equal((await raw(node.url, { method: 'PUT', path: objectPath(key), token: NODE_TOKEN, body: data })).status, 204);
      const t = ticket('chunks/aa/one');
      const ok = await raw(node.url, { method: 'GET', path: objectPath('chunks/aa/one'), headers: { [TICKET_HEADER]: t } });
      assert.deepEqual([ok.status, new Uint8Array(ok.body)], [200, data]);
      const part = await raw(node.url, { method: 'GET', path: objectPath('chunks/aa/one'), headers: { [TICKET_HEADER]: t, range: 'bytes=10-19' } });
      assert.deepEqual([part.status, new Uint8Array(part.body)], [206, data.subarray(10, 20)]);
      const refused = [
        ['another key', { method: 'GET', path: objectPath('chunks/aa/two'), headers: { [TICKET_HEADER]: t } }],
        ['expired', { method: 'GET', path: objectPath('chunks/aa/one'), headers: { [TICKET_HEADER]: ticket('chunks/aa/one', -1) } }],
        ['signed with another node token', { method: 'GET', path: objectPath('chunks/aa/one'), headers: { [TICKET_HEADER]: new TicketSigner('other').sign('chunks/aa/one', Date.now() + 60_000) } }],
        ['malformed', { method: 'GET', path: objectPath('chunks/aa/one'), headers: { [TICKET_HEADER]: 'x'.repeat(200) } }],
        ['a PUT', { method: 'PUT', path: objectPath('chunks/aa/one'), headers: { [TICKET_HEADER]: t }, body: randomBytes(10, 9) }],
      ] as const;
      for (const [what, r] of refused) {
        const a = await raw(node.url, r);
        assert.deepEqual([a.status, errorCode(a)], [403, 'PERMISSION_DENIED'], what);
        assert.ok(!a.body.includes(Buffer.from(data.subarray(0, 16))), `${what}: no object bytes in the refusal`);
      }
      // The PUT stored nothing: the object is as it was.
      const after = await raw(node.url, { method: 'GET', path: objectPath('chunks/aa/one'), token: NODE_TOKEN });
      assert.deepEqual(new Uint8Array(after.body), data);
    } finally {
      await cleanup();
    }
  });

  it('POST /data/v1/reads answers every object in order: with the token any object, without it only those with their ticket', async () => {
    const { node, cleanup } = await storageNode();
    try {
      const a = randomBytes(300_000, 10);
      const b = randomBytes(1, 11);
      for (const [key, data] of [['chunks/aa/a', a], ['chunks/bb/b', b]] as const) assert.equal((await raw(node.url, { method: 'PUT', path: objectPath(key), token: NODE_TOKEN, body: data })).status, 204);

      const withToken = await reads(node.url, { objects: [{ key: 'chunks/aa/a' }, { key: 'chunks/cc/missing' }, { key: '../escape' }, { key: 'chunks/bb/b' }] }, NODE_TOKEN);
      assert.deepEqual([withToken.status, withToken.headers['content-type']], [200, 'application/vnd.dcs.frames']);
      const got = await outcomes(withToken, 4);
      assert.deepEqual(got.map((o) => o.status), [READ_OK, READ_MISSING, READ_FAILED, READ_OK]);
      assert.deepEqual(got[0]!.status === READ_OK && new Uint8Array(got[0]!.data), a);
      assert.deepEqual(got[3]!.status === READ_OK && new Uint8Array(got[3]!.data), b);
      assert.match(got[2]!.status === READ_FAILED ? got[2]!.message : '', /key/);

      const withTickets = await reads(node.url, {
        objects: [{ key: 'chunks/aa/a', ticket: ticket('chunks/aa/a') }, { key: 'chunks/bb/b', ticket: ticket('chunks/aa/a') }, { key: 'chunks/bb/b' }, { key: 'chunks/bb/b', ticket: ticket('chunks/bb/b', -1) }, { key: 'chunks/bb/b', ticket: ticket('chunks/bb/b') }],
      });
      assert.equal(withTickets.status, 200);
      const byTicket = await outcomes(withTickets, 5);
      assert.deepEqual(byTicket.map((o) => o.status), [READ_OK, READ_REFUSED, READ_REFUSED, READ_REFUSED, READ_OK]);
      // A wrong bearer token is no token: tickets still count, nothing else does.
      const wrong = await outcomes(await reads(node.url, { objects: [{ key: 'chunks/aa/a' }, { key: 'chunks/bb/b', ticket: ticket('chunks/bb/b') }] }, 'wrong'), 2);
      assert.deepEqual(wrong.map((o) => o.status), [READ_REFUSED, READ_OK]);
      // Refused and missing objects carry no bytes.
      assert.ok(!withTickets.body.subarray(300_005).includes(Buffer.from(a.subarray(0, 16))));
    } finally {
      await cleanup();
    }
  });

  it('refuses a hostile reads request in one line: not JSON, too many objects, a body over the limit or cut off, another method', async () => {
    const { node, cleanup } = await storageNode();
    try {
      for (const body of ['not json', '{"objects":[]}', JSON.stringify({ objects: Array.from({ length: 65 }, () => ({ key: 'chunks/aa/a' })) }), '{"objects":[{"key":["x"]}]}']) {
        const r = await reads(node.url, body, NODE_TOKEN);
        assert.deepEqual([r.status, errorCode(r)], [400, 'USAGE'], body.slice(0, 40));
      }
      const big = await reads(node.url, { objects: [{ key: 'x'.repeat(70_000) }] }, NODE_TOKEN);
      assert.deepEqual([big.status, errorCode(big)], [413, 'TOO_LARGE']);
      const get = await raw(node.url, { method: 'GET', path: READS_PATH, token: NODE_TOKEN });
      assert.deepEqual([get.status, get.headers.allow], [405, 'POST']);
      // A body that stops short of its Content-Length: the node answers nothing and frees the connection.
      const { hostname, port } = new URL(node.url);
      const socket = net.connect(Number(port), hostname);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(`POST ${READS_PATH} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${NODE_TOKEN}\r\ncontent-length: 1000\r\n\r\n{"objects":`);
      await sleep(100);
      socket.destroy();
      // The node still serves.
      const after = await reads(node.url, { objects: [{ key: 'chunks/aa/none' }] }, NODE_TOKEN);
      assert.deepEqual((await outcomes(after, 1)).map((o) => o.status), [READ_MISSING]);
    } finally {
      await cleanup();
    }
  });
});
