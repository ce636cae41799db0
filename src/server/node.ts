// `dcs serve --role …`: assembles one process of a dcs deployment. Every role serves its gRPC
// services, the gRPC health protocol, /healthz, /readyz and /metrics on one port, logs as JSON
// lines, and shuts down gracefully (in-flight requests finish) when closed.
import { hostname } from 'node:os';
import type { Interceptor } from '@connectrpc/connect';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigError, errorMessage } from '../core/errors.ts';
import { openRepository, type OpenRepositoryOptions } from '../repository/local-repository.ts';
import type { Readiness } from '../repository/repository.ts';
import { REPO_MARKER_KEY } from '../repository/stores.ts';
import { serverAuth } from '../services/auth.ts';
import { DATA_PREFIX } from '../services/data-plane.ts';
import { OrchestratorService } from '../services/gen/dcs/v1/orchestrator_pb.js';
import { Health } from '../services/gen/grpc/health/v1/health_pb.js';
import { healthServiceImpl } from '../services/grpc-health-service.ts';
import { listen, type ConnectionLimits, type HttpFallback, type RunningListener, type TlsFiles } from '../services/listener.ts';
import { chunkerMount, compressorMount, storageMount, type ServiceMount } from '../services/stage-roles.ts';
import type { ClientOptions } from '../services/transport.ts';
import type { Sharing } from '../core/file-modes.ts';
import { directReadsOf, orchestratorDataRoutes } from './data-routes.ts';
import { TicketSigner } from '../services/read-tickets.ts';
import { orchestratorServiceImpl } from './grpc-orchestrator.ts';
import { createHttpApi, type HttpApi } from './http-api.ts';
import type { SecretVault } from './s3/access-keys.ts';
import type { HttpLimits } from './http-context.ts';
import { createMetrics } from './metrics.ts';
import type { Role } from './role-names.ts';

export { ROLES, type Role } from './role-names.ts';
export type { ConnectionLimits, TlsFiles } from '../services/listener.ts';

export interface NodeOptions {
  role: Role;
  host: string;
  port: number;
  tls?: TlsFiles;
  /** Handshake deadline and connection caps of the port (defaults sized from the open-file limit). */
  connections?: Partial<ConnectionLimits>;
  /** Bearer token clients must present (DCS_TOKEN for orchestrators, DCS_NODE_TOKEN for the rest). */
  token?: string;
  /** Serve without a token; allowed on loopback only. */
  open?: boolean;
  /** Orchestrator / all: repository directory. */
  repoDir?: string;
  openOptions?: OpenRepositoryOptions;
  /** Orchestrator / all: how to reach storage nodes, chunkers and compressors (token, TLS). */
  nodeClient?: ClientOptions;
  /** Hand clients download plans to read chunks from the storage nodes directly (default true). */
  directReads?: boolean;
  /** Storage: directory of the node's own disk. */
  dataDir?: string;
  /** Storage: who may read the files in dataDir (default: only the node's user). */
  sharing?: Sharing;
  /** Storage: node name in its logs, errors and StorageInfo (default: `defaultNodeName(port)`). */
  name?: string;
  /** Orchestrator / all: the HTTP API and web UI (served unless `false`). */
  http?: false | { limits?: Partial<HttpLimits>; webRoot?: string; statsIntervalMs?: number; sessionTtlMs?: number };
  /** Orchestrator / all: the S3 API on its own listener (docs/s3.md). */
  s3?: S3ListenerOptions;
  log: Logger;
}

export interface S3ListenerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The region clients sign for (default us-east-1). */
  region?: string;
  /** Virtual-hosted-style addressing: `bucket.<baseDomain>`. */
  baseDomain?: string;
}

export interface RunningNode {
  role: Role;
  /** Where a client on this machine reaches the node (127.0.0.1 when listening on 0.0.0.0). */
  url: string;
  /** The address it listens on, as bound: `0.0.0.0:7070` means every interface. */
  listen: string;
  port: number;
  /** The S3 API's base URL, when served. */
  s3Url?: string;
  close(graceMs?: number): Promise<void>;
}

interface Mounted extends ServiceMount {
  /** Let work that spans several requests (chunked uploads) finish before the listener closes. */
  drain?: (graceMs: number) => Promise<void>;
  /** The HTTP API and web UI (orchestrators). */
  http?: HttpApi;
  /** Storage nodes and whether they answer health checks (orchestrators). */
  nodeStatus?: () => ReadonlyMap<string, boolean>;
  /** Metadata and backends, for /readyz (orchestrators); `ready` then answers the same. */
  readiness?: () => Promise<Readiness>;
  /** The S3 API's request handler (orchestrators with --s3-listen). */
  s3?: HttpFallback;
  /** What the HTTP API tells of the S3 API (its endpoint is known once it listens). */
  s3Info?: { endpoint?: string };
}

/** What /readyz answers: `ready`, and for an orchestrator which of its backends are down. */
type ReadyzBody = { ready: boolean } & Partial<Omit<Readiness, 'ready'>>;

