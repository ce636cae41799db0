// `dcs init`: a new repository directory (dcs.yaml, key file) and its markers on every backend.
import { randomUUID } from 'node:crypto';
import { chmod, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DEFAULT_CHUNKER, type ChunkerParams } from '../core/chunker.ts';
import type { CodecChoice } from '../core/codecs.ts';
import { DcsError, RepositoryExistsError } from '../core/errors.ts';
import { createKeyFile, type KeyFile } from '../core/keyfile.ts';
import { fileModes, type Sharing } from '../core/file-modes.ts';
import { parseBackendUrl } from '../storage/registry.ts';
import { resolveEncoding } from '../core/input/encoding.ts';
import { CONFIG_FILE, CONFIG_VERSION, DEFAULT_COMPRESSION, parseConfig, renderConfig, type BackendConfig, type RepositoryConfig } from './config.ts';
import { closeBackends, exists, KEY_FILE, KEY_OBJECT_KEY, markerOf, openBackends, openMetadata, REPO_MARKER_KEY, writeFileAtomic } from './stores.ts';

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
  /** Who may read the repository's local files (default: only its owner). */
  permissions?: Sharing;
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
    compression: resolveEncoding(options, DEFAULT_COMPRESSION),
    encryption: options.passphrase === undefined ? { enabled: false } : { enabled: true, keyFile: KEY_FILE },
    permissions: options.permissions ?? 'private',
    performance: {},
  };
  // Validate exactly as open will, before touching anything.
  const validated = parseConfig(renderConfig(config), join(dir, CONFIG_FILE));
  const modes = fileModes(validated.permissions);
  await mkdir(dir, { recursive: true, mode: modes.dir });
  // The directory may have existed (made by the user, under their umask): a new repository is private all the same.
  await chmod(dir, modes.dir);

  const opened = await openBackends(dir, validated.backends, undefined, undefined, validated.permissions);
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
    if (keyFile) await writeFileAtomic(join(dir, KEY_FILE), JSON.stringify(keyFile, null, 2), modes.file);
    const metadata = await openMetadata(dir, validated.metadata, validated.permissions);
    await metadata.close();
    await writeFileAtomic(join(dir, CONFIG_FILE), renderConfig(validated), modes.file);
  } finally {
    await closeBackends(opened);
  }
  return validated;
}
