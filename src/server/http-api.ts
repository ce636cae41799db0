// The orchestrator's HTTP/JSON API (docs/openapi.yaml) and the web UI's files, behind one handler
// that the listener calls for every request that is not an RPC.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CODEC_SUMMARIES } from '../core/codecs.ts';
import { errorMessage } from '../core/errors.ts';
import { percentDecode, queryParams, type QueryParams } from '../core/input/utf8.ts';
import type { LocalRepository, UsageTotals } from '../repository/repository.ts';
import { httpAuth, SESSION_COOKIE } from './http-auth.ts';
import { DEFAULT_HTTP_LIMITS, type ApiContext, type HttpLimits } from './http-context.ts';
import { deleteFile, getFile, listFiles, putFile, statFile } from './http-files.ts';
import { deleteSelection, downloadArchive } from './http-bulk.ts';
import { renameNames, restoreVersion } from './http-names.ts';
import { createS3Key, revokeS3Key, s3Overview } from './http-s3.ts';
import { createShare, downloadShared, listShares, revokeShare } from './http-shares.ts';
import { abortUpload, beginUpload, completeUpload, getUpload, putPart } from './http-uploads.ts';
import { HttpError, intParam, readJson, sendError, sendJson, toHttpError, type Req, type Res } from './http-util.ts';
import { webAssets } from './web-assets.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface HttpApiOptions {
  repo: LocalRepository;
  /** Required bearer token; undefined serves the API open (the caller checked it is allowed). */
  token?: string;
  limits?: Partial<HttpLimits>;
  /** Directory of the built web UI; undefined serves no UI. */
  webRoot?: string;
  /** Cookies get `Secure` when served over TLS. */
  tls: boolean;
  registry: Registry;
  log: Logger;
  /** How long a browser session lasts (default DEFAULT_SESSION_TTL_MS). */
  sessionTtlMs?: number;
  /** The S3 page: endpoint (when served) and where access keys are sealed. */
  s3?: ApiContext['s3'];
}

export interface HttpApi {
  /** Handles the request when its path belongs to the API or the UI; false otherwise. */
  handle(req: Req, res: Res, path: string): boolean;
}

type Handler = (api: ApiContext, req: Req, res: Res, params: QueryParams, arg: string[]) => Promise<void>;

interface Route {
  method: string;
  /** Matched against the raw (still percent-encoded) path; groups are decoded and passed as args. */
  pattern: RegExp;
  name: string;
  /** The path as docs/openapi.yaml spells it (a test checks that both agree). */
  doc: string;
  handler: Handler;
  /** Served without the token: the request carries its own credential (a share link). */
  open?: true;
}

const NAME_ARG = '(.+)';

