// One port for everything a dcs service speaks: gRPC (HTTP/2), gRPC-Web and Connect (HTTP/1.1 or
// HTTP/2), and plain HTTP/1.1 for /healthz, /readyz and /metrics. With TLS, ALPN picks the HTTP
// version; without TLS the first bytes of a connection do (HTTP/2 always opens with a fixed
// preface), so kubelet probes and curl reach the same port as gRPC clients. Every connection is
// accepted here first and held to connection-limits.ts: a deadline to choose its protocol, and
// caps that close idle connections for new ones.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type tls from 'node:tls';
import type { Interceptor } from '@connectrpc/connect';
import type { ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { ConfigError, errnoCode } from '../core/errors.ts';
import { ConnectionTable, DropLog, openFileLimit, resolveConnectionLimits, type ConnectionLimits, type DropReason, type ListenerLog } from './connection-limits.ts';
import { RPC_READ_MAX_BYTES } from './limits.ts';
import { jsonTextOptions } from './wire-text.ts';

export type { ConnectionLimits, DropReason, ListenerLog } from './connection-limits.ts';

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
  /** Handshake deadline and connection caps (defaults: resolveConnectionLimits). */
  connections?: Partial<ConnectionLimits>;
  /** Told of every connection the listener closes or refuses to protect itself (metrics). */
  onDrop?: (reason: DropReason) => void;
  /** Where dropped connections are reported, as rate-limited counts. */
  log?: ListenerLog;
}

