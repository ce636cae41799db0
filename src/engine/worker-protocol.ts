// Messages between WorkerPoolTransformer and its chunk workers.
import type { CompressedChunk, EncodedChunk, Recompress } from '../core/chunk-codec.ts';
import type { ChunkerParams } from '../core/chunker.ts';
import type { CodecChoice } from '../core/codecs.ts';
import type { RepositoryKeys } from '../core/keyfile.ts';

export interface WorkerSetup {
  keys?: RepositoryKeys;
  /** A client's id key without the data key (ChunkCodecOptions.idKey). */
  idKey?: Uint8Array;
}

export type WorkerRequest =
  | { seq: number; op: 'encode'; data: Uint8Array; id: string; codec: CodecChoice; level: number | undefined }
  | { seq: number; op: 'decode'; data: Uint8Array; id: string; backend: string | undefined }
  // An orchestrator taking in a client's envelope, and handing a stored one out (ChunkCodec.admit/unseal).
  | { seq: number; op: 'admit'; data: Uint8Array; id: string; maxPlain: number; recompress: Recompress | undefined }
  | { seq: number; op: 'unseal'; data: Uint8Array; id: string; backend: string | undefined }
  // Compression alone (compressor services: no keys, no envelope).
  | { seq: number; op: 'compress'; data: Uint8Array; codec: CodecChoice; level: number | undefined }
  | { seq: number; op: 'decompress'; data: Uint8Array; codecId: number; plainLength: number };

export type WorkerReply =
  | { seq: number; ok: true; encoded: EncodedChunk }
  | { seq: number; ok: true; plain: Uint8Array }
  | { seq: number; ok: true; envelope: Uint8Array }
  | { seq: number; ok: true; compressed: CompressedChunk }
  | { seq: number; ok: false; kind: 'corrupt'; chunkId: string; reason: string; backend: string | undefined; message: string }
  | { seq: number; ok: false; kind: 'dcs'; code: string; message: string }
  | { seq: number; ok: false; kind: 'bug'; message: string };

export interface ChunkerSetup {
  params: ChunkerParams;
  /** HMAC key for chunk ids in encrypted repositories. */
  idKey?: Uint8Array;
  /** Chunks the worker may have produced ahead of the consumer. */
  outputCredit: number;
  /** Read this open file (owned and closed by the main thread) instead of waiting for 'data' messages. */
  fd?: number;
}

/** 'taken': the consumer took one chunk, so the worker may produce another. */
export type ChunkerRequest = { type: 'data'; data: Uint8Array } | { type: 'end' } | { type: 'taken' };

export type ChunkerReply =
  | { type: 'chunk'; id: string; data: Uint8Array }
  | { type: 'consumed' }
  | { type: 'done' }
  | { type: 'error'; message: string };

/**
 * Heap limits for chunk workers: they keep almost nothing on the JavaScript heap, and V8's default
 * young generation (tens of MB per thread) would otherwise count against every worker's memory.
 */
export const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 };