export const ROUTES: readonly Route[] = [
  { method: 'GET', pattern: /^\/api\/v1\/info$/, name: 'info', doc: '/api/v1/info', handler: info },
  { method: 'GET', pattern: /^\/api\/v1\/files\/?$/, name: 'list', doc: '/api/v1/files', handler: (a, _q, r, p) => listFiles(a, r, p) },
  { method: 'PUT', pattern: new RegExp(`^/api/v1/files/${NAME_ARG}$`), name: 'put', doc: '/api/v1/files/{name}', handler: (a, q, r, p, [n]) => putFile(a, q, r, n!, p) },
  { method: 'GET', pattern: new RegExp(`^/api/v1/files/${NAME_ARG}$`), name: 'get', doc: '/api/v1/files/{name}', handler: (a, q, r, p, [n]) => getFile(a, q, r, n!, p) },
  { method: 'HEAD', pattern: new RegExp(`^/api/v1/files/${NAME_ARG}$`), name: 'head', doc: '/api/v1/files/{name}', handler: (a, q, r, p, [n]) => getFile(a, q, r, n!, p) },
  { method: 'DELETE', pattern: new RegExp(`^/api/v1/files/${NAME_ARG}$`), name: 'delete', doc: '/api/v1/files/{name}', handler: (a, _q, r, p, [n]) => deleteFile(a, r, n!, p) },
  // `?name=` forms: browsers rewrite the path segments `.` and `..`, so those names need the query.
  { method: 'PUT', pattern: /^\/api\/v1\/file$/, name: 'put', doc: '/api/v1/file', handler: (a, q, r, p) => putFile(a, q, r, nameParam(p), p) },
  { method: 'GET', pattern: /^\/api\/v1\/file$/, name: 'get', doc: '/api/v1/file', handler: (a, q, r, p) => getFile(a, q, r, nameParam(p), p) },
  { method: 'HEAD', pattern: /^\/api\/v1\/file$/, name: 'head', doc: '/api/v1/file', handler: (a, q, r, p) => getFile(a, q, r, nameParam(p), p) },
  { method: 'DELETE', pattern: /^\/api\/v1\/file$/, name: 'delete', doc: '/api/v1/file', handler: (a, _q, r, p) => deleteFile(a, r, nameParam(p), p) },
  { method: 'GET', pattern: /^\/api\/v1\/stat$/, name: 'stat', doc: '/api/v1/stat', handler: (a, _q, r, p) => statFile(a, r, nameParam(p), p) },
  { method: 'GET', pattern: new RegExp(`^/api/v1/stat/${NAME_ARG}$`), name: 'stat', doc: '/api/v1/stat/{name}', handler: (a, _q, r, p, [n]) => statFile(a, r, n!, p) },
  { method: 'POST', pattern: /^\/api\/v1\/uploads$/, name: 'upload-begin', doc: '/api/v1/uploads', handler: (a, q, r) => beginUpload(a, q, r) },
  { method: 'GET', pattern: /^\/api\/v1\/uploads\/([^/]+)$/, name: 'upload-get', doc: '/api/v1/uploads/{id}', handler: (a, _q, r, _p, [id]) => getUpload(a, r, id!) },
  { method: 'DELETE', pattern: /^\/api\/v1\/uploads\/([^/]+)$/, name: 'upload-abort', doc: '/api/v1/uploads/{id}', handler: (a, _q, r, _p, [id]) => abortUpload(a, r, id!) },
  { method: 'PUT', pattern: /^\/api\/v1\/uploads\/([^/]+)\/parts\/([^/]+)$/, name: 'upload-part', doc: '/api/v1/uploads/{id}/parts/{part}', handler: (a, q, r, _p, [id, n]) => putPart(a, q, r, id!, n!) },
  { method: 'POST', pattern: /^\/api\/v1\/uploads\/([^/]+)\/complete$/, name: 'upload-complete', doc: '/api/v1/uploads/{id}/complete', handler: (a, q, r, _p, [id]) => completeUpload(a, q, r, id!) },
  { method: 'POST', pattern: /^\/api\/v1\/delete$/, name: 'delete-selection', doc: '/api/v1/delete', handler: (a, q, r) => deleteSelection(a, q, r) },
  { method: 'GET', pattern: /^\/api\/v1\/archive$/, name: 'archive', doc: '/api/v1/archive', handler: (a, q, r, p) => downloadArchive(a, q, r, p) },
  { method: 'POST', pattern: /^\/api\/v1\/shares$/, name: 'share-create', doc: '/api/v1/shares', handler: (a, q, r) => createShare(a, q, r) },
  { method: 'GET', pattern: /^\/api\/v1\/shares$/, name: 'share-list', doc: '/api/v1/shares', handler: (a, _q, r, p) => listShares(a, r, p) },
  { method: 'GET', pattern: /^\/api\/v1\/s3$/, name: 's3', doc: '/api/v1/s3', handler: (a, _q, r) => s3Overview(a, r) },
  { method: 'POST', pattern: /^\/api\/v1\/s3\/keys$/, name: 's3-key-create', doc: '/api/v1/s3/keys', handler: (a, q, r) => createS3Key(a, q, r) },
  { method: 'DELETE', pattern: /^\/api\/v1\/s3\/keys\/([A-Z0-9]{1,128})$/, name: 's3-key-revoke', doc: '/api/v1/s3/keys/{id}', handler: (a, _q, r, _p, [id]) => revokeS3Key(a, r, id!) },
  { method: 'DELETE', pattern: /^\/api\/v1\/shares\/([0-9a-f]{64})$/, name: 'share-revoke', doc: '/api/v1/shares/{ref}', handler: (a, _q, r, _p, [ref]) => revokeShare(a, r, ref!) },
  { method: 'GET', pattern: /^\/s\/([^/]+)$/, name: 'share-get', doc: '/s/{id}', open: true, handler: (a, q, r, _p, [id]) => downloadShared(a, q, r, id!) },
  { method: 'HEAD', pattern: /^\/s\/([^/]+)$/, name: 'share-head', doc: '/s/{id}', open: true, handler: (a, q, r, _p, [id]) => downloadShared(a, q, r, id!) },
  { method: 'POST', pattern: /^\/api\/v1\/rename$/, name: 'rename', doc: '/api/v1/rename', handler: (a, q, r) => renameNames(a, q, r) },
  { method: 'POST', pattern: /^\/api\/v1\/restore$/, name: 'restore', doc: '/api/v1/restore', handler: (a, q, r) => restoreVersion(a, q, r) },
  { method: 'GET', pattern: /^\/api\/v1\/stats$/, name: 'stats', doc: '/api/v1/stats', handler: (a, _q, r) => repositoryStats(a, r) },
  { method: 'GET', pattern: /^\/api\/v1\/stats\/history$/, name: 'stats-history', doc: '/api/v1/stats/history', handler: statsHistory },
  { method: 'GET', pattern: /^\/api\/v1\/stats\/top$/, name: 'stats-top', doc: '/api/v1/stats/top', handler: topFiles },
];

