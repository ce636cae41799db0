// Client side of every dcs RPC: the gRPC protocol over HTTP/2 (what standard gRPC servers speak),
// with TLS or mutual TLS from files, a bearer token, and the same message limits as the servers.
import { readFileSync } from 'node:fs';
import type http2 from 'node:http2';
import type { Transport } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { ConfigError, errnoCode } from '../core/errors.ts';
import { sendBearer } from './auth.ts';
import { RPC_READ_MAX_BYTES } from './limits.ts';



export interface ClientTls {
  /** CA that the server's certificate must chain to (default: the system's). */
  ca?: string;
  /** Client certificate and key, for servers that require mutual TLS. */
  cert?: string;
  key?: string;
}

export interface ClientOptions {
  token?: string;
  tls?: ClientTls;
  /** Default deadline for calls that do not set their own. */
  timeoutMs?: number;
}

function read(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read TLS ${what} ${path}: ${errnoCode(err) ?? String(err)}`);
  }
}

/** The CA, client certificate and key a TLS client connection uses, read from their files. */
export function tlsOptions(tls: ClientTls): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  return {
    ...(tls.ca ? { ca: read('CA', tls.ca) } : {}),
    ...(tls.cert ? { cert: read('client certificate', tls.cert) } : {}),
    ...(tls.key ? { key: read('client key', tls.key) } : {}),
  };
}

/**
 * Accepts http://, https://, and the backend URL forms grpc:// (plaintext) and grpcs:// (TLS).
 * Returns the base URL for the transport.
 */
export function serviceBaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`invalid service URL ${JSON.stringify(url)} (expected http://HOST:PORT, https://…, grpc://… or grpcs://…)`);
  }
  const scheme = { 'http:': 'http', 'grpc:': 'http', 'https:': 'https', 'grpcs:': 'https' }[u.protocol];
  if (!scheme || !u.host) throw new ConfigError(`invalid service URL ${JSON.stringify(url)} (expected http://HOST:PORT, https://…, grpc://… or grpcs://…)`);
  return `${scheme}://${u.host}`;
}

export interface ClosableTransport {
  transport: Transport;
  /** Close the HTTP/2 connection (calls in flight fail). */
  close(): void;
  /** Bytes written to the network on this transport's connections so far (frames and TLS included). */
  bytesSent(): number;
}

/**
 * Count what a session manager's connections write. An HTTP/2 session's socket can be read only
 * while the session holds it, so each session's count is taken after every stream and kept.
 */
function countSockets(manager: Http2SessionManager): () => number {
  const last = new Map<http2.Http2Session, number>();
  const bytesOf = (s: http2.Http2Session): number => {
    try {
      const n = s.socket.bytesWritten;
      last.set(s, n);
      return n;
    } catch {
      return last.get(s) ?? 0;
    }
  };
  const request = manager.request.bind(manager);
  manager.request = async (...args) => {
    const stream = await request(...args);
    const session = stream.session;
    if (session) {
      if (!last.has(session)) last.set(session, 0);
      stream.once('close', () => bytesOf(session));
    }
    return stream;
  };
  return () => {
    let n = 0;
    for (const s of last.keys()) n += bytesOf(s);
    return n;
  };
}

/** Per-connection HTTP/2 buffer cap, in MB (Node's default is 10). */
const SESSION_MEMORY_MB = Math.ceil((4 * RPC_READ_MAX_BYTES) / 1e6);

export function createTransport(url: string, options: ClientOptions = {}): ClosableTransport {
  const baseUrl = serviceBaseUrl(url);
  const tls = options.tls;
  const nodeOptions = baseUrl.startsWith('https:') && tls ? tlsOptions(tls) : {};
  // Detect dead peers (a storage node killed mid-transfer) instead of waiting forever; the ping
  // timeout leaves room for a peer whose event loop is busy with a burst of large messages.
  const sessionManager = new Http2SessionManager(
    baseUrl,
    { pingIntervalMs: 10_000, pingTimeoutMs: 20_000, idleConnectionTimeoutMs: 60_000 },
    // Node refuses new streams (NGHTTP2_ENHANCE_YOUR_CALM) once ~10 MB of requests wait in one
    // session: ten 1 MiB chunks sent at once to one compressor or storage node. Callers bound
    // what they send at once (in-flight chunks), so the session cap only has to stay out of the way.
    { ...nodeOptions, maxSessionMemory: SESSION_MEMORY_MB },
  );
  const transport = createGrpcTransport({
    baseUrl,
    sessionManager,
    interceptors: options.token ? [sendBearer(options.token)] : [],
    readMaxBytes: RPC_READ_MAX_BYTES,
    writeMaxBytes: RPC_READ_MAX_BYTES,
    // Never ask for gzip: chunk payloads are already compressed (see listener.ts).
    acceptCompression: [],
    ...(options.timeoutMs ? { defaultTimeoutMs: options.timeoutMs } : {}),
  });
  const bytesSent = countSockets(sessionManager);
  return { transport, close: () => abortSessions(sessionManager), bytesSent };
}

/**
 * Close a session manager without risking an unhandled 'error' event: if the peer's GOAWAY already
 * destroyed the connection, connect-node's abort() skips its own error guard (a race seen when a
 * storage node and the orchestrator stop together), so guard every connection first.
 */
function abortSessions(manager: Http2SessionManager): void {
  const internal = manager as unknown as { s?: { conn?: { on(e: 'error', f: () => void): void } }; shuttingDown?: { conn?: { on(e: 'error', f: () => void): void } }[] };
  for (const state of [internal.s, ...(internal.shuttingDown ?? [])]) state?.conn?.on('error', () => {});
  manager.abort();
}
