// `dcs serve --role …`: assembles one process of a dcs deployment. Every role serves its gRPC
// services, the gRPC health protocol, /healthz, /readyz and /metrics on one port, logs as JSON
// lines, and shuts down gracefully (in-flight requests finish) when closed.
import { mkdir } from 'node:fs/promises';
import type { ConnectRouter, Interceptor } from '@connectrpc/connect';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { ConfigError, errorMessage } from '../core/errors.ts';
import { openRepository, type OpenOptions, type Repository } from '../repository/repository.ts';
import { serverAuth } from '../services/auth.ts';
import { OrchestratorService } from '../services/gen/dcs/v1/orchestrator_pb.js';
import { StorageService } from '../services/gen/dcs/v1/storage_pb.js';
import { Health } from '../services/gen/grpc/health/v1/health_pb.js';
import { healthServiceImpl } from '../services/grpc-health-service.ts';
import { NodeHealthMonitor } from '../services/storage-node-monitor.ts';
import { listen, type HttpFallback, type TlsFiles } from '../services/listener.ts';
import { orchestratorServiceImpl } from '../services/orchestrator-service.ts';
import { storageServiceImpl } from '../services/storage-service.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { FsBlobStore } from '../storage/fs-store.ts';
import { createHttpApi, type HttpApi } from './http-api.ts';
import type { HttpLimits } from './http-context.ts';
import { createMetrics } from './metrics.ts';
import { extraRoles } from './roles.ts';

import type { Role } from './role-names.ts';

export { ROLES, type Role } from './role-names.ts';

export interface NodeOptions {
  role: Role;
  host: string;
  port: number;
  tls?: TlsFiles;
  /** Bearer token clients must present (DCS_TOKEN for orchestrators, DCS_NODE_TOKEN for the rest). */
  token?: string;
  /** Serve without a token; allowed on loopback only. */
  open?: boolean;
  /** Orchestrator / all: repository directory. */
  repoDir?: string;
  openOptions?: OpenOptions;
  /** Storage: directory of the node's own disk. */
  dataDir?: string;
  /** Storage: node name (default: the role and port). */
  name?: string;
  /** Orchestrator / all: the HTTP API and web UI (served unless `false`). */
  http?: false | { limits?: Partial<HttpLimits>; webRoot?: string; statsIntervalMs?: number };
  log: Logger;
}

export interface RunningNode {
  role: Role;
  url: string;
  port: number;
  close(graceMs?: number): Promise<void>;
}

interface Mounted {
  /** The HTTP API and web UI (orchestrators). */
  http?: HttpApi;
  /** Storage nodes and whether they answer health checks (orchestrators). */
  nodeStatus?: () => ReadonlyMap<string, boolean>;
  services: string[];
  routes: (router: ConnectRouter) => void;
  ready: () => Promise<boolean>;
  close: () => Promise<void>;
}

async function mountStorage(options: NodeOptions): Promise<Mounted> {
  if (!options.dataDir) throw new ConfigError('storage role needs --data DIR (the directory this node stores objects in)');
  await mkdir(options.dataDir, { recursive: true });
  const store: BlobStore = new FsBlobStore({ name: options.name ?? `storage-${options.port}`, root: options.dataDir });
  return {
    services: [StorageService.typeName],
    routes: (r) => r.service(StorageService, storageServiceImpl(store)),
    ready: async () => {
      try {
        await store.head('dcs-repository.json');
        return true;
      } catch {
        return false;
      }
    },
    close: async () => {},
  };
}

async function mountOrchestrator(options: NodeOptions, metricsRegistry: Registry): Promise<Mounted & { repo: Repository }> {
  if (!options.repoDir) throw new ConfigError('orchestrator role needs a repository (--repo DIR or DCS_REPO)');
  const repo = await openRepository(options.repoDir, { initializeBackends: true, ...options.openOptions, ...(metricsRegistry ? { metricsRegistry } : {}) });
  const monitor = new NodeHealthMonitor(repo.ctx.placement, {
    onChange: (node, up) => (up ? options.log.info({ node }, 'storage node is back') : options.log.warn({ node }, 'storage node is not answering health checks: skipped for writes')),
  });
  await monitor.checkNow();
  const http = options.http === false
    ? undefined
    : createHttpApi({
        repo,
        ...(options.token ? { token: options.token } : {}),
        ...(options.http?.limits ? { limits: options.http.limits } : {}),
        ...(options.http?.webRoot ? { webRoot: options.http.webRoot } : {}),
        ...(options.http?.statsIntervalMs === undefined ? {} : { statsIntervalMs: options.http.statsIntervalMs }),
        tls: options.tls !== undefined,
        registry: metricsRegistry,
        log: options.log,
      });
  return {
    repo,
    ...(http ? { http } : {}),
    nodeStatus: () => monitor.status,
    services: [OrchestratorService.typeName],
    routes: (r) => r.service(OrchestratorService, orchestratorServiceImpl(repo.ctx)),
    ready: async () => {
      try {
        await repo.ctx.metadata.getVersion('\u0001readiness-probe');
        return true;
      } catch {
        return false;
      }
    },
    close: async () => {
      monitor.close();
      await http?.close();
      await repo.close();
    },
  };
}

export async function startNode(options: NodeOptions): Promise<RunningNode> {
  const { log } = options;
  const roleName = options.role === 'all' ? 'orchestrator' : options.role;
  const interceptors: Interceptor[] = serverAuth({ ...(options.token ? { token: options.token } : {}), open: options.open === true, host: options.host, role: roleName });
  const mounted: Mounted[] = [];
  const metrics = createMetrics(options.role, () => {
    const all = new Map<string, boolean>();
    for (const m of mounted) for (const [k, v] of m.nodeStatus?.() ?? []) all.set(k, v);
    return all;
  });
  try {
    if (options.role === 'storage') mounted.push(await mountStorage(options));
    if (options.role === 'orchestrator' || options.role === 'all') mounted.push(await mountOrchestrator(options, metrics.registry));
    for (const m of await extraRoles(options.role)) mounted.push(m);
  } catch (err) {
    await Promise.allSettled(mounted.map((m) => m.close()));
    throw err;
  }
  const ready = async (): Promise<boolean> => (await Promise.all(mounted.map((m) => m.ready()))).every(Boolean);
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
      void ready().then((ok) => send(ok ? 200 : 503, ok ? 'ready\n' : 'not ready\n'), () => send(503, 'not ready\n'));
      return;
    }
    if (path === '/metrics') {
      void metrics.registry.metrics().then((text) => send(200, text, metrics.registry.contentType), (err: unknown) => send(500, `${errorMessage(err)}\n`));
      return;
    }
    for (const m of mounted) if (m.http?.handle(req, res, path)) return;
    send(404, 'not found\n');
  };
  const listener = await listen({
    host: options.host,
    port: options.port,
    ...(options.tls ? { tls: options.tls } : {}),
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
  log.info({ role: options.role, url: listener.url, services, tls: options.tls ? (options.tls.clientCa ? 'mutual' : 'server') : 'off', auth: options.token ? 'token' : 'open' }, 'serving');
  let closing: Promise<void> | undefined;
  return {
    role: options.role,
    url: listener.url,
    port: listener.port,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        log.info({ role: options.role }, 'shutting down: finishing requests in flight');
        await listener.close(graceMs);
        await Promise.allSettled(mounted.map((m) => m.close()));
        log.info({ role: options.role }, 'stopped');
      })();
      return closing;
    },
  };
}
