// An EngineContext over memory (or given) stores, in-memory SQLite and the inline transformer,
// with small chunks so tests exercise many chunks on little data.
import { hmacHasher, sha256Hasher } from '../../src/core/chunk-id.ts';
import type { ChunkerParams } from '../../src/core/chunker.ts';
import type { RepositoryKeys } from '../../src/core/keyfile.ts';
import { inlineChunkSource } from '../../src/engine/chunk-source.ts';
import { InlineTransformer } from '../../src/engine/chunk-transformer.ts';
import { DEFAULT_LIMITS, type EngineContext, type ErasurePolicy } from '../../src/engine/context.ts';
import { openSqliteMetadata } from '../../src/metadata/sqlite-store.ts';
import type { BlobStore } from '../../src/storage/blob-store.ts';
import { MemoryBlobStore } from '../../src/storage/memory-store.ts';
import { Placement } from '../../src/storage/placement.ts';

export const SMALL_CHUNKS: ChunkerParams = { kind: 'fastcdc', min: 4096, avg: 16384, max: 65536 };

export interface TestEngine {
  ctx: EngineContext;
  stores: BlobStore[];
  warnings: string[];
  close(): Promise<void>;
}

export async function testEngine(
  options: {
    backends?: number;
    stores?: BlobStore[];
    replicas?: number;
    /** Store chunks as k+m erasure shards (replicas becomes k+m). */
    erasure?: ErasurePolicy;
    keys?: RepositoryKeys;
    chunker?: ChunkerParams;
    now?: () => number;
  } = {},
): Promise<TestEngine> {
  const stores = options.stores ?? Array.from({ length: options.backends ?? 1 }, (_, i) => new MemoryBlobStore({ name: `m${i + 1}` }));
  const metadata = await openSqliteMetadata(':memory:', options.now ? { now: options.now } : {});
  await metadata.migrate();
  const warnings: string[] = [];
  const hasher = options.keys ? hmacHasher(options.keys.idKey) : sha256Hasher();
  const transformer = new InlineTransformer(options.keys);
  const ctx: EngineContext = {
    metadata,
    placement: new Placement(stores.map((store) => ({ name: store.name, store, weight: 1 }))),
    chunkSource: inlineChunkSource(hasher),
    hasher: async () => hasher,
    transformer,
    replicas: options.erasure ? options.erasure.data + options.erasure.parity : (options.replicas ?? 1),
    ...(options.erasure ? { erasure: options.erasure } : {}),
    chunker: options.chunker ?? SMALL_CHUNKS,
    compression: { codec: 'zstd', level: 3 },
    limits: { ...DEFAULT_LIMITS },
    now: options.now ?? (() => Date.now()),
    warn: (m) => warnings.push(m),
  };
  return {
    ctx,
    stores,
    warnings,
    close: async () => {
      await transformer.close();
      await metadata.close();
    },
  };
}