/**
 * A storage node's name when `--name`/DCS_NODE_NAME give none: the host name and the port, so the
 * nodes of a cluster tell themselves apart (in Kubernetes the pod's name; in Compose the container
 * id unless the service sets `hostname:`, so Compose files had better set DCS_NODE_NAME).
 */
export function defaultNodeName(port: number): string {
  return `${hostname()}:${port}`;
}

async function mountOrchestrator(options: NodeOptions, metricsRegistry: Registry): Promise<Mounted> {
  if (!options.repoDir) throw new ConfigError('orchestrator role needs a repository (--repo DIR or DCS_REPO)');
  const { log } = options;
  const statsIntervalMs = options.http === false ? undefined : options.http?.statsIntervalMs;
  const repo = await openRepository(options.repoDir, {
    initializeBackends: true,
    // Chunkers and compressors run in this process with role all; an orchestrator reaches them.
    cluster: { client: options.nodeClient ?? {}, remoteStages: options.role === 'orchestrator' },
    watchNodes: {
      onChange: (node, up) => (up ? log.info({ node }, 'storage node is back') : log.warn({ node }, 'storage node is not answering health checks: skipped for writes')),
    },
    // The size history feeds the dashboard and /metrics, which the HTTP API serves.
    ...(options.http === false ? {} : { sizeHistory: statsIntervalMs === undefined ? {} : { minIntervalMs: statsIntervalMs } }),
    warn: (m) => log.warn(m),
    ...options.openOptions,
    metricsRegistry,
  });
  // The vault that seals S3 secrets, opened (its key file made) only when first needed.
  let vault: Promise<SecretVault> | undefined;
  const openVault = async (): Promise<SecretVault> => {
    const { SecretVault: Vault } = await import('./s3/access-keys.ts');
    return (vault ??= Vault.open(options.repoDir!, process.env, true));
  };
  const s3Info: { endpoint?: string; region: string; vault(): Promise<SecretVault> } = { region: options.s3?.region ?? 'us-east-1', vault: openVault };
  const http = options.http === false
    ? undefined
    : createHttpApi({
        s3: s3Info,
        repo,
        ...(options.token ? { token: options.token } : {}),
        ...(options.http?.limits ? { limits: options.http.limits } : {}),
        ...(options.http?.webRoot ? { webRoot: options.http.webRoot } : {}),
        ...(options.http?.sessionTtlMs ? { sessionTtlMs: options.http.sessionTtlMs } : {}),
        tls: options.tls !== undefined,
        registry: metricsRegistry,
        log,
      });
  let s3: HttpFallback | undefined;
  if (options.s3) {
    // Loaded only when served: the S3 front end and its XML and signature libraries.
    const { createS3Api } = await import('./s3/s3-api.ts');
    s3 = createS3Api({ repo, vault: await openVault(), log, ...(options.s3.region ? { region: options.s3.region } : {}), ...(options.s3.baseDomain ? { baseDomain: options.s3.baseDomain } : {}) });
  }
  return {
    ...(http ? { http } : {}),
    ...(s3 ? { s3, s3Info } : {}),
    nodeStatus: () => repo.nodes(),
    services: [OrchestratorService.typeName],
    routes: (r) => r.service(OrchestratorService, orchestratorServiceImpl(repo)),
    // Bulk bytes of chunked uploads and envelope downloads, beside the RPCs (data-routes.ts).
    // Clients read chunks from storage nodes themselves, with tickets signed by the node token.
    handleHttp: orchestratorDataRoutes(repo, options.token || undefined, options.directReads === false ? undefined : directReadsOf(repo, new TicketSigner(options.nodeClient?.token))),
    drain: (graceMs) => repo.chunked.drain(graceMs),
    ready: async () => (await repo.readiness()).ready,
    readiness: () => repo.readiness(),
    close: () => repo.close(),
  };
}

