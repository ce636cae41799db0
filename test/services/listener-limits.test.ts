// Connections that send nothing cannot take the service port down (issue 14): the listener closes a
// connection that has not finished its TLS handshake or chosen HTTP/1.1 or HTTP/2 by the deadline,
// and at its total or per-address cap closes the connection idle longest for a new one, never one
// with a request in flight. Floods here are a few hundred loopback sockets against small caps.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import tls from 'node:tls';
import { createClient } from '@connectrpc/connect';
import { pino } from 'pino';
import { ConfigError } from '../../src/core/errors.ts';
import { startNode } from '../../src/server/node.ts';
import { addressGroup, resolveConnectionLimits } from '../../src/services/connection-limits.ts';
import { StorageService } from '../../src/services/gen/dcs/v1/storage_pb.js';
import { listen, type ConnectionLimits, type DropReason, type HttpFallback, type ListenerLog, type RunningListener } from '../../src/services/listener.ts';
import { createTransport } from '../../src/services/transport.ts';
import { tempDir } from '../helpers/cli.ts';
import { makeTestPki } from '../helpers/tls.ts';

const pkiDir = await tempDir('dcs-pki-');
const pki = makeTestPki(pkiDir.dir);
const ca = readFileSync(pki.ca);
process.on('exit', () => void pkiDir.cleanup());

const H2_PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

/** Uploads whose request reached the server and whose body has not ended. */
let uploadsInFlight = 0;

/** /upload answers with the number of body bytes once the body ends; anything else at once. */
const fallback: HttpFallback = (req, res) => {
  res.setHeader('content-type', 'text/plain');
  if (req.url === '/upload') {
    uploadsInFlight++;
    req.once('close', () => uploadsInFlight--);
    let n = 0;
    req.on('data', (d: Buffer) => (n += d.length));
    req.on('end', () => res.end(`got ${n}`));
    return;
  }
  res.end(req.url === '/healthz' ? 'ok\n' : `answer to ${req.url}`);
};

interface Started {
  listener: RunningListener;
  drops: DropReason[];
}

async function start(connections: Partial<ConnectionLimits>, useTls = false, log?: ListenerLog): Promise<Started> {
  const drops: DropReason[] = [];
  const listener = await listen({
    ...(log ? { log } : {}),
    host: '127.0.0.1',
    port: 0,
    routes: () => {},
    fallback,
    connections,
    onDrop: (r) => drops.push(r),
    ...(useTls ? { tls: { cert: pki.serverCert, key: pki.serverKey } } : {}),
  });
  return { listener, drops };
}

/** A client socket and when (ms after `since`) the server closed it. */
interface Watched {
  socket: net.Socket;
  closedAfter?: number;
}

function watch(socket: net.Socket, since = performance.now()): Watched {
  const w: Watched = { socket };
  socket.on('error', () => {});
  // Read what the server sends (HTTP/2 SETTINGS, a GOAWAY): a socket left paused never sees the FIN.
  socket.resume();
  socket.once('close', () => (w.closedAfter = performance.now() - since));
  return w;
}

const isOpen = (w: Watched): boolean => w.closedAfter === undefined;

/** `n` sockets that send nothing, opened one after the other (so the server accepts them in this order). */
async function openSilent(port: number, n: number, localAddress?: string, pauseEvery = 0): Promise<Watched[]> {
  const out: Watched[] = [];
  for (let i = 0; i < n; i++) {
    const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
    const w = watch(socket);
    await Promise.race([once(socket, 'connect'), once(socket, 'close')]);
    out.push(w);
    if (pauseEvery > 0 && i % pauseEvery === pauseEvery - 1) await sleep(2);
  }
  return out;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(10);
  }
}

/** The flood sockets the server closed came first: every closed one is older than every open one. */
function assertOldestClosed(flood: Watched[]): void {
  const firstOpen = flood.findIndex(isOpen);
  assert.ok(firstOpen >= 0, 'some flood sockets are still open');
  const closedLater = flood.slice(firstOpen).filter((w) => !isOpen(w)).length;
  assert.equal(closedLater, 0, `${closedLater} sockets newer than the oldest open one were closed`);
}

/** One request on a connection of its own (no keep-alive pool to hide a refused connection). */
async function get(url: string, localAddress?: string): Promise<{ status: number; body: string }> {
  const client = url.startsWith('https:') ? https : http;
  const req = client.get(url, { agent: false, ...(localAddress ? { localAddress } : {}), ...(url.startsWith('https:') ? { ca } : {}) });
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  let body = '';
  res.setEncoding('utf8');
  for await (const piece of res) body += piece as string;
  return { status: res.statusCode!, body };
}

