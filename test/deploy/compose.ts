// Consistency of docker-compose.yml with the orchestrator's deploy/compose/dcs.yaml: every backend
// and service URL names a Compose service running that role on that port, every storage node has
// its own named volume at its --data directory, metadata points at the postgres service with its
// user and database, and only the orchestrator publishes a port (on loopback).
import type { DcsConfig } from './manifests.ts';

export interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[] };
  user?: string;
  read_only?: boolean;
}
export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

function argValue(args: string[] | undefined, flag: string): string | undefined {
  const i = (args ?? []).indexOf(flag);
  return i >= 0 ? args?.[i + 1] : undefined;
}

const role = (s: ComposeService | undefined): string | undefined => (s?.command?.[0] === 'serve' ? argValue(s.command, '--role') : undefined);
const listenPort = (s: ComposeService | undefined): number | undefined => {
  const listen = argValue(s?.command, '--listen');
  return listen ? Number(listen.split(':').pop()) : undefined;
};

/** `${NAME:-default}` → NAME, or undefined for a literal. */
const variable = (value: string | undefined): string | undefined => /^\$\{([A-Z_][A-Z0-9_]*):-[^}]+\}$/.exec(value ?? '')?.[1];

/**
 * @param configFile the file the orchestrator's dcs.yaml is bind-mounted from (as written there)
 * @param envExample the variables the documented .env example defines
 */
