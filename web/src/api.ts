// The HTTP API client (docs/openapi.yaml). The UI talks to the server only through this module
// (plain fetch for JSON, XMLHttpRequest for uploads because fetch reports no upload progress).
// Its types come from the contract: web/src/generated/openapi.ts is generated from
// docs/openapi.yaml (`npm run generate:api-types`), so a change of the API is a type error here.
import { authHeaders, reportUnauthorized } from './auth.ts';
import type { components, paths } from './generated/openapi.ts';
import { isOnline } from './connectivity.ts';

/** A schema of docs/openapi.yaml by name. */
export type Schema<N extends keyof components['schemas']> = components['schemas'][N];
export type Info = Schema<'Info'>;
export type Health = Schema<'Health'>;
export type FileSummary = Schema<'FileSummary'>;
export type FileStat = Schema<'FileStat'>;
export type Chunk = Schema<'Chunk'>;
export type FileAccess = Schema<'FileAccess'>;
export type UploadResult = Schema<'UploadResult'>;
export type ResumableUpload = Schema<'ResumableUpload'>;
export type PartResult = Schema<'PartResult'>;
export type Stats = Schema<'Stats'>;
export type StatsSample = Schema<'StatsSample'>;
export type ShareLink = Schema<'ShareLink'>;

type Operation<P extends keyof paths, M extends keyof paths[P]> = paths[P][M];
/** The JSON of the 2xx answer of `M P` (never for answers without a body). */
type Ok<P extends keyof paths, M extends keyof paths[P]> =
  Operation<P, M> extends { responses: infer R } ? JsonOf<R[(200 | 201) & keyof R]> : never;
type JsonOf<A> = A extends { content: { 'application/json': infer T } } ? T : never;
/** The query parameters of `M P`. */
type QueryOf<P extends keyof paths, M extends keyof paths[P]> = Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;
/** The JSON request body of `M P`. */
type BodyOf<P extends keyof paths, M extends keyof paths[P]> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

/** An API failure: the server's `{error: {code, message}}`, or NETWORK (status 0) / ABORTED. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
  /** Worth retrying as is: the network, or the server/backends briefly unavailable. */
  get transient(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504 || this.status === 408 || this.status === 429;
  }
}

export function networkError(): ApiError {
  return isOnline()
    ? new ApiError(0, 'NETWORK', 'cannot reach the server (network error)')
    : new ApiError(0, 'NETWORK', 'you are offline');
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Turns a non-2xx response body into an ApiError (the server's message when it sent one). */
export function errorFromBody(status: number, statusText: string, text: string): ApiError {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (body.error && typeof body.error.message === 'string') {
      return new ApiError(status, typeof body.error.code === 'string' ? body.error.code : `HTTP_${status}`, body.error.message);
    }
  } catch {
    // not JSON: fall through
  }
  const line = text.trim().split('\n')[0]?.slice(0, 200);
  return new ApiError(status, `HTTP_${status}`, line || `${status} ${statusText || 'error'}`);
}

type Query = Record<string, string | number | undefined>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  if (!s) return path;
  return path + (path.includes('?') ? '&' : '?') + s;
}

// Browsers rewrite the path segments `.` and `..` (the server documents `?name=` forms for them).
const dotName = (name: string): boolean => name === '.' || name === '..';

/** URL of a file (download with GET, upload with PUT, DELETE); `version` picks one version. */
export function fileUrl(name: string, query?: Query): string {
  if (dotName(name)) return withQuery(`/api/v1/file?name=${encodeURIComponent(name)}`, query);
  return withQuery(`/api/v1/files/${encodeURIComponent(name)}`, query);
}

export function statUrl(name: string, query?: Query): string {
  if (dotName(name)) return withQuery(`/api/v1/stat?name=${encodeURIComponent(name)}`, query);
  return withQuery(`/api/v1/stat/${encodeURIComponent(name)}`, query);
}

interface RequestOptions {
  query?: Query;
  json?: unknown;
  signal?: AbortSignal;
  /** Do not treat 401 as "signed out" (the login form checks tokens itself). */
  quiet401?: boolean;
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(withQuery(path, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw new ApiError(0, 'ABORTED', 'cancelled');
    throw networkError();
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) {
    const e = errorFromBody(res.status, res.statusText, text);
    if (res.status === 401 && !options.quiet401) reportUnauthorized(e.message);
    throw e;
  }
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, 'BAD_RESPONSE', `the server sent something that is not JSON for ${method} ${path}`);
  }
}

