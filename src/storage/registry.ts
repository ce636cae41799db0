// Backend URL → BlobStore. An explicit table of schemes; cloud stores will be added as lazy
// import()s so that a user who never configures them never loads their SDKs.
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import type { BlobStore } from './blob-store.ts';
import { FsBlobStore } from './fs-store.ts';
import { MemoryBlobStore } from './memory-store.ts';

export interface BackendSpec {
  name: string;
  url: string;
}

export type Factory = (spec: BackendSpec, rest: string, baseDir: string) => Promise<BlobStore>;

/** Process-wide named memory stores, so `mem:NAME` survives reopening a repository in one process. */
const memoryStores = new Map<string, MemoryBlobStore>();

const FACTORIES: Record<string, Factory> = {
  fs: async (spec, rest, baseDir) => new FsBlobStore({ name: spec.name, root: isAbsolute(rest) ? rest : resolve(baseDir, rest) }),
  mem: async (spec, rest) => {
    let store = memoryStores.get(rest);
    if (!store) {
      store = new MemoryBlobStore({ name: spec.name });
      memoryStores.set(rest, store);
    }
    return store;
  },
  // s3://BUCKET[/PREFIX]?region=…&endpoint=…&path_style=true and azure://CONTAINER[/PREFIX]:
  // SDKs loaded only when configured; credentials come from the environment (docs/backends.md).
  s3: async (spec, rest) => (await import('./s3-store.ts')).openS3BlobStore(spec.name, rest),
  azure: async (spec, rest) => (await import('./azure-store.ts')).openAzureBlobStore(spec.name, rest),
  // gs://BUCKET[/PREFIX]: the SDK is loaded only when a GCS backend is configured.
  gs: async (spec, rest) => (await import('./gcs-store.ts')).openGcsBlobStore(spec.name, rest),
};

export const SUPPORTED_SCHEMES: string[] = Object.keys(FACTORIES);

/**
 * Add a backend scheme implemented by a higher layer (storage nodes over gRPC live in services,
 * which this layer must not import). Registered before any repository is opened.
 */
export function registerBackendScheme(scheme: string, factory: Factory): void {
  FACTORIES[scheme] = factory;
  if (!SUPPORTED_SCHEMES.includes(scheme)) SUPPORTED_SCHEMES.push(scheme);
}

export function parseBackendUrl(url: string): { scheme: string; rest: string } {
  const m = /^([a-z][a-z0-9+.-]*):(.*)$/i.exec(url);
  if (!m) throw new ConfigError(`invalid backend URL ${JSON.stringify(url)} (expected SCHEME:LOCATION, e.g. fs:/srv/dcs)`);
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!.replace(/^\/\/(?=\/)/, '');
  if (!(scheme in FACTORIES)) {
    throw new ConfigError(`unknown backend URL scheme '${scheme}' in ${JSON.stringify(url)} (supported: ${SUPPORTED_SCHEMES.join(', ')})`);
  }
  if (rest.length === 0) throw new ConfigError(`backend URL ${JSON.stringify(url)} has no location (e.g. ${scheme}:/srv/dcs)`);
  return { scheme, rest };
}

export async function openBlobStore(spec: BackendSpec, baseDir = process.cwd()): Promise<BlobStore> {
  const { scheme, rest } = parseBackendUrl(spec.url);
  return FACTORIES[scheme]!(spec, rest, baseDir);
}