/** The status nginx logs for a request whose client went away first; no response carries it. */
const CLIENT_CLOSED_REQUEST = '499';

/** The client closed its connection (or HTTP/2 stream) before the response was complete. */
function clientGone(req: Req, res: Res): boolean {
  if (res.writableFinished) return false;
  // The connection (HTTP/2: the stream), not the request: reading a body to its limit destroys
  // the request stream on the server's own initiative, and the answer (413) still goes out.
  const stream = 'stream' in req ? req.stream : req.socket;
  return stream?.destroyed ?? false;
}

function nameParam(params: QueryParams): string {
  const name = params.get('name');
  if (name === null) throw new HttpError(400, 'USAGE', 'missing ?name=');
  return name;
}

async function info(api: ApiContext, _req: Req, res: Res): Promise<void> {
  const about = api.repo.info;
  sendJson(res, 200, {
    version: VERSION,
    codecs: about.codecs,
    codecSummaries: CODEC_SUMMARIES,
    defaultCodec: about.defaultEncoding.codec,
    partSize: api.limits.partSize,
    maxPartBytes: api.limits.maxPartBytes,
    maxUploadBytes: api.limits.maxUploadBytes,
    resumableTimeoutMs: api.repo.resumable.timeoutMs,
    encrypted: about.encrypted,
    auth: api.authEnabled,
  });
}

async function repositoryStats(api: ApiContext, res: Res): Promise<void> {
  const [s, usage, health] = await Promise.all([api.repo.stats(), api.repo.analytics.usageTotals(), api.repo.backends()]);
  // Every configured backend appears, also those holding nothing yet, with whether it answers.
  const byName = new Map(s.perBackend.map((b) => [b.backend, b]));
  const perBackend = [...health].map(([name, state]) => ({
    ...(byName.get(name) ?? { backend: name, copies: 0, bytes: 0, missing: 0, corrupt: 0 }),
    ...state,
  }));
  sendJson(res, 200, { ...s, perBackend, usage });
}

async function statsHistory(api: ApiContext, _req: Req, res: Res, params: QueryParams): Promise<void> {
  const since = intParam(params, 'since');
  const limit = intParam(params, 'limit', { min: 1, max: 10_000 }) ?? 1000;
  const samples = await api.repo.analytics.statsHistory({ since, limit });
  sendJson(res, 200, { samples });
}

async function topFiles(api: ApiContext, _req: Req, res: Res, params: QueryParams): Promise<void> {
  const limit = intParam(params, 'limit', { min: 1, max: 100 }) ?? 10;
  sendJson(res, 200, { files: await api.repo.analytics.topFiles(limit) });
}

/** Repository-wide analytics at /metrics, read from metadata at scrape time (shared by orchestrators). */
function registerAnalytics(registry: Registry, repo: LocalRepository): void {
  const analytics = repo.analytics;
  const totals = (name: string, help: string, pick: (u: UsageTotals) => number): void => {
    registry.registerMetric(new Counter({
      name,
      help,
      registers: [],
      async collect() {
        this.reset();
        this.inc(pick(await analytics.usageTotals()));
      },
    }));
  };
  totals('dcs_uploads_total', 'Uploads committed (all time, whole repository)', (u) => u.uploads);
  totals('dcs_downloads_total', 'Downloads and ranged reads (all time, whole repository)', (u) => u.downloads);
  totals('dcs_bytes_in_total', 'Bytes uploaded (logical, before dedup and compression)', (u) => u.bytesIn);
  totals('dcs_bytes_out_total', 'Bytes sent by downloads', (u) => u.bytesOut);
  registry.registerMetric(new Gauge({
    name: 'dcs_repository_bytes',
    help: 'Repository size at the last size-history sample, by kind: logical (put in), unique (after dedup), stored (compressed, one copy), physical (all copies)',
    labelNames: ['kind'],
    registers: [],
    async collect() {
      const last = (await analytics.statsHistory({ limit: 1 }))[0];
      if (!last) return;
      this.set({ kind: 'logical' }, last.logicalBytes);
      this.set({ kind: 'unique' }, last.uniqueBytes);
      this.set({ kind: 'stored' }, last.storedBytes);
      this.set({ kind: 'physical' }, last.physicalBytes);
    },
  }));
  registry.registerMetric(new Gauge({
    name: 'dcs_files',
    help: 'Files at the last size-history sample',
    registers: [],
    async collect() {
      const last = (await analytics.statsHistory({ limit: 1 }))[0];
      if (last) this.set(last.files);
    },
  }));
}

