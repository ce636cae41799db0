// Small HTTP building blocks for the JSON API: errors with statuses, bounded bodies, byte ranges,
// conditional requests and download headers. Works for HTTP/1.1 and HTTP/2 compatibility requests.
import type http from 'node:http';
import type http2 from 'node:http2';
import type { z } from 'zod';
import { DcsError, errorMessage } from '../core/errors.ts';
import { HTTP_STATUS_FOR } from '../core/http-status.ts';
import { utf8Text, type QueryParams } from '../core/input/utf8.ts';
import type { RangeRequest } from '../repository/repository.ts';

export type Req = http.IncomingMessage | http2.Http2ServerRequest;
export type Res = http.ServerResponse | http2.Http2ServerResponse;

/** An error that becomes `{"error": {code, message}}` with this status. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}


export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof DcsError) return new HttpError(HTTP_STATUS_FOR[err.code] ?? 500, err.code, firstLine(err.message));
  if (err instanceof URIError) return new HttpError(400, 'USAGE', 'malformed percent-encoding in the URL');
  return new HttpError(500, 'INTERNAL', `internal error: ${firstLine(errorMessage(err))}`);
}

const firstLine = (s: string): string => s.split('\n', 1)[0]!;

export function sendJson(res: Res, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

export function sendError(res: Res, err: HttpError): void {
  if (res.headersSent) {
    // Mid-body: the only honest signal left is a cut connection.
    res.destroy?.(err);
    return;
  }
  if (err.status === 401) res.setHeader('www-authenticate', 'Bearer realm="dcs"');
  sendJson(res, err.status, { error: { code: err.code, message: err.message } });
}

export function header(req: Req, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Read a small JSON body (at most maxBytes); an empty body is `{}`. */
/** A JSON body checked against its shape (400 naming the first field that does not fit). */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new HttpError(400, 'USAGE', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return r.data;
}

export async function readJson(req: Req, maxBytes = 64 * 1024): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of limitBody(req, maxBytes, 'JSON body')) parts.push(Buffer.from(part));
  // Invalid UTF-8 stays visible (utf8.ts), so a name in the body is refused, not rewritten.
  const text = utf8Text(Buffer.concat(parts));
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'USAGE', 'request body is not valid JSON');
  }
}

/**
 * The request body as a stream of at most maxBytes (413 when Content-Length or the bytes read
 * say more). Nothing is buffered beyond what the consumer holds.
 */
export async function* limitBody(req: Req, maxBytes: number, what = 'upload'): AsyncGenerator<Uint8Array> {
  const declared = header(req, 'content-length');
  if (declared !== undefined && Number(declared) > maxBytes) throw tooLarge(what, maxBytes);
  let seen = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    seen += part.length;
    if (seen > maxBytes) throw tooLarge(what, maxBytes);
    yield part;
  }
}

function tooLarge(what: string, maxBytes: number): HttpError {
  return new HttpError(413, 'TOO_LARGE', `${what} larger than the server's limit of ${maxBytes} bytes`);
}

/**
 * Integer query parameter whose value the Repository API checks (a level, a version), so HTTP
 * refuses a bad value with the same message as the CLI and gRPC; undefined when absent.
 */
export function integerParam(params: QueryParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d{1,15}$/.test(raw)) throw new HttpError(400, 'USAGE', `${name} must be an integer, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** Non-negative integer query parameter, or undefined when absent. */
export function intParam(params: QueryParams, name: string, limits: { min?: number; max?: number } = {}): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const min = limits.min ?? 0;
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < min || (limits.max !== undefined && Number(raw) > limits.max)) {
    throw new HttpError(400, 'USAGE', `${name} must be an integer${limits.max === undefined ? ` ≥ ${min}` : ` from ${min} to ${limits.max}`}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/**
 * One `bytes=` range, translated for the Repository API (which checks it against the file's size),
 * or undefined when the header is absent, malformed or asks for several ranges: then the whole
 * resource is sent, as RFC 9110 allows.
 */
export function parseRangeHeader(value: string | undefined): RangeRequest | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') return { suffix: Number(m[2]) };
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  return m[2] === '' ? { start } : { start, end: Number(m[2]) };
}

/** Whether an If-None-Match / If-Range style list names this ETag (weak comparison). */
export function etagMatches(list: string | undefined, etag: string): boolean {
  if (list === undefined) return false;
  if (list.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return list.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

/**
 * `attachment` with the last `/`-segment of the name: an ASCII fallback (quotes, backslashes,
 * control and non-ASCII characters replaced) and the exact name as RFC 8187 `filename*`.
 */
export function contentDisposition(name: string, disposition: 'attachment' | 'inline' = 'attachment'): string {
  const base = name.slice(name.lastIndexOf('/') + 1) || 'download';
  const ascii = base.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(base).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