/** A POST /upload whose body is still streaming: the connection is busy until end(). */
function slowUpload(url: string): { socketClosed: () => boolean; write: (n: number) => void; end: () => Promise<string> } {
  const client = url.startsWith('https:') ? https : http;
  const req = client.request(`${url}/upload`, { method: 'POST', agent: false, ...(url.startsWith('https:') ? { ca } : {}) });
  let closed = false;
  req.on('socket', (s) => s.once('close', () => (closed = true)));
  const response = once(req, 'response').then(async ([res]) => {
    let body = '';
    for await (const piece of res as http.IncomingMessage) body += String(piece);
    return body;
  });
  // A failed test closes the listener under it: that must not surface as an unhandled rejection.
  response.catch(() => {});
  const write = (n: number): void => void req.write(Buffer.alloc(n, 1));
  write(1000);
  return { socketClosed: () => closed, write, end: () => (req.end(), response) };
}

describe('connection limits: defaults and address groups', () => {
  it('sizes the caps from the open-file limit, with documented fallbacks', () => {
    assert.deepEqual(resolveConnectionLimits({}, 20_000), { handshakeTimeoutMs: 10_000, maxConnections: 10_000, maxConnectionsPerAddress: 2500 });
    assert.deepEqual(resolveConnectionLimits({}, 1024), { handshakeTimeoutMs: 10_000, maxConnections: 512, maxConnectionsPerAddress: 128 });
    assert.equal(resolveConnectionLimits({}, Infinity).maxConnections, 10_000);
    assert.equal(resolveConnectionLimits({}, undefined).maxConnections, 4096);
    // A per-address cap follows the total given, and never exceeds it.
    assert.equal(resolveConnectionLimits({ maxConnections: 100 }, 20_000).maxConnectionsPerAddress, 25);
    assert.equal(resolveConnectionLimits({ maxConnections: 100, maxConnectionsPerAddress: 500 }, 20_000).maxConnectionsPerAddress, 100);
    assert.throws(() => resolveConnectionLimits({ maxConnections: 0 }, 20_000), ConfigError);
    assert.throws(() => resolveConnectionLimits({ handshakeTimeoutMs: 1.5 }, 20_000), ConfigError);
  });

  it('counts IPv4-mapped addresses as IPv4 and IPv6 by /64', () => {
    assert.equal(addressGroup('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(addressGroup('10.1.2.3'), '10.1.2.3');
    assert.equal(addressGroup('2001:db8:1:2:aaaa::1'), addressGroup('2001:0db8:0001:0002:bbbb:cccc:dddd:eeee'));
    assert.equal(addressGroup('2001:db8:1:2::1'), '2001:db8:1:2::/64');
    assert.notEqual(addressGroup('2001:db8:1:2::1'), addressGroup('2001:db8:1:3::1'));
    assert.equal(addressGroup('fe80::1%eth0'), 'fe80:0:0:0::/64');
    assert.equal(addressGroup(undefined), '?');
  });
});

describe('handshake deadline', () => {
  it('closes a silent socket, one with part of the HTTP/2 preface and one with the preface but no SETTINGS; chosen protocols stay', async () => {
    const { listener, drops } = await start({ handshakeTimeoutMs: 300 });
    const h2session = http2.connect(listener.url);
    try {
      const [silent, partial, noSettings, h1Started] = await openSilent(listener.port, 4);
      partial!.socket.write(H2_PREFACE.slice(0, 16));
      noSettings!.socket.write(H2_PREFACE);
      // Chose HTTP/1.1: from here its headers have headersTimeout (60 s), not the handshake deadline.
      h1Started!.socket.write('GET /hello HTTP/1.1\r\n');
      await waitFor('the three silent sockets are closed', () => [silent, partial, noSettings].every((w) => !isOpen(w!)));
      for (const w of [silent, partial, noSettings]) assert.ok(w!.closedAfter! >= 250 && w!.closedAfter! < 3000, `closed after ${Math.round(w!.closedAfter!)} ms`);
      await sleep(400);
      assert.ok(isOpen(h1Started!), 'a connection that chose HTTP/1.1 is not cut by the handshake deadline');
      assert.ok(!h2session.closed && !h2session.destroyed, 'an HTTP/2 session that sent its SETTINGS stays');
      const stream = h2session.request({ ':path': '/after' });
      let body = '';
      for await (const piece of stream) body += String(piece);
      assert.equal(body, 'answer to /after');
      assert.deepEqual(drops, ['deadline', 'deadline', 'deadline']);
      h1Started!.socket.destroy();
    } finally {
      h2session.destroy();
      await listener.close(100);
    }
  });
});

describe('a flood of idle sockets against the total cap', () => {
  it('keeps /healthz and an authenticated RPC answering while the oldest idle sockets are closed', async () => {
    const { dir, cleanup } = await tempDir('dcs-flood-');
    const token = 'flood-token';
    const node = await startNode({
      role: 'storage',
      host: '127.0.0.1',
      port: 0,
      token,
      name: 'flooded',
      dataDir: join(dir, 'data'),
      connections: { maxConnections: 50, maxConnectionsPerAddress: 50, handshakeTimeoutMs: 60_000 },
      log: pino({ level: 'silent' }),
    });
    const flood: Watched[] = [];
    try {
      const progress = { flooding: true };
      const flooder = (async () => {
        for (let wave = 0; wave < 20; wave++) flood.push(...(await openSilent(node.port, 25, undefined, 5)));
        progress.flooding = false;
      })();
      let healthy = 0;
      let rpcs = 0;
      // Requests during the flood, and three once it is over (the table is full of idle sockets then).
      for (let after = 0; after < 3; after += progress.flooding ? 0 : 1) {
        const reply = await get(`${node.url}/healthz`);
        assert.deepEqual(reply, { status: 200, body: 'ok\n' });
        healthy++;
        const conn = createTransport(node.url, { token });
        try {
          assert.equal((await createClient(StorageService, conn.transport).storageInfo({})).name, 'flooded');
          rpcs++;
        } finally {
          conn.close();
        }
      }
      await flooder;
      assert.ok(healthy >= 5 && rpcs >= 5, `${healthy} health checks and ${rpcs} RPCs during the flood`);
      await waitFor('the server holds at most 50 of the 500 flood sockets', () => flood.filter(isOpen).length <= 50);
      await sleep(100);
      assertOldestClosed(flood);
      const metrics = (await get(`${node.url}/metrics`)).body;
      const shed = Number(/^dcs_connections_dropped_total\{reason="shed"[^}]*\} (\d+)$/m.exec(metrics)?.[1]);
      assert.ok(shed >= 450, `dcs_connections_dropped_total{reason="shed"} is ${shed}`);
      assert.match(metrics, /^dcs_connections_open(\{[^}]*\})? \d+$/m);
    } finally {
      for (const w of flood) w.socket.destroy();
      await node.close(1000);
      await cleanup();
    }
  });
});

