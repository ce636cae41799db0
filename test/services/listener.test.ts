// Graceful close of the shared gRPC/HTTP listener: requests in flight finish, and a client's idle
// keep-alive connection does not hold the close up (`dcs serve` and `dcs start` stop in well under
// a second on SIGTERM, not after the client's own idle timeout).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { listen, type HttpFallback, type RunningListener } from '../../src/services/listener.ts';
import { tempDir } from '../helpers/cli.ts';
import { makeTestPki } from '../helpers/tls.ts';

const pkiDir = await tempDir('dcs-pki-');
const pki = makeTestPki(pkiDir.dir);
process.on('exit', () => void pkiDir.cleanup());

/** Answers /slow after 400 ms, anything else at once. */
const fallback: HttpFallback = (req, res) => {
  const answer = (): void => {
    res.setHeader('content-type', 'text/plain');
    res.end(`answer to ${req.url}`);
  };
  if (req.url === '/slow') setTimeout(answer, 400);
  else answer();
};

async function start(useTls: boolean): Promise<RunningListener> {
  return listen({ host: '127.0.0.1', port: 0, routes: () => {}, fallback, ...(useTls ? { tls: { cert: pki.serverCert, key: pki.serverKey } } : {}) });
}

interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  socket: import('node:net').Socket;
}

/** One HTTP/1.1 request on a keep-alive agent that would keep its idle socket for a minute. */
async function get(url: string, agent: http.Agent): Promise<Reply> {
  const client = url.startsWith('https:') ? https : http;
  const req = client.get(url, { agent, ...(url.startsWith('https:') ? { ca: readFileSync(pki.ca) } : {}) });
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  const socket = res.socket;
  let body = '';
  res.setEncoding('utf8');
  for await (const piece of res) body += piece as string;
  return { status: res.statusCode!, body, headers: res.headers, socket };
}

for (const useTls of [false, true]) {
  const scheme = useTls ? 'https (ALPN http/1.1)' : 'http (sniffed HTTP/1.1)';
  const agentFor = (): http.Agent => (useTls ? new https.Agent({ keepAlive: true, timeout: 60_000 }) : new http.Agent({ keepAlive: true, timeout: 60_000 }));

  describe(`listener close over ${scheme}`, () => {
    it('ends an idle keep-alive connection at once instead of waiting for the client', async () => {
      const listener = await start(useTls);
      const agent = agentFor();
      try {
        const reply = await get(`${listener.url}/hello`, agent);
        assert.equal(reply.body, 'answer to /hello');
        const socketClosed = once(reply.socket, 'close');
        const began = performance.now();
        await listener.close(60_000);
        await socketClosed;
        // The server's own keep-alive timeout is 5 s and the agent's a minute: only an active close
        // of the idle socket finishes this fast.
        const took = performance.now() - began;
        assert.ok(took < 2000, `close took ${Math.round(took)} ms`);
      } finally {
        agent.destroy();
        await listener.close(100);
      }
    });

    it('lets a request in flight finish, then closes its connection', async () => {
      const listener = await start(useTls);
      const agent = agentFor();
      try {
        const slow = get(`${listener.url}/slow`, agent);
        await new Promise((r) => setTimeout(r, 100));
        let closeDone = false;
        const closing = listener.close(60_000).then(() => (closeDone = true));
        const reply = await slow;
        assert.equal(reply.status, 200);
        assert.equal(reply.body, 'answer to /slow');
        const took = performance.now();
        await closing;
        assert.ok(closeDone);
        assert.ok(performance.now() - took < 2000, 'close finished soon after the last response');
      } finally {
        agent.destroy();
        await listener.close(100);
      }
    });
  });
}

describe('slow clients', () => {
  for (const useTls of [false, true]) {
    it(`a client that never finishes its headers is cut off after headersTimeout (${useTls ? 'HTTP/1.1 over TLS' : 'plain HTTP/1.1'})`, async () => {
      const listener = await listen({
        host: '127.0.0.1',
        port: 0,
        routes: () => {},
        fallback,
        headersTimeoutMs: 400,
        ...(useTls ? { tls: { cert: pki.serverCert, key: pki.serverKey } } : {}),
      });
      const { connect } = await import('node:net');
      const tls = await import('node:tls');
      const socket = useTls ? tls.connect({ host: '127.0.0.1', port: listener.port, ca: readFileSync(pki.ca), ALPNProtocols: ['http/1.1'], servername: 'localhost' }) : connect(listener.port, '127.0.0.1');
      try {
        await once(socket, useTls ? 'secureConnect' : 'connect');
        const began = performance.now();
        socket.write('GET /hello HTTP/1.1\r\nHost: x\r\n'); // and never the blank line
        let answer = '';
        socket.on('data', (d: Buffer) => (answer += d.toString()));
        socket.on('error', () => {});
        const closed = await Promise.race([once(socket, 'close').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
        const took = performance.now() - began;
        assert.ok(closed, 'the server still holds the connection after 5 s');
        assert.ok(took >= 350 && took < 3000, `cut off after ${Math.round(took)} ms`);
        if (!useTls) assert.match(answer, /^HTTP\/1\.1 408 /);
        // A client that finishes its headers in time is served as usual, and a response slower
        // than headersTimeout (/slow takes 400 ms) is not cut off.
        const agent = useTls ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
        assert.equal((await get(`${listener.url}/hello`, agent)).body, 'answer to /hello');
        assert.equal((await get(`${listener.url}/slow`, agent)).body, 'answer to /slow');
        agent.destroy();
      } finally {
        socket.destroy();
        await listener.close(100);
      }
    });
  }
});

describe('listener close over HTTP/2', () => {
  it('ends an idle HTTP/2 session at once', async () => {
    const listener = await start(false);
    const { connect } = await import('node:http2');
    const session = connect(listener.url);
    try {
      const stream = session.request({ ':path': '/hello' });
      let body = '';
      stream.setEncoding('utf8');
      for await (const piece of stream) body += piece as string;
      assert.equal(body, 'answer to /hello');
      const sessionClosed = once(session, 'close');
      const began = performance.now();
      await listener.close(60_000);
      await sessionClosed;
      assert.ok(performance.now() - began < 2000);
    } finally {
      session.destroy();
      await listener.close(100);
    }
  });
});
