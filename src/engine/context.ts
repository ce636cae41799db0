// What every engine operation needs, assembled by the repository layer from dcs.yaml. Operations
// are written against these interfaces only, so they run the same over any stores and transformers.
import type { ChunkHasher } from '../core/chunk-id.ts';
import type { ChunkerParams } from '../core/chunker.ts';
import type { CodecChoice } from '../core/codecs.ts';
import type { MetadataStore } from '../metadata/metadata-store.ts';
import type { Placement } from '../storage/placement.ts';
import type { ChunkSource } from './chunk-source.ts';
import type { ChunkTransformer } from './chunk-transformer.ts';

export interface EngineLimits {
  /** Chunks being compressed/written at once during an upload (memory ≈ this × 2 × max chunk). */
  inFlightChunks: number;
  /** Chunks fetched ahead of the one being written out during a download. */
  readAhead: number;
  /** Storage operations at once for verify, repair and gc. */
  maintenanceConcurrency: number;
}

/** k+m erasure coding instead of whole replicas (see docs/erasure.md). */
export interface ErasurePolicy {
  /** k: data shards; any k valid shards rebuild a chunk. */
  data: number;
  /** m: parity shards. */
  parity: number;
  /** Shards that must be durable for a write to succeed (k+1..k+m). */
  successThreshold: number;
  /**
   * Repair rebuilds a chunk's shards that have no usable home once at most this many are healthy
   * (k..successThreshold-1); shards found missing or corrupt on their backend are always rewritten.
   */
  repairThreshold: number;
}

export interface EngineContext {
  metadata: MetadataStore;
  placement: Placement;
  /** Splits and identifies input (inline, or in a worker thread). */
  chunkSource: ChunkSource;
  /** Chunks inputs of a few chunks on the calling thread (no worker or service round trip to start). */
  smallChunkSource?: ChunkSource;
  transformer: ChunkTransformer;
  /**
   * The repository's chunk ids (SHA-256, or HMAC under the id key): names pack objects; without it
   * nothing is packed. A promise: an encrypted repository's id key may not be unlocked yet.
   */
  hasher?: () => Promise<ChunkHasher>;
  /** Copies of every chunk on distinct backends. */
  replicas: number;
  /**
   * Fewest copies a write may succeed with (default: replicas). Below replicas the version is
   * degraded: visible, recorded as under-replicated, and completed by `dcs repair`.
   */
  minCopies?: number;
  /** When set, new chunks are stored as k+m shards (and `replicas` is k+m, one shard per backend). */
  erasure?: ErasurePolicy;
  chunker: ChunkerParams;
  compression: { codec: CodecChoice; level?: number };
  limits: EngineLimits;
  now(): number;
  /** Non-fatal events worth telling an operator about (healed copies, failed heals). */
  warn(message: string): void;
}

export const DEFAULT_LIMITS: EngineLimits = { inFlightChunks: 8, readAhead: 12, maintenanceConcurrency: 8 };
