// The one place that turns a repository directory (dcs.yaml) into a running engine: config →
// stores → placement → keys → metadata → transformer → EngineContext. The CLI and the server both
// open repositories through here, and `init` creates them.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile, rename, access } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { hmacHasher, sha256Hasher } from '../core/chunk-id.ts';
import { DEFAULT_CHUNKER, type ChunkerParams } from '../core/chunker.ts';
import type { CodecChoice } from '../core/codecs.ts';
import { ConfigError, DcsError, RepositoryExistsError, RepositoryNotFoundError, BlobNotFoundError } from '../core/errors.ts';
import { createKeyFile, unlockKeyFile, type KeyFile, type RepositoryKeys } from '../core/keyfile.ts';
import { inlineChunkSource, workerChunkSource, type ChunkSource } from '../engine/chunk-source.ts';
import { InlineTransformer, type ChunkTransformer } from '../engine/chunk-transformer.ts';
import { DEFAULT_LIMITS, type EngineContext } from '../engine/context.ts';
import { WorkerPoolTransformer } from '../engine/worker-transformer.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import { openSqliteMetadata } from '../metadata/sqlite-store.ts';
import { Placement, type Backend } from '../storage/placement.ts';
import { isNetworkBackend, openBlobStore, parseBackendUrl } from '../storage/registry.ts';
import { withResilience, type ResilienceOptions } from '../storage/resilient-store.ts';
import type { Registry } from 'prom-client';
import { CONFIG_FILE, CONFIG_VERSION, parseConfig, renderConfig, type BackendConfig, type RedundancyConfig, type RepositoryConfig, type ServiceUrls } from './config.ts';

/** Objects every backend holds besides chunks, so a repository can be recognised from storage alone. */
export const REPO_MARKER_KEY = 'dcs-repository.json';
export const KEY_OBJECT_KEY = 'keys/default.json';
const KEY_FILE = 'key.json';

export type PassphraseSource = () => Promise<string>;

export interface Repository {
  dir: string;
  config: RepositoryConfig;
  ctx: EngineContext;
  close(): Promise<void>;
}

/** Engine stages built by a higher layer (remote chunkers and compressors in distributed mode). */
export interface StageFactories {
  transformer?: (services: ServiceUrls | undefined, keys: RepositoryKeys | undefined, local: () => ChunkTransformer) => ChunkTransformer;
  chunkSource?: (services: ServiceUrls | undefined, keys: RepositoryKeys | undefined, local: () => ChunkSource) => ChunkSource;
}

export interface OpenOptions {
  passphrase?: PassphraseSource;
  stages?: StageFactories;
  /**
   * A deployed dcs.yaml may omit `id`: the repository is then recognised from the backends'
   * markers, and when no backend holds one yet (first start of a cluster) they are initialised.
   */
  initializeBackends?: boolean;
  /** Record per-backend operations, errors, latency and bytes here (servers export it at /metrics). */
  metricsRegistry?: Registry;
  /** Override performance.workers (0 = inline). */
  workers?: number;
  warn?: (message: string) => void;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode: 0o600 });
  await rename(tmp, path);
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

async function openMetadata(dir: string, url: string): Promise<MetadataStore> {
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
    store = await openSqliteMetadata(metadataPath(dir, url));
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close(); // an open pool would keep the process alive
    throw err;
  }
  return store;
}