export function createHttpApi(options: HttpApiOptions): HttpApi {
  const auth = httpAuth(options.token, options.repo.webSessions, options.sessionTtlMs);
  const api: ApiContext = {
    repo: options.repo,
    limits: { ...DEFAULT_HTTP_LIMITS, ...options.limits },
    authEnabled: auth.enabled,
    ...(options.s3 ? { s3: options.s3 } : {}),
  };
  const web = options.webRoot === undefined ? undefined : webAssets(options.webRoot);
  registerAnalytics(options.registry, options.repo);
  const requests = new Counter({ name: 'dcs_http_requests_total', help: 'HTTP API requests by route, method and status', labelNames: ['route', 'method', 'status'], registers: [options.registry] });
  const seconds = new Histogram({
    name: 'dcs_http_request_duration_seconds',
    help: 'HTTP API request time, body included',
    labelNames: ['route'],
    buckets: [0.005, 0.02, 0.1, 0.5, 2, 10, 60, 600],
    registers: [options.registry],
  });
  const cookie = (value: string, maxAge: number): string =>
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${options.tls ? '; Secure' : ''}`;

  const session = async (req: Req, res: Res): Promise<void> => {
    if (req.method === 'DELETE') {
      // Sign-out ends the session on the server, so the cookie is worthless even if copied.
      await auth.endSession(req);
      res.statusCode = 204;
      res.setHeader('set-cookie', cookie('', 0));
      res.end();
      return;
    }
    if (req.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'use POST or DELETE');
    const body = (await readJson(req)) as { token?: unknown };
    const started = typeof body.token === 'string' ? await auth.startSession(body.token) : undefined;
    if (started === undefined) throw new HttpError(401, 'UNAUTHENTICATED', 'invalid token');
    res.statusCode = 204;
    res.setHeader('set-cookie', cookie(started.value, started.maxAgeSeconds));
    res.end();
  };

  const run = async (req: Req, res: Res, path: string, query: string): Promise<void> => {
    const method = req.method ?? 'GET';
    let routeName = 'unknown';
    const end = seconds.startTimer();
    try {
      if (path === '/api/v1/session') {
        routeName = 'session';
        await session(req, res);
        return;
      }
      const candidates = ROUTES.filter((r) => r.pattern.test(path));
      const route = candidates.find((r) => r.method === method);
      if (!route) {
        if (candidates.length > 0) {
          res.setHeader('allow', [...new Set(candidates.map((r) => r.method))].join(', '));
          throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`);
        }
        throw new HttpError(404, 'NOT_FOUND', `no API endpoint ${path}`);
      }
      routeName = route.name;
      if (!route.open) await auth.check(req);
      const args = route.pattern.exec(path)!.slice(1).map((a) => percentDecode(a));
      await route.handler(api, req, res, queryParams(query), args);
    } catch (err) {
      if (clientGone(req, res)) {
        // Not the server's failure: nobody is left to answer, and an upload cut off stores nothing.
        options.log.info({ route: routeName, method, err: errorMessage(err) }, 'client closed the connection before the response ended');
        res.destroy?.();
        return;
      }
      const e = toHttpError(err);
      if (e.status >= 500) options.log.warn({ route: routeName, method, status: e.status, err: e.message }, 'http request failed');
      // An upload refused before its body was read: close the connection rather than drain gigabytes.
      if (!req.complete && req.httpVersionMajor === 1 && !res.headersSent) res.setHeader('connection', 'close');
      sendError(res, e);
    } finally {
      requests.inc({ route: routeName, method, status: clientGone(req, res) ? CLIENT_CLOSED_REQUEST : String(res.statusCode) });
      end({ route: routeName });
    }
  };

  return {
    handle(req, res, path) {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const query = q >= 0 ? url.slice(q + 1) : '';
      if (path === '/api' || path.startsWith('/api/') || path.startsWith('/s/')) {
        void run(req, res, path, query);
        return true;
      }
      if (web) {
        void web(req, res, path).catch((err: unknown) => sendError(res, toHttpError(err)));
        return true;
      }
      return false;
    },
  };
}
