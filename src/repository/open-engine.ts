// The one place that turns a repository directory (dcs.yaml) into a running engine: config →
// stores → placement → keys → metadata → chunk source and transformer → EngineContext. Front ends
// never see the result: they get the Repository API over it (local-repository.ts); engine-level
// tests use it directly.
import { randomUUID } from 'node:crypto';
import { chmod, readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { hmacHasher, sha256Hasher, type ChunkHasher } from '../core/chunk-id.ts';
import { BlobNotFoundError, ConfigError, errnoCode, errorMessage, RepositoryNotFoundError } from '../core/errors.ts';
import { unlockKeyFile, type RepositoryKeys } from '../core/keyfile.ts';
import { inlineChunkSource, workerChunkSource, type ChunkSource } from '../engine/chunk-source.ts';
import { InlineTransformer, type ChunkTransformer } from '../engine/chunk-transformer.ts';
import { DEFAULT_LIMITS, type EngineContext } from '../engine/context.ts';
import { WorkerPoolTransformer } from '../engine/worker-transformer.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import { Placement, type Backend } from '../storage/placement.ts';
import type { ServiceStages } from '../services/stages.ts';
import type { ClientOptions } from '../services/transport.ts';
import { DeferredTransformer, deferredSource, once } from './deferred-keys.ts';
import { CONFIG_FILE, parseConfig, type RedundancyConfig, type RepositoryConfig } from './config.ts';
import { closeBackends, KEY_FILE, KEY_OBJECT_KEY, markerOf, openBackends, openMetadata, REPO_MARKER_KEY } from './stores.ts';

export type PassphraseSource = () => Promise<string>;

/** An opened repository at the engine level: what the Repository API and engine tests work on. */
export interface OpenedEngine {
  dir: string;
  config: RepositoryConfig;
  ctx: EngineContext;
  /** The chunk-id key of an encrypted repository (what clients that chunk for themselves need). */
  idKey(): Promise<Uint8Array | undefined>;
  /** Storage nodes and whether their last health check passed (when `watchNodes` was asked for). */
  nodeStatus(): ReadonlyMap<string, boolean>;
  close(): Promise<void>;
}

export interface OpenOptions {
  passphrase?: PassphraseSource;
  /**
   * When an encrypted repository's key is unlocked: at open (the default: a wrong passphrase fails
   * at once, as servers want), or when chunk data is first encoded, decoded or identified (the CLI,
   * for commands that may read only metadata). Distributed mode always unlocks at open.
   */
  unlock?: 'at-open' | 'on-use';
  /**
   * Distributed mode: reach storage nodes (grpc:// and grpcs:// backends) with these client
   * options, and with `remoteStages` also the chunker and compressor services dcs.yaml names.
   */
  cluster?: { client: ClientOptions; remoteStages: boolean };
  /** Poll storage nodes' health: placement skips nodes that stop answering until they are back. */
  watchNodes?: { onChange(node: string, up: boolean): void };
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

/** Writes skip a backend whose circuit breaker is open (reads try it last) until it recovers. */
function watchBreakers(placement: Placement): void {
  const breakers = new Map(placement.backends.flatMap((b) => (b.store.isAvailable ? [[b.name, b.store.isAvailable.bind(b.store)] as const] : [])));
  if (breakers.size > 0) placement.addAvailability((name) => breakers.get(name)?.() ?? true);
}

export async function readConfig(dir: string): Promise<RepositoryConfig> {
  const file = join(dir, CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new RepositoryNotFoundError(dir);
    throw new ConfigError(`cannot read ${file}: ${errorMessage(err)}`);
  }
  return parseConfig(text, file);
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
    if (errnoCode(err) !== 'ENOENT') throw new ConfigError(`cannot read key file ${local}: ${errorMessage(err)}`);
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

/**
 * Storage nodes become backends (grpc:// URLs) and, for orchestrators of a split deployment, the
 * chunker and compressor services become engine stages. Loaded only in distributed mode: the gRPC
 * stack costs every other command start-up time.
 */
async function clusterStages(cluster: NonNullable<OpenOptions['cluster']>, warn: ((message: string) => void) | undefined): Promise<ServiceStages & { remoteStages: boolean }> {
  const [{ registerStorageNodeBackends }, { serviceStages }] = await Promise.all([import('../services/register.ts'), import('../services/stages.ts')]);
  registerStorageNodeBackends(cluster.client);
  return { ...serviceStages(cluster.client, warn), remoteStages: cluster.remoteStages };
}

/**
 * A repository made before its files were private (0644 under umask 022) becomes so on the first
 * open: its directory, which every file is reached through, is closed to others. Configured
 * `permissions: group` leaves it alone; a directory dcs may not change stays as it is.
 */
async function keepPrivate(dir: string, config: RepositoryConfig, warn: ((message: string) => void) | undefined): Promise<void> {
  if ((config.permissions ?? 'private') !== 'private') return;
  const mode = (await stat(dir)).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  try {
    await chmod(dir, mode & 0o700);
    warn?.(`the repository directory ${dir} was readable by others (mode ${mode.toString(8)}); it is now ${(mode & 0o700).toString(8)} (set permissions: group in dcs.yaml to share it with its group)`);
  } catch {
    // Not ours to change (another owner, a read-only mount): reading still works.
  }
}

export async function openEngine(dirArg: string, options: OpenOptions = {}): Promise<OpenedEngine> {
  const dir = resolve(dirArg);
  const config = await readConfig(dir);
  await keepPrivate(dir, config, options.warn);
  const cluster = options.cluster ? await clusterStages(options.cluster, options.warn) : undefined;
  const backends = await openBackends(dir, config.backends, config.resilience, options.metricsRegistry, config.permissions).catch(async (err: unknown) => {
    cluster?.close();
    throw err;
  });
  let metadata: MetadataStore | undefined;
  let transformer: ChunkTransformer | undefined;
  let stopWatching = (): void => {};
  try {
    const unlock = config.encryption.enabled
      ? once(async () => {
          const keyFile = await loadKeyFile(dir, config, backends);
          if (!options.passphrase) throw new ConfigError('this repository is encrypted and no passphrase source was given');
          return unlockKeyFile(keyFile, await options.passphrase());
        })
      : undefined;
    let keys: RepositoryKeys | undefined;
    if (unlock && (options.unlock !== 'on-use' || cluster)) keys = await unlock();
    // Built from the keys now, or (key still locked) on first use.
    const keyed = <T>(make: (k: RepositoryKeys | undefined) => T, defer: (build: () => Promise<T>) => T): T =>
      unlock && !keys ? defer(async () => make(await unlock())) : make(keys);
    if (config.id === undefined) config.id = await adoptBackends(config, backends, options.initializeBackends === true);
    metadata = await openMetadata(dir, config.metadata, config.permissions);
    const workers = options.workers ?? config.performance.workers ?? Math.min(availableParallelism(), 8);
    const localTransformer = (k: RepositoryKeys | undefined): ChunkTransformer => (workers > 0 ? new WorkerPoolTransformer({ workers, ...(k ? { keys: k } : {}) }) : new InlineTransformer(k));
    const hasherOf = (k: RepositoryKeys | undefined): ChunkHasher => (k ? hmacHasher(k.idKey) : sha256Hasher());
    const localSource = (k: RepositoryKeys | undefined): ChunkSource => (workers > 0 ? workerChunkSource(k ? { idKey: k.idKey } : {}) : inlineChunkSource(hasherOf(k)));
    const remote = cluster?.remoteStages ? cluster : undefined;
    transformer = remote ? remote.transformer(config.services, keys, () => localTransformer(keys)) : keyed(localTransformer, (build) => new DeferredTransformer(build));
    const placement = new Placement(backends);
    watchBreakers(placement);
    let nodeStatus = (): ReadonlyMap<string, boolean> => new Map();
    if (options.watchNodes && cluster) {
      const { StorageNodeMonitor } = await import('../services/storage-node-monitor.ts');
      const monitor = new StorageNodeMonitor(placement, { onChange: options.watchNodes.onChange });
      await monitor.checkNow();
      nodeStatus = () => monitor.status;
      stopWatching = () => monitor.close();
    }
    const ctx: EngineContext = {
      metadata,
      placement,
      chunkSource: remote ? remote.chunkSource(config.services, keys, () => localSource(keys)) : keyed(localSource, deferredSource),
      // Small inputs are chunked inline, unless dcs.yaml gives chunking to a chunker service.
      ...(remote && (config.services?.chunker.length ?? 0) > 0 ? {} : { smallChunkSource: keyed((k) => inlineChunkSource(hasherOf(k)), deferredSource) }),
      hasher: once(async () => hasherOf(unlock ? await unlock() : undefined)),
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
    const opened = { metadata, transformer, stopWatching };
    return {
      dir,
      config,
      ctx,
      idKey: async () => (unlock ? (await unlock()).idKey : undefined),
      nodeStatus: () => nodeStatus(),
      close: async () => {
        opened.stopWatching();
        await opened.transformer.close();
        await opened.metadata.close();
        await closeBackends(backends);
        cluster?.close();
      },
    };
  } catch (err) {
    stopWatching();
    await transformer?.close();
    await metadata?.close();
    await closeBackends(backends);
    cluster?.close();
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
