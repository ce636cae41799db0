// One port for everything a dcs service speaks: gRPC (HTTP/2), gRPC-Web and Connect (HTTP/1.1 or
// HTTP/2), and plain HTTP/1.1 for /healthz, /readyz and /metrics. With TLS, ALPN picks the HTTP
// version; without TLS the first bytes of a connection do (HTTP/2 always opens with a fixed
// preface), so kubelet probes and curl reach the same port as gRPC clients.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type tls from 'node:tls';
import type { Interceptor } from '@connectrpc/connect';
import type { ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { ConfigError, errnoCode } from '../core/errors.ts';
import { RPC_READ_MAX_BYTES } from './limits.ts';

export interface TlsFiles {
  cert: string;
  key: string;
  /** CA that client certificates must chain to; turns on mutual TLS. */
  clientCa?: string;
}

export type HttpFallback = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

export interface ListenOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  tls?: TlsFiles;
  routes: (router: ConnectRouter) => void;
  interceptors?: Interceptor[];
  /** Requests that are not RPCs (health, metrics, the HTTP API and the web UI). */
  fallback?: HttpFallback;
  /** How long an HTTP/1.1 client may take to send a request's headers (default 60 s): slow-client protection. */
  headersTimeoutMs?: number;
}

export interface RunningListener {
  /** Base URL a client on this machine uses, e.g. http://127.0.0.1:7070 (also for 0.0.0.0). */
  url: string;
  /** The address as bound, e.g. 0.0.0.0:7070 (every interface) or [::1]:7070: what logs report. */
  listen: string;
  port: number;
  /** Stop accepting, let in-flight requests finish (up to graceMs), then close everything. */
  close(graceMs?: number): Promise<void>;
}

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

function readTls(tls: TlsFiles): { cert: Buffer; key: Buffer; ca?: Buffer } {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new ConfigError(`cannot read TLS ${what} ${path}: ${errnoCode(err) ?? String(err)}`);
    }
  };
  return { cert: read('certificate', tls.cert), key: read('key', tls.key), ...(tls.clientCa ? { ca: read('client CA', tls.clientCa) } : {}) };
}

function notFound(_req: unknown, res: http.ServerResponse | http2.Http2ServerResponse): void {
  res.statusCode = 404;
  res.setHeader('content-type', 'text/plain');
  res.end('not found\n');
}

