// Backend URL → BlobStore: the one table of schemes. Each scheme says how to open a store and
// whether it is reached over a network (the repository then wraps it in timeouts, retries and a
// circuit breaker by default). Cloud stores are lazy import()s, so a user who never configures
// one never loads its SDK.
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import type { BlobStore } from './blob-store.ts';
import type { Sharing } from '../core/file-modes.ts';
import { FsBlobStore } from './fs-store.ts';
import { MemoryBlobStore } from './memory-store.ts';

export interface BackendSpec {
  name: string;
  url: string;
  /** Who may read a local backend's files (fs: only). */
  sharing?: Sharing;
}

export type Factory = (spec: BackendSpec, rest: string, baseDir: string) => Promise<BlobStore>;

interface Scheme {
  open: Factory;
  /** Reached over a network (fails transiently), as opposed to a local disk or memory. */
  network: boolean;
}

/** Process-wide named memory stores, so `mem:NAME` survives reopening a repository in one process. */
const memoryStores = new Map<string, MemoryBlobStore>();

const SCHEMES: Record<string, Scheme> = {
  fs: {
    network: false,
    open: async (spec, rest, baseDir) => new FsBlobStore({ name: spec.name, root: isAbsolute(rest) ? rest : resolve(baseDir, rest), ...(spec.sharing ? { sharing: spec.sharing } : {}) }),
  },
  mem: {
    network: false,
    open: async (spec, rest) => {
      let store = memoryStores.get(rest);
      if (!store) {
        store = new MemoryBlobStore({ name: spec.name });
        memoryStores.set(rest, store);
      }
      return store;
    },
  },
  // s3://BUCKET[/PREFIX]?region=…&endpoint=…&path_style=true, azure://CONTAINER[/PREFIX] and
  // gs://BUCKET[/PREFIX]: credentials come from the environment (docs/backends.md).
  s3: { network: true, open: async (spec, rest) => (await import('./s3-store.ts')).openS3BlobStore(spec.name, rest) },
  azure: { network: true, open: async (spec, rest) => (await import('./azure-store.ts')).openAzureBlobStore(spec.name, rest) },
  gs: { network: true, open: async (spec, rest) => (await import('./gcs-store.ts')).openGcsBlobStore(spec.name, rest) },
};

export const SUPPORTED_SCHEMES: string[] = Object.keys(SCHEMES);

/**
 * Add a backend scheme implemented by a higher layer (storage nodes over gRPC live in services,
 * which this layer must not import). Registered before any repository is opened. Such schemes
 * reach their backend over a network unless they say otherwise.
 */
export function registerBackendScheme(scheme: string, factory: Factory, options: { network?: boolean } = {}): void {
  SCHEMES[scheme] = { open: factory, network: options.network ?? true };
  if (!SUPPORTED_SCHEMES.includes(scheme)) SUPPORTED_SCHEMES.push(scheme);
}

export function parseBackendUrl(url: string): { scheme: string; rest: string } {
  const m = /^([a-z][a-z0-9+.-]*):(.*)$/i.exec(url);
  if (!m) throw new ConfigError(`invalid backend URL ${JSON.stringify(url)} (expected SCHEME:LOCATION, e.g. fs:/srv/dcs)`);
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!.replace(/^\/\/(?=\/)/, '');
  if (!(scheme in SCHEMES)) {
    throw new ConfigError(`unknown backend URL scheme '${scheme}' in ${JSON.stringify(url)} (supported: ${SUPPORTED_SCHEMES.join(', ')})`);
  }
  if (rest.length === 0) throw new ConfigError(`backend URL ${JSON.stringify(url)} has no location (e.g. ${scheme}:/srv/dcs)`);
  return { scheme, rest };
}

export async function openBlobStore(spec: BackendSpec, baseDir = process.cwd()): Promise<BlobStore> {
  const { scheme, rest } = parseBackendUrl(spec.url);
  return SCHEMES[scheme]!.open(spec, rest, baseDir);
}

/** Whether the backend at this URL is reached over a network (s3, azure, gs, grpc, …) rather than a local disk. */
export function isNetworkBackend(url: string): boolean {
  return SCHEMES[parseBackendUrl(url).scheme]!.network;
}