export function composeProblems(compose: ComposeFile, config: DcsConfig, configFile: string, envExample: string[]): string[] {
  const problems: string[] = [];
  const services = compose.services ?? {};
  const dcsServices = Object.entries(services).filter(([, s]) => role(s) !== undefined);

  // Backends: one per storage service, each at the service's name and listen port.
  const storageServices = dcsServices.filter(([, s]) => role(s) === 'storage').map(([n]) => n);
  const backendHosts: string[] = [];
  for (const b of config.backends ?? []) {
    const url = new URL(b.url);
    const svc = services[url.hostname];
    backendHosts.push(url.hostname);
    if (url.protocol !== 'grpc:' && url.protocol !== 'grpcs:') problems.push(`backend ${b.name}: ${b.url} is not grpc:// or grpcs://`);
    if (role(svc) !== 'storage') problems.push(`backend ${b.name}: ${url.hostname} is not a storage service`);
    else if (listenPort(svc) !== Number(url.port)) problems.push(`backend ${b.name}: port ${url.port}, but ${url.hostname} listens on ${listenPort(svc)}`);
  }
  for (const n of storageServices) if (!backendHosts.includes(n)) problems.push(`storage service ${n} is not a backend in dcs.yaml`);
  if (new Set(backendHosts).size !== backendHosts.length) problems.push('dcs.yaml lists a storage service twice');
  const replicate = config.redundancy?.replicate ?? 1;
  if (replicate < 1 || replicate > backendHosts.length) problems.push(`replicate ${replicate} with ${backendHosts.length} backends`);

  // Storage volumes: a distinct named volume at each node's --data directory, declared at top level.
  const declared = Object.keys(compose.volumes ?? {});
  const usedVolumes: string[] = [];
  for (const [name, s] of Object.entries(services)) {
    for (const v of s.volumes ?? []) {
      const source = v.split(':')[0];
      if (source && !source.startsWith('.') && !source.startsWith('/')) {
        usedVolumes.push(source);
        if (!declared.includes(source)) problems.push(`${name}: volume ${source} is not declared under volumes:`);
      }
    }
  }
  for (const v of declared) if (!usedVolumes.includes(v)) problems.push(`volume ${v} is declared but not used`);
  const storageVolumes: string[] = [];
  for (const n of storageServices) {
    const data = argValue(services[n]?.command, '--data');
    const mount = (services[n]?.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === data);
    if (!data || !mount || !declared.includes(mount[0]!)) problems.push(`${n}: --data ${data} is not a named volume`);
    else storageVolumes.push(mount[0]!);
  }
  if (new Set(storageVolumes).size !== storageVolumes.length) problems.push('storage services share a volume');

  // Chunker and compressor services.
  for (const r of ['chunker', 'compressor'] as const) {
    const url = config.services?.[r];
    if (!url) {
      problems.push(`dcs.yaml has no services.${r}`);
      continue;
    }
    const u = new URL(url);
    const svc = services[u.hostname];
    if (role(svc) !== r) problems.push(`services.${r}: ${u.hostname} is not a ${r} service`);
    else if (listenPort(svc) !== Number(u.port)) problems.push(`services.${r}: port ${u.port}, but ${u.hostname} listens on ${listenPort(svc)}`);
  }

  // Metadata: the postgres service, its user and database; the password reaches the orchestrator.
  const orchestrators = dcsServices.filter(([, s]) => role(s) === 'orchestrator');
  if (orchestrators.length !== 1) problems.push(`expected one orchestrator service, found ${orchestrators.length}`);
  const [orchName, orch] = orchestrators[0] ?? ['orchestrator', undefined];
  const meta = new URL(config.metadata ?? 'invalid:');
  const pg = services[meta.hostname];
  if (meta.protocol !== 'postgres:' && meta.protocol !== 'postgresql:') problems.push(`metadata ${config.metadata} is not a postgres:// URL`);
  else if (!pg) problems.push(`metadata host ${meta.hostname} is not a service`);
  else {
    if (meta.password) problems.push('metadata URL contains a password (it belongs in PGPASSWORD)');
    if (meta.username !== pg.environment?.POSTGRES_USER) problems.push(`metadata user ${meta.username} is not POSTGRES_USER ${pg.environment?.POSTGRES_USER}`);
    if (meta.pathname.slice(1) !== pg.environment?.POSTGRES_DB) problems.push(`metadata database ${meta.pathname.slice(1)} is not POSTGRES_DB`);
    if ((meta.port || '5432') !== '5432') problems.push(`metadata port ${meta.port} is not PostgreSQL's 5432`);
    if (orch?.environment?.PGPASSWORD !== pg.environment?.POSTGRES_PASSWORD) problems.push('orchestrator PGPASSWORD is not the postgres service password');
    if (!pg.healthcheck?.test) problems.push('postgres has no healthcheck');
    if (orch?.depends_on?.[meta.hostname]?.condition !== 'service_healthy') problems.push('orchestrator does not wait for postgres to be healthy');
  }

  // The orchestrator: its config file, its dependencies, the only published port.
  if (orch) {
    const repo = argValue(orch.command, '--repo') ?? orch.environment?.DCS_REPO;
    // A read-only bind mount rather than `configs:`, which podman-compose ignores.
    const mount = (orch.volumes ?? []).find((v) => v.split(':')[1] === `${repo}/dcs.yaml`);
    if (!mount) problems.push(`${orchName}: no dcs.yaml mounted at ${repo}/dcs.yaml`);
    else if (mount !== `${configFile}:${repo}/dcs.yaml:ro`) problems.push(`${orchName}: ${mount} is not ${configFile} mounted read-only`);
    for (const n of [...storageServices, ...dcsServices.filter(([, s]) => role(s) === 'chunker' || role(s) === 'compressor').map(([x]) => x)]) {
      if (!orch.depends_on?.[n]) problems.push(`${orchName} does not depend on ${n}`);
    }
    const port = listenPort(orch);
    if (JSON.stringify(orch.ports) !== JSON.stringify([`127.0.0.1:${port}:${port}`])) problems.push(`${orchName} must publish exactly 127.0.0.1:${port}:${port}`);
    if (!orch.environment?.DCS_TOKEN) problems.push(`${orchName} has no DCS_TOKEN`);
  }
  for (const [n, s] of Object.entries(services)) if (n !== orchName && s.ports?.length) problems.push(`${n} publishes ports; only the orchestrator should`);

  // Every dcs service: same image, same node token, non-root, read-only root filesystem, healthcheck.
  const images = new Set(dcsServices.map(([, s]) => s.image));
  if (images.size !== 1) problems.push(`dcs services use different images: ${[...images].join(', ')}`);
  const nodeTokens = new Set(dcsServices.map(([, s]) => s.environment?.DCS_NODE_TOKEN));
  if (nodeTokens.size !== 1 || nodeTokens.has(undefined)) problems.push('dcs services do not all share one DCS_NODE_TOKEN');
  for (const [n, s] of dcsServices) {
    if (s.user !== '10001:10001') problems.push(`${n} does not run as 10001:10001`);
    if (s.read_only !== true) problems.push(`${n} does not have a read-only root filesystem`);
    if (!s.healthcheck?.test) problems.push(`${n} has no healthcheck`);
    if (argValue(s.command, '--listen')?.startsWith('0.0.0.0:') !== true) problems.push(`${n} does not listen on 0.0.0.0`);
  }

  // Secrets come from .env variables with a documented demo default.
  for (const [n, s] of Object.entries(services)) {
    for (const key of ['DCS_TOKEN', 'DCS_NODE_TOKEN', 'PGPASSWORD', 'POSTGRES_PASSWORD']) {
      const value = s.environment?.[key];
      if (value === undefined) continue;
      const v = variable(value);
      if (!v) problems.push(`${n}: ${key} is not \${VARIABLE:-demo default}`);
      else if (!envExample.includes(v)) problems.push(`${n}: ${key} comes from ${v}, which the .env example does not document`);
    }
  }
  return problems;
}