export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const { log } = options;
  const roleName = options.role === 'all' ? 'orchestrator' : options.role;
  const interceptors: Interceptor[] = serverAuth({ ...(options.token ? { token: options.token } : {}), open: options.open === true, host: options.host, role: roleName });
  const mounted: Mounted[] = [];
  let listener: RunningListener | undefined;
  const metrics = createMetrics(
    options.role,
    () => {
      const all = new Map<string, boolean>();
      for (const m of mounted) for (const [k, v] of m.nodeStatus?.() ?? []) all.set(k, v);
      return all;
    },
    () => listener?.openConnections() ?? 0,
  );
  try {
    const { role } = options;
    // serverAuth above refused a tokenless node unless it runs open on loopback; the data plane follows it.
    if (role === 'storage') mounted.push(await storageMount({ dataDir: options.dataDir, name: options.name ?? defaultNodeName(options.port), marker: REPO_MARKER_KEY, token: options.token || undefined, ...(options.sharing ? { sharing: options.sharing } : {}) }));
    if (role === 'orchestrator' || role === 'all') mounted.push(await mountOrchestrator(options, metrics.registry));
    if (role === 'chunker' || role === 'all') mounted.push(chunkerMount());
    if (role === 'compressor' || role === 'all') mounted.push(compressorMount());
  } catch (err) {
    await Promise.allSettled(mounted.map((m) => m.close()));
    throw err;
  }
  const readyz = async (): Promise<ReadyzBody> => {
    const parts = await Promise.all(mounted.map(async (m): Promise<ReadyzBody> => (m.readiness ? m.readiness() : { ready: await m.ready() })));
    // At most one part (the orchestrator's) has details.
    return { ...parts.find((p) => p.backends !== undefined), ready: parts.every((p) => p.ready) };
  };
  const ready = async (): Promise<boolean> => (await readyz()).ready;
  const services = mounted.flatMap((m) => m.services);
  const logCalls: Interceptor = (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      log.warn({ method: `${req.service.typeName}/${req.method.name}`, err: errorMessage(err) }, 'rpc failed');
      throw err;
    }
  };
  const fallback: HttpFallback = (req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
      res.statusCode = status;
      res.setHeader('content-type', type);
      res.end(body);
    };
    if (path === '/healthz') return send(200, 'ok\n');
    if (path === '/readyz') {
      const json = (body: ReadyzBody): void => send(body.ready ? 200 : 503, `${JSON.stringify(body)}\n`, 'application/json');
      void readyz().then(json, () => json({ ready: false }));
      return;
    }
    if (path === '/metrics') {
      void metrics.registry.metrics().then((text) => send(200, text, metrics.registry.contentType), (err: unknown) => send(500, `${errorMessage(err)}\n`));
      return;
    }
    if (path.startsWith(DATA_PREFIX)) {
      // Counted when answered; the route is the path's first segment after the prefix, never a key.
      const route = /^[a-z]{1,16}/.exec(path.slice(DATA_PREFIX.length))?.[0] ?? 'other';
      res.once('finish', () => metrics.dataRequest(route, req.method ?? 'GET', res.statusCode, req.headers.authorization ? 'token' : 'none'));
    }
    for (const m of mounted) if (m.handleHttp?.(req, res, path)) return;
    for (const m of mounted) if (m.http?.handle(req, res, path)) return;
    send(404, 'not found\n');
  };
  listener = await listen({
    host: options.host,
    port: options.port,
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.connections ? { connections: options.connections } : {}),
    onDrop: (reason) => metrics.connectionDropped(reason),
    log,
    // Metrics see every call, auth failures included; logging sees what got past auth.
    interceptors: [metrics.interceptor, ...interceptors, logCalls],
    routes: (router) => {
      for (const m of mounted) m.routes(router);
      router.service(Health, healthServiceImpl({ services, ready }));
    },
    fallback,
  }).catch(async (err: unknown) => {
    await Promise.allSettled(mounted.map((m) => m.close()));
    throw err;
  });
  log.info({ role: options.role, listen: listener.listen, services, tls: options.tls ? (options.tls.clientCa ? 'mutual' : 'server') : 'off', auth: options.token ? 'token' : 'open', connections: listener.limits }, 'serving');
  const s3Handler = mounted.find((m) => m.s3)?.s3;
  let s3Listener: RunningListener | undefined;
  if (s3Handler && options.s3) {
    s3Listener = await listen({
      host: options.s3.host,
      port: options.s3.port,
      // S3 clients authenticate by signature, not by client certificate.
      ...(options.tls ? { tls: { cert: options.tls.cert, key: options.tls.key } } : {}),
      ...(options.connections ? { connections: options.connections } : {}),
      onDrop: (reason) => metrics.connectionDropped(reason),
      log,
      routes: () => {},
      fallback: s3Handler,
    }).catch(async (err: unknown) => {
      await listener.close(1000);
      await Promise.allSettled(mounted.map((m) => m.close()));
      throw err;
    });
    log.info({ listen: s3Listener.listen, region: options.s3.region ?? 'us-east-1', tls: options.tls ? 'server' : 'off' }, 'serving the S3 API');
    const info = mounted.find((m) => m.s3Info)?.s3Info;
    if (info) info.endpoint = s3Listener.url;
  }
  let closing: Promise<void> | undefined;
  return {
    role: options.role,
    url: listener.url,
    listen: listener.listen,
    port: listener.port,
    ...(s3Listener ? { s3Url: s3Listener.url } : {}),
    close(graceMs = 10_000) {
      closing ??= (async () => {
        log.info({ role: options.role }, 'shutting down: finishing requests in flight');
        const started = Date.now();
        await Promise.all(mounted.map((m) => m.drain?.(graceMs)));
        await Promise.all([listener, s3Listener].map((l) => l?.close(Math.max(1000, graceMs - (Date.now() - started)))));
        await Promise.allSettled(mounted.map((m) => m.close()));
        log.info({ role: options.role }, 'stopped');
      })();
      return closing;
    },
  };
}