export interface XhrHandle<T> {
  promise: Promise<T>;
  abort(): void;
}

/** An upload that sends nothing for this long counts as a network error (a silently dead connection). */
const STALL_MS = 90_000;

/**
 * Sends a body with upload progress. Rejects with ApiError: ABORTED after abort(), NETWORK on a
 * network error or when the body stops moving for STALL_MS.
 */
export function sendWithProgress<T>(method: string, url: string, body: Blob, onProgress: (loaded: number) => void): XhrHandle<T> {
  const xhr = new XMLHttpRequest();
  let stalled = false;
  let last = Date.now();
  let bodySent = false;
  const watchdog = setInterval(() => {
    if (!bodySent && Date.now() - last > STALL_MS) {
      stalled = true;
      xhr.abort();
    }
  }, 5000);
  const promise = new Promise<T>((resolve, reject) => {
    xhr.addEventListener('loadend', () => clearInterval(watchdog));
    xhr.upload.addEventListener('load', () => {
      bodySent = true;
    });
    xhr.open(method, url);
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => {
      last = Date.now();
      onProgress(e.loaded);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve((xhr.responseText ? JSON.parse(xhr.responseText) : undefined) as T);
        } catch {
          reject(new ApiError(xhr.status, 'BAD_RESPONSE', 'the server sent something that is not JSON'));
        }
        return;
      }
      const e = errorFromBody(xhr.status, xhr.statusText, xhr.responseText);
      if (xhr.status === 401) reportUnauthorized(e.message);
      reject(e);
    });
    xhr.addEventListener('error', () => reject(networkError()));
    xhr.addEventListener('timeout', () => reject(networkError()));
    xhr.addEventListener('abort', () => reject(stalled ? new ApiError(0, 'NETWORK', 'the upload stalled (no progress for 90s)') : new ApiError(0, 'ABORTED', 'cancelled')));
    xhr.send(body);
  });
  return { promise, abort: () => xhr.abort() };
}

// One function per operation of docs/openapi.yaml that the UI uses, typed by the contract.
const id = encodeURIComponent;
export const getInfo = (): Promise<Ok<'/api/v1/info', 'get'>> => request('GET', '/api/v1/info');
export const listFiles = (query: QueryOf<'/api/v1/files', 'get'>, signal?: AbortSignal): Promise<Ok<'/api/v1/files', 'get'>> =>
  request('GET', '/api/v1/files', { query, ...(signal ? { signal } : {}) });
export const statFile = (name: string, version?: number, signal?: AbortSignal): Promise<Ok<'/api/v1/stat/{name}', 'get'>> =>
  request('GET', statUrl(name, { version }), signal ? { signal } : {});
export const deleteFile = (name: string, version?: number): Promise<Ok<'/api/v1/files/{name}', 'delete'>> => request('DELETE', fileUrl(name, { version }));
export const getStats = (): Promise<Ok<'/api/v1/stats', 'get'>> => request('GET', '/api/v1/stats');
export const getHistory = (limit = 1000): Promise<Ok<'/api/v1/stats/history', 'get'>> => request('GET', '/api/v1/stats/history', { query: { limit } });
export const getTop = (limit = 10): Promise<Ok<'/api/v1/stats/top', 'get'>> => request('GET', '/api/v1/stats/top', { query: { limit } });
export const beginUpload = (body: BodyOf<'/api/v1/uploads', 'post'>): Promise<Ok<'/api/v1/uploads', 'post'>> => request('POST', '/api/v1/uploads', { json: body });
export const getUpload = (upload: string): Promise<Ok<'/api/v1/uploads/{id}', 'get'>> => request('GET', `/api/v1/uploads/${id(upload)}`);
export const abortUpload = (upload: string): Promise<void> => request('DELETE', `/api/v1/uploads/${id(upload)}`);
export const completeUpload = (upload: string, size: number): Promise<Ok<'/api/v1/uploads/{id}/complete', 'post'>> =>
  request('POST', `/api/v1/uploads/${id(upload)}/complete`, { json: { size } satisfies BodyOf<'/api/v1/uploads/{id}/complete', 'post'> });