describe('the per-address cap', () => {
  it('sheds the oldest idle connections of the flooding address only, and logs counts rather than a line per socket', async () => {
    const lines: { level: string; fields: Record<string, number> }[] = [];
    const log: ListenerLog = {
      info: (fields) => void lines.push({ level: 'info', fields: fields as Record<string, number> }),
      warn: (fields) => void lines.push({ level: 'warn', fields: fields as Record<string, number> }),
    };
    const { listener, drops } = await start({ maxConnections: 1000, maxConnectionsPerAddress: 40, handshakeTimeoutMs: 60_000 }, false, log);
    const others = await openSilent(listener.port, 20, '127.0.0.1');
    const flood = await openSilent(listener.port, 300, '127.0.0.2');
    try {
      await waitFor('127.0.0.2 holds at most 40 connections', () => flood.filter(isOpen).length <= 40);
      // The flooding address still gets a request through, at the expense of its own idle sockets.
      assert.deepEqual(await get(`${listener.url}/healthz`, '127.0.0.2'), { status: 200, body: 'ok\n' });
      await sleep(100);
      assert.equal(flood.filter(isOpen).length, 39);
      assertOldestClosed(flood);
      assert.equal(others.filter(isOpen).length, 20, 'no connection of another address was shed');
      assert.equal(drops.filter((r) => r === 'shed').length, 300 - 40 + 1);
    } finally {
      for (const w of [...others, ...flood]) w.socket.destroy();
      await listener.close(100);
    }
    // The first shed at once, the rest when the listener closes (else once per 10 s).
    assert.deepEqual(lines.map((l) => [l.level, l.fields.shed, l.fields.maxConnectionsPerAddress]), [['warn', 1, 40], ['warn', 260, 40]]);
  });
});