export async function listen(options: ListenOptions): Promise<RunningListener> {
  const connectHandler = connectNodeAdapter({
    routes: options.routes,
    interceptors: options.interceptors ?? [],
    readMaxBytes: RPC_READ_MAX_BYTES,
    writeMaxBytes: RPC_READ_MAX_BYTES,
    // Payloads are chunk envelopes, already compressed: gzip on the wire would only burn CPU
    // (a 4 MiB random object read at 26 MiB/s with it, 149 MiB/s without).
    acceptCompression: [],
    fallback: (options.fallback ?? notFound) as Parameters<typeof connectNodeAdapter>[0]['fallback'],
  });
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  // HTTP/1.1 requests in flight per socket, so that close() can end idle keep-alive sockets at once
  // and the others as their last response ends. (http.Server's closeIdleConnections() only knows
  // sockets the server accepted itself; here they are handed over by the sniffer or by HTTP/2's
  // allowHTTP1, so it would do nothing and a client's idle connection would hold close() up.)
  const h1InFlight = new Map<net.Socket, number>();
  const h2Sockets = new WeakSet<net.Socket>();
  /** HTTP/1.1 over TLS: no http.Server of ours tracks these, so their header deadline is a socket timeout. */
  const tlsH1Sockets = new WeakSet<net.Socket>();
  const headersTimeout = options.headersTimeoutMs ?? 60_000;
  let stopping = false;
  const endSocket = (s: net.Socket): void => void s.end(() => s.destroy());
  const handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void => {
    if (req.httpVersionMajor === 1) {
      const socket = req.socket;
      h1InFlight.set(socket, (h1InFlight.get(socket) ?? 0) + 1);
      // Headers are in: the request (an upload may take hours) has no deadline of its own.
      if (tlsH1Sockets.has(socket)) socket.setTimeout(0);
      if (stopping) res.setHeader('connection', 'close');
      res.once('close', () => {
        const left = (h1InFlight.get(socket) ?? 1) - 1;
        h1InFlight.set(socket, left);
        if (stopping && left === 0) endSocket(socket);
        // The next request's headers (or the end of an idle keep-alive connection) have a deadline again.
        else if (left === 0 && tlsH1Sockets.has(socket) && !socket.destroyed) socket.setTimeout(headersTimeout);
      });
    }
    connectHandler(req, res);
  };
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.once('close', () => {
      sockets.delete(s);
      h1InFlight.delete(s);
    });
  };
  let outer: net.Server;
  let h1: http.Server | undefined;
  let h2: http2.Http2Server | http2.Http2SecureServer;

  if (options.tls) {
    const { cert, key, ca } = readTls(options.tls);
    h2 = http2.createSecureServer({ cert, key, allowHTTP1: true, ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}) }, handler);
    outer = h2 as unknown as net.Server;
    h2.on('secureConnection', (s: tls.TLSSocket) => {
      track(s);
      if (s.alpnProtocol === 'h2') {
        h2Sockets.add(s);
      } else {
        // HTTP/1.1: Node's parser (allowHTTP1) destroys a socket whose timeout fires, so a client
        // that never finishes its headers is cut off after headersTimeout.
        tlsH1Sockets.add(s);
        s.setTimeout(headersTimeout);
      }
    });
  } else {
    h2 = http2.createServer({}, handler);
    h1 = http.createServer(
      {
        keepAliveTimeout: 5000,
        // Uploads of large files take as long as they take (Node's default cuts requests at 5 minutes).
        requestTimeout: 0,
        headersTimeout,
        connectionsCheckingInterval: Math.min(30_000, Math.max(100, headersTimeout / 4)),
      },
      handler,
    );
    // http.Server starts the connection tracking that enforces headersTimeout when it starts
    // listening. h1 never listens (the sniffer hands it sockets), so without this a client could
    // hold a connection open forever by never finishing its headers.
    h1.emit('listening');
    const plainH2 = h2;
    const plainH1 = h1;
    outer = net.createServer((socket) => {
      track(socket);
      // Sniff the first bytes: the HTTP/2 preface, or anything else (HTTP/1.1).
      let seen = Buffer.alloc(0);
      const onData = (d: Buffer): void => {
        seen = Buffer.concat([seen, d]);
        const n = Math.min(seen.length, H2_PREFACE.length);
        const isH2 = seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
        if (isH2 && seen.length < H2_PREFACE.length) return;
        socket.off('data', onData);
        socket.pause();
        // Put the sniffed bytes back; both servers read what is buffered before the socket's handle.
        socket.unshift(seen);
        if (isH2) h2Sockets.add(socket);
        (isH2 ? plainH2 : plainH1).emit('connection', socket);
        // The HTTP/1.1 parser reads through stream events (resume it); HTTP/2 takes the handle itself.
        if (!isH2) socket.resume();
      };
      socket.on('data', onData);
      socket.on('error', () => socket.destroy());
    });
  }
  h2.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    outer.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new ConfigError(`cannot listen on ${options.host}:${options.port}: address in use`) : err),
    );
    outer.listen(options.port, options.host, () => resolve());
  });
  const port = (outer.address() as net.AddressInfo).port;
  const bracket = (host: string): string => (host.includes(':') ? `[${host}]` : host);
  // A wildcard address is not one to connect to: a local client uses the loopback address.
  const hostForUrl = bracket(options.host === '0.0.0.0' ? '127.0.0.1' : options.host === '::' ? '::1' : options.host);
  let closing: Promise<void> | undefined;

  return {
    url: `${options.tls ? 'https' : 'http'}://${hostForUrl}:${port}`,
    listen: `${bracket(options.host)}:${port}`,
    port,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        stopping = true;
        const closed = new Promise<void>((resolve) => outer.close(() => resolve()));
        // HTTP/2: GOAWAY lets streams in flight finish. HTTP/1.1: idle sockets (keep-alive, or not
        // sent a request yet) end now, busy ones after their response (see the handler).
        for (const s of sessions) s.close();
        for (const s of sockets) if (!h2Sockets.has(s) && (h1InFlight.get(s) ?? 0) === 0) endSocket(s);
        const timer = setTimeout(() => {
          for (const s of sessions) s.destroy();
          for (const s of sockets) s.destroy();
        }, graceMs);
        const drained = (async () => {
          while (sockets.size > 0) await new Promise((r) => setTimeout(r, 25));
        })();
        await Promise.all([closed, drained]);
        clearTimeout(timer);
        // Stops h1's connection-checking timer (it has no listening socket of its own to close).
        h1?.close();
      })();
      return closing;
    },
  };
}
