// The data plane: bulk bytes between dcs processes as plain HTTP/1.1 bodies under /data/v1/, on the
// same port as gRPC (listener.ts tells them apart). gRPC keeps the control messages; chunk payloads
// skip protobuf and HTTP/2 framing, which cost ~1 ms and three or four copies per 1 MiB message
// (loopback HTTP/1.1 moves ~1.4 GB/s between two Node processes, HTTP/2 ~195 MB/s). docs/api.md
// documents every route. Both ends live here: the server's checks and the client's requests.
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type http2 from 'node:http2';
import type { Socket } from 'node:net';
import { DcsError, errorMessage, UsageError } from '../core/errors.ts';
import { HTTP_STATUS_FOR } from '../core/http-status.ts';
import { freeView } from '../core/memory.ts';
import { serviceBaseUrl, tlsOptions, type ClientOptions } from './transport.ts';

export const DATA_PREFIX = '/data/v1/';

export type DataRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type DataResponse = http.ServerResponse | http2.Http2ServerResponse;

/** A data-plane failure with the status and dcs code it is answered with. */
export class DataPlaneError extends DcsError {
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The bearer-token check of data routes (the same tokens as the node's RPCs); open when no token. */
export function dataAuth(token: string | undefined): (req: DataRequest) => void {
  if (token === undefined) return () => {};
  const expected = digest(token);
  return (req) => {
    const m = /^Bearer\s+(\S+)$/i.exec(headerValue(req, 'authorization') ?? '');
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) throw new DataPlaneError(401, 'UNAUTHENTICATED', m ? 'invalid token' : 'missing bearer token');
  };
}

export function headerValue(req: DataRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * A whole request body of exactly Content-Length bytes (at most `maxBytes`), read into one buffer
 * allocated up front: one copy out of the socket, nothing else. A body cut short is an error.
 */
export async function readBody(req: DataRequest, maxBytes: number): Promise<Uint8Array> {
  const declared = headerValue(req, 'content-length');
  if (declared === undefined || !/^\d+$/.test(declared)) throw new DataPlaneError(411, 'USAGE', 'Content-Length required');
  const length = Number(declared);
  if (length > maxBytes) throw new DataPlaneError(413, 'TOO_LARGE', `body of ${length} bytes is larger than the limit of ${maxBytes}`);
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for await (const piece of req as AsyncIterable<Buffer>) {
    if (at + piece.length > length) throw new DataPlaneError(400, 'USAGE', 'body longer than its Content-Length');
    piece.copy(out, at);
    at += piece.length;
    // A socket read that was all body is ours alone once copied (see core/memory.ts).
    freeView(piece);
  }
  if (at !== length) throw new DataPlaneError(400, 'USAGE', `body cut off after ${at} of ${length} bytes`);
  return new Uint8Array(out.buffer, out.byteOffset, length);
}

/** Answer a failed data request: `{"error": {code, message}}`, or a cut connection mid-body. */
export function sendDataError(res: DataResponse, err: unknown): void {
  const { status, code, message } =
    err instanceof DataPlaneError
      ? err
      : err instanceof DcsError
        ? { status: HTTP_STATUS_FOR[err.code] ?? 500, code: err.code, message: err.message }
        : { status: 500, code: 'INTERNAL', message: `internal error: ${errorMessage(err)}` };
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message: message.split('\n', 1)[0] } });
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

export interface DataCall {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  path: string;
  headers?: Record<string, string | number>;
  /** The whole body (Content-Length set), or pieces written in order (chunked encoding). */
  body?: Uint8Array | AsyncIterable<Uint8Array>;
  signal?: AbortSignal;
  /** Inactivity limit on the connection (no bytes either way); default the client's timeoutMs. */
  idleTimeoutMs?: number;
}

/** A failed call as the dcs error the server reported, or a transport failure. */
export interface FailedCall {
  status?: number;
  code: string;
  message: string;
}

/**
 * HTTP/1.1 client of one dcs process's data plane, with keep-alive connections, the node or user
 * token, TLS and mutual TLS from the same files as gRPC, and a count of the bytes it wrote.
 */
export class DataPlaneClient {
  readonly baseUrl: string;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #sockets = new Set<Socket>();
  #closedBytes = 0;