describe('busy connections are not shed', () => {
  it('closes idle sockets and an idle HTTP/2 session, but not an upload in flight or an HTTP/2 session with an open stream', async () => {
    const { listener } = await start({ maxConnections: 10, maxConnectionsPerAddress: 10, handshakeTimeoutMs: 60_000 });
    // The oldest connection of all: an HTTP/2 session whose one request is done (idle).
    const idleSession = http2.connect(listener.url);
    const first = idleSession.request({ ':path': '/first' });
    for await (const _ of first) void _;
    const idleSessionClosed = once(idleSession, 'close');
    const upload = slowUpload(listener.url);
    const busySession = http2.connect(listener.url);
    const h2Upload = busySession.request({ ':method': 'POST', ':path': '/upload' });
    h2Upload.write(Buffer.alloc(1000, 1));
    let h2Body = '';
    h2Upload.setEncoding('utf8');
    h2Upload.on('data', (d: string) => (h2Body += d));
    const flood: Watched[] = [];
    try {
      await sleep(100);
      for (let wave = 0; wave < 4; wave++) {
        flood.push(...(await openSilent(listener.port, 25)));
        upload.write(1000);
        h2Upload.write(Buffer.alloc(1000, 1));
      }
      await Promise.race([idleSessionClosed, sleep(3000).then(() => assert.fail('the idle HTTP/2 session was not shed'))]);
      await waitFor('the flood is down to the free slots', () => flood.filter(isOpen).length <= 8);
      assert.ok(!upload.socketClosed(), 'the upload in flight kept its connection');
      assert.ok(!busySession.closed && !busySession.destroyed, 'the HTTP/2 session with an open stream stayed');
      assert.equal(await upload.end(), 'got 5000');
      h2Upload.end();
      await once(h2Upload, 'close');
      assert.equal(h2Body, 'got 5000');
      assertOldestClosed(flood);
    } finally {
      for (const w of flood) w.socket.destroy();
      idleSession.destroy();
      busySession.destroy();
      await listener.close(100);
    }
  });

  it('refuses a new connection only when every connection has a request in flight', async () => {
    const { listener, drops } = await start({ maxConnections: 3, maxConnectionsPerAddress: 3, handshakeTimeoutMs: 60_000 });
    const uploads = [slowUpload(listener.url), slowUpload(listener.url), slowUpload(listener.url)];
    try {
      await waitFor('three uploads are in flight', () => uploadsInFlight === 3);
      await sleep(100);
      const [refused] = await openSilent(listener.port, 1);
      await waitFor('the fourth connection is closed', () => !isOpen(refused!), 2000);
      assert.deepEqual(drops, ['refused']);
      assert.deepEqual(await Promise.all(uploads.map((u) => u.end())), ['got 1000', 'got 1000', 'got 1000']);
      assert.equal((await get(`${listener.url}/after`)).body, 'answer to /after');
    } finally {
      await listener.close(100);
    }
  });
});

describe('the TLS listener', () => {
  it('closes a silent socket, a stalled handshake and an HTTP/2 session that never sends its preface, after the deadline', async () => {
    const { listener, drops } = await start({ handshakeTimeoutMs: 300 }, true);
    const h2session = http2.connect(listener.url, { ca });
    const since = performance.now();
    const [silent, stalled] = await openSilent(listener.port, 2);
    // A TLS record header announcing a ClientHello that never comes.
    stalled!.socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    const noPreface = watch(tls.connect({ host: '127.0.0.1', port: listener.port, ca, servername: 'localhost', ALPNProtocols: ['h2'] }), since);
    const h1 = watch(tls.connect({ host: '127.0.0.1', port: listener.port, ca, servername: 'localhost', ALPNProtocols: ['http/1.1'] }), since);
    try {
      await once(noPreface.socket, 'secureConnect');
      await once(h1.socket, 'secureConnect');
      await waitFor('the silent, stalled and preface-less connections are closed', () => [silent!, stalled!, noPreface].every((w) => !isOpen(w)));
      for (const w of [silent!, stalled!, noPreface]) assert.ok(w.closedAfter! >= 250 && w.closedAfter! < 3000, `closed after ${Math.round(w.closedAfter!)} ms`);
      await sleep(300);
      assert.ok(isOpen(h1), 'HTTP/1.1 over TLS has chosen: headersTimeout applies, not the handshake deadline');
      assert.ok(!h2session.closed && !h2session.destroyed);
      assert.deepEqual(drops, ['deadline', 'deadline', 'deadline']);
    } finally {
      h1.socket.destroy();
      h2session.destroy();
      await listener.close(100);
    }
  });

  it('keeps /healthz answering during a flood, closing the oldest idle sockets and not the upload in flight', async () => {
    const { listener } = await start({ maxConnections: 30, maxConnectionsPerAddress: 30, handshakeTimeoutMs: 60_000 }, true);
    const upload = slowUpload(listener.url);
    const flood: Watched[] = [];
    try {
      await waitFor('the upload is in flight', () => uploadsInFlight === 1);
      await sleep(100);
      for (let wave = 0; wave < 10; wave++) {
        flood.push(...(await openSilent(listener.port, 30)));
        upload.write(1000);
        assert.deepEqual(await get(`${listener.url}/healthz`), { status: 200, body: 'ok\n' });
      }
      await waitFor('the server holds at most 29 flood sockets', () => flood.filter(isOpen).length <= 29);
      await sleep(100);
      assertOldestClosed(flood);
      assert.ok(!upload.socketClosed(), 'the upload in flight kept its connection');
      assert.equal(await upload.end(), 'got 11000');
      assert.ok(listener.openConnections() <= 30);
    } finally {
      for (const w of flood) w.socket.destroy();
      await listener.close(100);
    }
  });
});
