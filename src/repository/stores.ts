// What opening and creating a repository share: the objects every backend holds besides chunks,
// dcs.yaml's backends turned into wrapped stores, and the metadata store its URL names.
import { access, open, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { ConfigError } from '../core/errors.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import { openSqliteMetadata } from '../metadata/sqlite-store.ts';
import { fileModes, type Sharing } from '../core/file-modes.ts';
import type { Backend } from '../storage/placement.ts';
import { isNetworkBackend, openBlobStore } from '../storage/registry.ts';
import { withResilience, type ResilienceOptions } from '../storage/resilient-store.ts';
import { CONFIG_FILE, CONFIG_VERSION, type BackendConfig, type RepositoryConfig } from './config.ts';

/** Objects every backend holds besides chunks, so a repository can be recognised from storage alone. */
export const REPO_MARKER_KEY = 'dcs-repository.json';
export const KEY_OBJECT_KEY = 'keys/default.json';
export const KEY_FILE = 'key.json';

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}

export function markerOf(config: RepositoryConfig): string {
  return JSON.stringify({ id: config.id, version: CONFIG_VERSION, chunking: config.chunking, encrypted: config.encryption.enabled });
}

function metadataPath(dir: string, url: string): string {
  if (!url.startsWith('sqlite:')) {
    throw new ConfigError(
      `${join(dir, CONFIG_FILE)}: metadata: unsupported metadata URL ${JSON.stringify(url)} (supported: sqlite:PATH, postgres://[USER@]HOST[:PORT]/DB[?schema=NAME], postgresql://…)`,
    );
  }
  const path = url.slice('sqlite:'.length);
  if (path.length === 0) throw new ConfigError(`${join(dir, CONFIG_FILE)}: metadata: sqlite: needs a path`);
  return path === ':memory:' ? path : resolve(dir, path);
}

export async function openMetadata(dir: string, url: string, sharing?: Sharing): Promise<MetadataStore> {
  let store: MetadataStore;
  if (/^postgres(ql)?:\/\//.test(url)) {
    // Secrets never live in dcs.yaml: the password comes from PGPASSWORD (or ~/.pgpass).
    if (/^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(url)) {
      throw new ConfigError(`${join(dir, CONFIG_FILE)}: metadata: remove the password from the PostgreSQL URL and set PGPASSWORD instead`);
    }
    // Loaded only when configured, like the cloud stores.
    const { openPostgresMetadata } = await import('../metadata/postgres-store.ts');
    store = await openPostgresMetadata(url);
  } else {
    const path = metadataPath(dir, url);
    // Created with its mode before SQLite opens it: SQLite gives its -wal and -shm files the
    // database file's own mode, so these stay private too (SQLite alone would follow the umask).
    if (path !== ':memory:') await (await open(path, 'a', fileModes(sharing).file)).close();
    store = await openSqliteMetadata(path);
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close(); // an open pool would keep the process alive
    throw err;
  }
  return store;
}

export async function openBackends(dir: string, backends: readonly BackendConfig[], resilience?: ResilienceOptions, metrics?: Registry, sharing?: Sharing): Promise<Backend[]> {
  const opened: Backend[] = [];
  for (const b of backends) {
    let store = await openBlobStore({ name: b.name, url: b.url, ...(sharing ? { sharing } : {}) }, dir);
    // Backends reached over a network (the registry says which) get timeouts, retries and a
    // breaker. Local disks fail for good (full, gone) rather than transiently: retrying them only
    // delays the fallback to another copy, so they are wrapped only when dcs.yaml asks for it.
    if (resilience || isNetworkBackend(b.url)) store = withResilience(store, resilience);
    // Metrics outermost (STYLE.md): one operation per engine call, retries included in its
    // latency, breaker refusals and timeouts counted by kind.
    // Loaded only by servers: prom-client costs every CLI command ~60 ms of start-up otherwise.
    if (metrics) store = (await import('../storage/metrics-store.ts')).withMetrics(store, metrics);
    opened.push({ name: b.name, weight: b.weight, store });
  }
  return opened;
}

export async function closeBackends(backends: readonly Backend[]): Promise<void> {
  await Promise.allSettled(backends.map((b) => b.store.close?.()));
}