export const partUrl = (upload: string, part: number): string => `/api/v1/uploads/${id(upload)}/parts/${part}`;
export const openSession = (token: string): Promise<void> =>
  request('POST', '/api/v1/session', { json: { token } satisfies BodyOf<'/api/v1/session', 'post'>, quiet401: true });
export const closeSession = (): Promise<void> => request('DELETE', '/api/v1/session', { quiet401: true });
export const renameFile = (from: string, to: string): Promise<Ok<'/api/v1/rename', 'post'>> =>
  request('POST', '/api/v1/rename', { json: { from, to } satisfies BodyOf<'/api/v1/rename', 'post'> });
export const restoreVersion = (name: string, version: number): Promise<Ok<'/api/v1/restore', 'post'>> =>
  request('POST', '/api/v1/restore', { json: { name, version } satisfies BodyOf<'/api/v1/restore', 'post'> });
export type NewShare = BodyOf<'/api/v1/shares', 'post'>;
export type CreatedShare = Ok<'/api/v1/shares', 'post'>;
export const createShare = (body: NewShare): Promise<CreatedShare> => request('POST', '/api/v1/shares', { json: body });
export const listShares = (name: string, signal?: AbortSignal): Promise<Ok<'/api/v1/shares', 'get'>> =>
  request('GET', '/api/v1/shares', { query: { name }, ...(signal ? { signal } : {}) });
export const revokeShare = (ref: string): Promise<void> => request('DELETE', `/api/v1/shares/${id(ref)}`);
export type S3Overview = Ok<'/api/v1/s3', 'get'>;
export type CreatedS3Key = Ok<'/api/v1/s3/keys', 'post'>;
export const getS3 = (signal?: AbortSignal): Promise<S3Overview> => request('GET', '/api/v1/s3', signal ? { signal } : {});
export const createS3Key = (body: BodyOf<'/api/v1/s3/keys', 'post'>): Promise<CreatedS3Key> => request('POST', '/api/v1/s3/keys', { json: body });
export const revokeS3Key = (key: string): Promise<void> => request('DELETE', `/api/v1/s3/keys/${id(key)}`);
/** Every version of the named files and of every file under the folders (`prefixes`, ending in "/"). */
export type DeleteMany = BodyOf<'/api/v1/delete', 'post'>;
export const deleteMany = (body: DeleteMany): Promise<Ok<'/api/v1/delete', 'post'>> => request('POST', '/api/v1/delete', { json: body });

/** The file shown inline (GET …?inline=1: a real Content-Type for previewable names, sandboxed). */
export const previewUrl = (name: string, version: number): string => fileUrl(name, { version, inline: 1 });

/** Bytes `0..length-1` of a preview, and the file's whole size (from Content-Range, or the body when the server sent it all). */
export async function fetchPreviewStart(name: string, version: number, length: number, signal?: AbortSignal): Promise<{ bytes: Uint8Array; total: number }> {
  let res: Response;
  try {
    res = await fetch(previewUrl(name, version), { headers: { range: `bytes=0-${length - 1}`, ...authHeaders() }, credentials: 'same-origin', ...(signal ? { signal } : {}) });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw new ApiError(0, 'ABORTED', 'cancelled');
    throw networkError();
  }
  if (!res.ok) {
    const e = errorFromBody(res.status, res.statusText, await res.text().catch(() => ''));
    if (res.status === 401) reportUnauthorized(e.message);
    throw e;
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  const total = Number(/\/(\d+)$/.exec(res.headers.get('content-range') ?? '')?.[1] ?? bytes.length);
  return { bytes: bytes.subarray(0, length), total };
}

/** GET /api/v1/archive: the files and folders as one streamed ZIP (a link: the session cookie authenticates it). */
export function archiveUrl(query: QueryOf<'/api/v1/archive', 'get'>): string {
  const params = new URLSearchParams();
  for (const n of query.name ?? []) params.append('name', n);
  for (const p of query.prefix ?? []) params.append('prefix', p);
  if (query.base) params.set('base', query.base);
  return `/api/v1/archive?${params.toString()}`;
}