async function openBackends(dir: string, backends: readonly BackendConfig[], resilience?: ResilienceOptions, metrics?: Registry): Promise<Backend[]> {
  const opened: Backend[] = [];
  for (const b of backends) {
    let store = await openBlobStore({ name: b.name, url: b.url }, dir);
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

/** Writes skip a backend whose circuit breaker is open (reads try it last) until it recovers. */
function watchBreakers(placement: Placement): void {
  const breakers = new Map(placement.backends.flatMap((b) => (b.store.isAvailable ? [[b.name, b.store.isAvailable.bind(b.store)] as const] : [])));
  if (breakers.size > 0) placement.addAvailability((name) => breakers.get(name)?.() ?? true);
}

async function closeBackends(backends: readonly Backend[]): Promise<void> {
  await Promise.allSettled(backends.map((b) => b.store.close?.()));
}

export async function readConfig(dir: string): Promise<RepositoryConfig> {
  const file = join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RepositoryNotFoundError(dir);
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return parseConfig(text, file);
}

export interface InitOptions {
  /** Backend URLs, optionally named: `NAME=URL`. Default: one fs backend inside the repository. */
  backends?: string[];
  replicate?: number;
  /** k+m erasure shards instead of `replicate` copies. */
  erasure?: { data: number; parity: number; successThreshold?: number; repairThreshold?: number };
  /** Encrypt with a key wrapped by this passphrase. */
  passphrase?: string;
  codec?: CodecChoice;
  level?: number;
  chunking?: ChunkerParams;
  /** scrypt cost for the key file (tests use a low one). */
  kdfCost?: { N?: number };
}

/** Parse `--backend` values into named backend configs (names: given, or scheme + index). */
export function backendConfigs(specs: readonly string[]): BackendConfig[] {
  const counts = new Map<string, number>();
  return specs.map((spec) => {
    const named = /^([A-Za-z0-9][A-Za-z0-9._-]{0,62})=(.+)$/.exec(spec);
    const url = named ? named[2]! : spec;
    const { scheme } = parseBackendUrl(url);
    const n = (counts.get(scheme) ?? 0) + 1;
    counts.set(scheme, n);
    return { name: named ? named[1]! : `${scheme}${n}`, url, weight: 1 };
  });
}

export async function initRepository(dirArg: string, options: InitOptions = {}): Promise<RepositoryConfig> {
  const dir = resolve(dirArg);
  if (await exists(join(dir, CONFIG_FILE))) throw new RepositoryExistsError(dir);
  const backends = options.backends && options.backends.length > 0 ? backendConfigs(options.backends) : [{ name: 'local', url: 'fs:data', weight: 1 }];
  const config: RepositoryConfig = {
    version: CONFIG_VERSION,
    id: randomUUID(),
    metadata: 'sqlite:metadata.db',
    backends,
    redundancy: options.erasure ? { erasure: options.erasure } : { replicate: options.replicate ?? 1 },
    chunking: options.chunking ?? DEFAULT_CHUNKER,
    compression: { codec: options.codec ?? 'zstd', ...(options.level !== undefined ? { level: options.level } : options.codec === undefined ? { level: 3 } : {}) },
    encryption: options.passphrase === undefined ? { enabled: false } : { enabled: true, keyFile: KEY_FILE },
    performance: {},
  };
  // Validate exactly as open will, before touching anything.
  const validated = parseConfig(renderConfig(config), join(dir, CONFIG_FILE));
  await mkdir(dir, { recursive: true });

  const opened = await openBackends(dir, validated.backends);
  try {
    const marker = markerOf(validated);
    for (const b of opened) {
      await b.store.init?.();
      const existing = await b.store.head(REPO_MARKER_KEY);
      if (existing) {
        throw new DcsError('BACKEND_IN_USE', `backend ${b.name} already holds a dcs repository (${REPO_MARKER_KEY} exists); use an empty location`);
      }
    }
    let keyFile: KeyFile | undefined;
    if (options.passphrase !== undefined) keyFile = (await createKeyFile(options.passphrase, options.kdfCost)).keyFile;
    for (const b of opened) {
      if (keyFile) await b.store.put(KEY_OBJECT_KEY, new TextEncoder().encode(JSON.stringify(keyFile)));
      await b.store.put(REPO_MARKER_KEY, new TextEncoder().encode(marker));
    }
    if (keyFile) await writeFileAtomic(join(dir, KEY_FILE), JSON.stringify(keyFile, null, 2));
    const metadata = await openMetadata(dir, validated.metadata);
    await metadata.close();
    await writeFileAtomic(join(dir, CONFIG_FILE), renderConfig(validated));
  } finally {
    await closeBackends(opened);
  }
  return validated;
}

function markerOf(config: RepositoryConfig): string {
  return JSON.stringify({ id: config.id, version: CONFIG_VERSION, chunking: config.chunking, encrypted: config.encryption.enabled });
}

/** For a config without `id`: the id from the first backend marker, or (first start) new markers everywhere. */
async function adoptBackends(config: RepositoryConfig, backends: readonly Backend[], initialize: boolean): Promise<string> {
  for (const b of backends) {
    try {
      const marker = JSON.parse(new TextDecoder().decode(await b.store.get(REPO_MARKER_KEY))) as { id?: unknown };
      if (typeof marker.id === 'string') return marker.id;
    } catch (err) {
      if (!(err instanceof BlobNotFoundError)) throw err;
    }
  }
  if (!initialize) throw new ConfigError(`dcs.yaml has no id and no backend holds a repository yet (start the orchestrator with \`dcs serve\`, or run \`dcs init\`)`);
  if (config.encryption.enabled) throw new ConfigError('an encrypted repository must be created with `dcs init --encrypt`, then deployed with its key file');
  const id = randomUUID();
  const marker = new TextEncoder().encode(markerOf({ ...config, id }));
  for (const b of backends) {
    await b.store.init?.();
    await b.store.put(REPO_MARKER_KEY, marker);
  }
  return id;
}

async function loadKeyFile(dir: string, config: RepositoryConfig, backends: readonly Backend[]): Promise<unknown> {
  const local = join(dir, config.encryption.keyFile ?? KEY_FILE);
  try {
    return JSON.parse(await readFile(local, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(`cannot read key file ${local}: ${(err as Error).message}`);
  }
  // The local copy is gone: every backend keeps one.
  for (const b of backends) {
    try {
      return JSON.parse(new TextDecoder().decode(await b.store.get(KEY_OBJECT_KEY)));
    } catch (err) {
      if (!(err instanceof BlobNotFoundError)) continue;
    }
  }
  throw new ConfigError(`repository is encrypted but no key file was found (${local}, or ${KEY_OBJECT_KEY} on a backend)`);
}

export async function openRepository(dirArg: string, options: OpenOptions = {}): Promise<Repository> {
  const dir = resolve(dirArg);
  const config = await readConfig(dir);
  const backends = await openBackends(dir, config.backends, config.resilience, options.metricsRegistry);
  let metadata: MetadataStore | undefined;
  let transformer: ChunkTransformer | undefined;
  try {
    let keys: RepositoryKeys | undefined;
    if (config.encryption.enabled) {
      const keyFile = await loadKeyFile(dir, config, backends);
      if (!options.passphrase) throw new ConfigError('this repository is encrypted and no passphrase source was given');
      keys = await unlockKeyFile(keyFile, await options.passphrase());
    }
    if (config.id === undefined) config.id = await adoptBackends(config, backends, options.initializeBackends === true);
    metadata = await openMetadata(dir, config.metadata);
    const workers = options.workers ?? config.performance.workers ?? Math.min(availableParallelism(), 8);
    const localTransformer = (): ChunkTransformer => (workers > 0 ? new WorkerPoolTransformer({ workers, ...(keys ? { keys } : {}) }) : new InlineTransformer(keys));
    transformer = options.stages?.transformer ? options.stages.transformer(config.services, keys, localTransformer) : localTransformer();
    const hasher = keys ? hmacHasher(keys.idKey) : sha256Hasher();
    const localSource = (): ChunkSource => (workers > 0 ? workerChunkSource(keys ? { idKey: keys.idKey } : {}) : inlineChunkSource(hasher));
    const placement = new Placement(backends);
    watchBreakers(placement);
    const ctx: EngineContext = {
      metadata,
      placement,
      chunkSource: options.stages?.chunkSource ? options.stages.chunkSource(config.services, keys, localSource) : localSource(),
      smallChunkSource: inlineChunkSource(hasher),
      transformer,
      ...redundancyOf(config.redundancy),
      chunker: config.chunking,
      compression: config.compression,
      limits: {
        ...DEFAULT_LIMITS,
        ...(config.performance.inFlightChunks ? { inFlightChunks: config.performance.inFlightChunks } : {}),
        ...(config.performance.readAhead ? { readAhead: config.performance.readAhead } : {}),
      },
      now: () => Date.now(),
      warn: options.warn ?? (() => {}),
    };
    const opened = { metadata, transformer };
    return {
      dir,
      config,
      ctx,
      close: async () => {
        await opened.transformer.close();
        await opened.metadata.close();
        await closeBackends(backends);
      },
    };
  } catch (err) {
    await transformer?.close();
    await metadata?.close();
    await closeBackends(backends);
    throw err;
  }
}

/** The engine's redundancy fields from dcs.yaml's policy (erasure: `replicas` counts shards, k+m). */
function redundancyOf(r: RedundancyConfig): Pick<EngineContext, 'replicas' | 'minCopies' | 'erasure'> {
  if ('erasure' in r) {
    const e = r.erasure;
    const n = e.data + e.parity;
    const successThreshold = e.successThreshold ?? n;
    return {
      replicas: n,
      erasure: { data: e.data, parity: e.parity, successThreshold, repairThreshold: e.repairThreshold ?? Math.min(e.data + 1, successThreshold - 1) },
    };
  }
  return { replicas: r.replicate, ...(r.minCopies !== undefined ? { minCopies: r.minCopies } : {}) };
}