  constructor(url: string, options: ClientOptions = {}) {
    this.baseUrl = serviceBaseUrl(url);
    const secure = this.baseUrl.startsWith('https:');
    this.#agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: 16, ...(options.tls ? tlsOptions(options.tls) : {}) })
      : new http.Agent({ keepAlive: true, maxSockets: 16 });
    this.#request = secure ? https.request : http.request;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** Bytes written to the network so far (request lines, headers and bodies). */
  get bytesSent(): number {
    let live = 0;
    for (const s of this.#sockets) live += s.bytesWritten;
    return this.#closedBytes + live;
  }

  /**
   * Send a request; resolves with the response once its status is 2xx (the body still to read),
   * and rejects with DataPlaneError (the server's code and message) otherwise.
   */
  call(c: DataCall): Promise<http.IncomingMessage> {
    const url = new URL(c.path, this.baseUrl);
    const headers: Record<string, string | number> = { ...c.headers };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (c.body instanceof Uint8Array) headers['content-length'] = c.body.length;
    return new Promise((resolve, reject) => {
      const req = this.#request(url, { method: c.method, headers, agent: this.#agent, ...(c.signal ? { signal: c.signal } : {}) });
      req.setTimeout(c.idleTimeoutMs ?? this.#timeoutMs, () => req.destroy(new DcsError('TIMEOUT', `no answer from ${this.baseUrl} within ${Math.round((c.idleTimeoutMs ?? this.#timeoutMs) / 1000)} s`)));
      req.on('socket', (s: Socket) => this.#track(s));
      req.on('error', reject);
      req.on('response', (res) => {
        if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) return resolve(res);
        void readSmall(res).then((text) => reject(parseError(res.statusCode ?? 0, text)), reject);
      });
      const body = c.body;
      if (body === undefined) req.end();
      else if (body instanceof Uint8Array) req.end(body);
      else void pump(req, body).catch((err: unknown) => req.destroy(err instanceof Error ? err : new Error(String(err))));
    });
  }

  #track(s: Socket): void {
    if (this.#sockets.has(s)) return;
    this.#sockets.add(s);
    s.once('close', () => {
      this.#sockets.delete(s);
      this.#closedBytes += s.bytesWritten;
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/**
 * Write a body of many pieces (frame prefixes and envelopes) corked, so a megabyte of them goes out
 * in one writev: a system call costs more on this kind of machine than the bytes it moves.
 */
async function pump(req: http.ClientRequest, body: AsyncIterable<Uint8Array>): Promise<void> {
  let corked = 0;
  req.cork();
  for await (const piece of body) {
    const ok = req.write(piece);
    corked += piece.length;
    if (ok && corked < 1024 * 1024) continue;
    req.uncork();
    corked = 0;
    if (!ok) {
      await new Promise<void>((resolve, reject) => {
        req.once('drain', resolve);
        req.once('close', () => reject(new Error('connection closed while sending')));
      });
    }
    req.cork();
  }
  req.uncork();
  req.end();
}

async function readSmall(res: http.IncomingMessage, max = 64 * 1024): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const p of res as AsyncIterable<Buffer>) {
    if (n < max) parts.push(p);
    n += p.length;
  }
  return Buffer.concat(parts).toString('utf8');
}

function parseError(status: number, text: string): DataPlaneError {
  try {
    const e = (JSON.parse(text) as { error?: { code?: unknown; message?: unknown } }).error;
    if (e && typeof e.code === 'string' && typeof e.message === 'string') return new DataPlaneError(status, e.code, e.message);
  } catch {
    // not a dcs error body
  }
  return new DataPlaneError(status, status === 404 ? 'NOT_FOUND' : 'HTTP_ERROR', `HTTP ${status}${text ? `: ${text.slice(0, 200).trim()}` : ''}`);
}

/**
 * A response body of exactly `length` bytes in one buffer allocated up front (one copy); a body
 * that ends early or runs long is an error, so a cut connection is never taken for the data.
 */
export async function readExactly(res: AsyncIterable<Buffer>, length: number): Promise<Uint8Array> {
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for await (const piece of res) {
    if (at + piece.length > length) throw new DcsError('PROTOCOL', `response longer than the ${length} bytes announced`);
    piece.copy(out, at);
    at += piece.length;
    freeView(piece);
  }
  if (at !== length) throw new DcsError('PROTOCOL', `response cut off after ${at} of ${length} bytes`);
  return new Uint8Array(out.buffer, out.byteOffset, length);
}

/** The declared Content-Length of a response, which data routes always send. */
export function contentLength(res: http.IncomingMessage): number {
  const v = res.headers['content-length'];
  if (v === undefined || !/^\d+$/.test(v)) throw new UsageError('data plane response without Content-Length', 'PROTOCOL');
  return Number(v);
}

/** Was this a failure of the connection (the peer is gone or unreachable), not an answer? */
export function isConnectionFailure(err: unknown): boolean {
  if (err instanceof DataPlaneError) return false;
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'TIMEOUT'].includes(code) || (err instanceof Error && /socket hang up|aborted/.test(err.message));
}