export interface RunningListener {
  /** Base URL a client on this machine uses, e.g. http://127.0.0.1:7070 (also for 0.0.0.0). */
  url: string;
  /** The address as bound, e.g. 0.0.0.0:7070 (every interface) or [::1]:7070: what logs report. */
  listen: string;
  port: number;
  /** The connection limits in force (defaults filled in). */
  limits: ConnectionLimits;
  /** Connections held now (every state: handshaking, idle, busy). */
  openConnections(): number;
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

/** One accepted TCP connection and what runs over it. */
interface Conn {
  socket: net.Socket;
  /** Set once the TLS handshake is done. */
  tlsSocket?: tls.TLSSocket;
  session?: http2.ServerHttp2Session;
  h2: boolean;
  /** HTTP/1.1 requests or HTTP/2 streams in flight: a busy connection is never shed. */
  busy: number;
  /** Runs until the protocol is chosen: TLS handshake done, HTTP/1.1 bytes or HTTP/2's preface and SETTINGS in. */
  deadline: NodeJS.Timeout | undefined;
  /** Remote and local address and port: names the connection to the TLS socket and HTTP/2 session built on it. */
  tuple: string;
}

const tupleOf = (s: { remoteAddress?: string | undefined; remotePort?: number | undefined; localAddress?: string | undefined; localPort?: number | undefined }): string =>
  `${s.remoteAddress}|${s.remotePort}|${s.localAddress}|${s.localPort}`;

export async function listen(options: ListenOptions): Promise<RunningListener> {
  const limits = resolveConnectionLimits(options.connections ?? {}, openFileLimit());
  const connectHandler = connectNodeAdapter({
    routes: options.routes,
    interceptors: options.interceptors ?? [],
    readMaxBytes: RPC_READ_MAX_BYTES,
    writeMaxBytes: RPC_READ_MAX_BYTES,
    // Payloads are chunk envelopes, already compressed: gzip on the wire would only burn CPU
    // (a 4 MiB random object read at 26 MiB/s with it, 149 MiB/s without).
    acceptCompression: [],
    // Invalid UTF-8 in a JSON message reaches the field's own check (wire-text.ts).
    jsonOptions: jsonTextOptions,
    fallback: (options.fallback ?? notFound) as Parameters<typeof connectNodeAdapter>[0]['fallback'],
  });
  /** Every connection until its socket closes (close() waits for these). */
  const conns = new Set<Conn>();
  const table = new ConnectionTable<Conn>(limits);
  const byTuple = new Map<string, Conn>();
  // The TCP socket, and the TLS socket over it once there is one. HTTP/1.1 requests are counted
  // here so that close() can end idle keep-alive sockets at once and the others as their last
  // response ends. (http.Server's closeIdleConnections() only knows sockets the server accepted
  // itself; here they are handed over by the sniffer or by HTTP/2's allowHTTP1.)
  const bySocket = new WeakMap<net.Socket, Conn>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const headersTimeout = options.headersTimeoutMs ?? 60_000;
  const dropLog = new DropLog(options.log, () => ({ open: table.size, ...limits }));
  let stopping = false;
  const dropped = (reason: DropReason): void => {
    options.onDrop?.(reason);
    dropLog.count(reason);
  };
  const endSocket = (s: net.Socket): void => void s.end(() => s.destroy());
  const setBusy = (conn: Conn, delta: number): void => {
    conn.busy += delta;
    table.setBusy(conn, conn.busy > 0);
  };
  const chosen = (conn: Conn): void => {
    clearTimeout(conn.deadline);
    conn.deadline = undefined;
  };
  /** Out of the table at once, so the slot is free for the connection that caused this. */
  const kill = (conn: Conn): void => {
    chosen(conn);
    table.delete(conn);
    byTuple.delete(conn.tuple);
    // An HTTP/2 session sends GOAWAY on the way out, so its client knows no stream was lost. (It
    // holds the socket's handle: destroying only the socket would not close the descriptor.)
    if (conn.session && !conn.session.destroyed) return void conn.session.destroy();
    conn.tlsSocket?.destroy();
    conn.socket.destroy();
  };
  const accept = (socket: net.Socket): void => {
    socket.on('error', () => socket.destroy());
    const conn: Conn = { socket, h2: false, busy: 0, deadline: undefined, tuple: tupleOf(socket) };
    const admitted = table.admit(conn, socket.remoteAddress, (victim) => {
      dropped('shed');
      kill(victim);
    });
    if (!admitted) {
      dropped('refused');
      socket.destroy();
      return;
    }
    conns.add(conn);
    byTuple.set(conn.tuple, conn);
    bySocket.set(socket, conn);
    conn.deadline = setTimeout(() => {
      dropped('deadline');
      kill(conn);
    }, limits.handshakeTimeoutMs);
    socket.once('close', () => {
      // The TLS socket or HTTP/2 session over it goes with it: the connection is gone.
      if (byTuple.get(conn.tuple) === conn) byTuple.delete(conn.tuple);
      chosen(conn);
      table.delete(conn);
      conns.delete(conn);
    });
  };
  const handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void => {
    const conn = req.httpVersionMajor === 1 ? bySocket.get(req.socket) : undefined;
    if (conn) {
      const socket = req.socket;
      setBusy(conn, +1);
      // Headers are in: the request (an upload may take hours) has no deadline of its own.
      if (conn.tlsSocket) socket.setTimeout(0);
      if (stopping) res.setHeader('connection', 'close');
      res.once('close', () => {
        setBusy(conn, -1);
        if (stopping && conn.busy === 0) endSocket(socket);
        // The next request's headers (or the end of an idle keep-alive connection) have a deadline again.
        else if (conn.busy === 0 && conn.tlsSocket && !socket.destroyed) socket.setTimeout(headersTimeout);
      });
    }
    connectHandler(req, res);
  };
  let h1: http.Server | undefined;
  let h2: http2.Http2Server | http2.Http2SecureServer;
  let outer: net.Server;

  if (options.tls) {
    const { cert, key, ca } = readTls(options.tls);
    // The TLS server never listens: the outer server accepts (and counts) every TCP connection
    // and hands it over, so a connection still in its handshake is held to the deadline too.
    // Its own handshake timeout (default 120 s) would otherwise cut a longer configured deadline
    // short; ours is armed first, so it fires first and is counted.
    const secure = http2.createSecureServer(
      { cert, key, allowHTTP1: true, handshakeTimeout: limits.handshakeTimeoutMs, ...(ca ? { ca, requestCert: true, rejectUnauthorized: true } : {}) },
      handler,
    );
    h2 = secure;
    secure.on('secureConnection', (s: tls.TLSSocket) => {
      const conn = byTuple.get(tupleOf(s));
      if (conn === undefined) return void s.destroy();
      conn.tlsSocket = s;
      bySocket.set(s, conn);
      // HTTP/2 has chosen once its SETTINGS are in (see 'session').
      if (s.alpnProtocol === 'h2') return;
      chosen(conn);
      // HTTP/1.1: Node's parser (allowHTTP1) destroys a socket whose timeout fires, so a client
      // that never finishes its headers is cut off after headersTimeout.
      s.setTimeout(headersTimeout);
    });
    outer = net.createServer((socket) => {
      accept(socket);
      if (!socket.destroyed) secure.emit('connection', socket);
    });
  } else {
    const plainH2 = http2.createServer({}, handler);
    h2 = plainH2;
    const plainH1 = http.createServer(
      {
        keepAliveTimeout: 5000,
        // Uploads of large files take as long as they take (Node's default cuts requests at 5 minutes).
        requestTimeout: 0,
        headersTimeout,
        connectionsCheckingInterval: Math.min(30_000, Math.max(100, headersTimeout / 4)),
      },
      handler,
    );
    h1 = plainH1;
    // http.Server starts the connection tracking that enforces headersTimeout when it starts
    // listening. h1 never listens (the sniffer hands it sockets), so without this a client could
    // hold a connection open forever by never finishing its headers.
    plainH1.emit('listening');
    outer = net.createServer((socket) => {
      accept(socket);
      const conn = bySocket.get(socket);
      if (conn === undefined) return;
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
        conn.h2 = isH2;
        // HTTP/1.1 has chosen; its headers are held to headersTimeout from here.
        if (!isH2) chosen(conn);
        (isH2 ? plainH2 : plainH1).emit('connection', socket);
        // The HTTP/1.1 parser reads through stream events (resume it); HTTP/2 takes the handle itself.
        if (!isH2) socket.resume();
      };
      socket.on('data', onData);
    });
  }
  h2.on('session', (s: http2.ServerHttp2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
    const conn = byTuple.get(tupleOf(s.socket));
    if (conn === undefined) return;
    conn.session = s;
    conn.h2 = true;
    // The client's SETTINGS follow its preface: a client that sent only the preface is still silent.
    s.once('remoteSettings', () => chosen(conn));
    // A session with no open stream is idle.
    s.on('stream', (stream: http2.ServerHttp2Stream) => {
      setBusy(conn, +1);
      stream.once('close', () => setBusy(conn, -1));
    });
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
    limits,
    openConnections: () => conns.size,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        stopping = true;
        const closed = new Promise<void>((resolve) => outer.close(() => resolve()));
        // HTTP/2: GOAWAY lets streams in flight finish. HTTP/1.1: idle sockets (keep-alive, or not
        // sent a request yet) end now, busy ones after their response (see the handler). A
        // connection still in its TLS handshake or sniffing has nothing to finish.
        for (const s of sessions) s.close();
        for (const c of conns) {
          if (c.deadline !== undefined && !c.session) kill(c);
          else if (!c.h2 && c.busy === 0) endSocket(c.tlsSocket ?? c.socket);
        }
        const timer = setTimeout(() => {
          for (const s of sessions) s.destroy();
          for (const c of conns) kill(c);
        }, graceMs);
        const drained = (async () => {
          while (conns.size > 0) await new Promise((r) => setTimeout(r, 25));
        })();
        await Promise.all([closed, drained]);
        clearTimeout(timer);
        dropLog.close();
        // Stops h1's connection-checking timer (it has no listening socket of its own to close).
        h1?.close();
      })();
      return closing;
    },
  };
}
