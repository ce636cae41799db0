// Messages between WorkerPoolTransformer and its chunk workers.
import type { EncodedChunk } from '../core/chunk-codec.ts';
import type { ChunkerParams } from '../core/chunker.ts';
import type { CodecChoice } from '../core/codecs.ts';
import type { RepositoryKeys } from '../core/keyfile.ts';

export interface WorkerSetup {
  keys?: RepositoryKeys;
}

export type WorkerRequest =
  | { seq: number; op: 'encode'; data: Uint8Array; id: string; codec: CodecChoice; level: number | undefined }
  | { seq: number; op: 'decode'; data: Uint8Array; id: string; backend: string | undefined };

export type WorkerReply =
  | { seq: number; ok: true; encoded: EncodedChunk }
  | { seq: number; ok: true; plain: Uint8Array }
  | { seq: number; ok: false; kind: 'corrupt'; chunkId: string; reason: string; backend: string | undefined; message: string }
  | { seq: number; ok: false; kind: 'dcs'; code: string; message: string }
  | { seq: number; ok: false; kind: 'bug'; message: string };

export interface ChunkerSetup {
  params: ChunkerParams;
  /** HMAC key for chunk ids in encrypted repositories. */
  idKey?: Uint8Array;
}

export type ChunkerRequest = { type: 'data'; data: Uint8Array } | { type: 'end' };

export type ChunkerReply =
  | { type: 'chunk'; id: string; data: Uint8Array }
  | { type: 'consumed' }
  | { type: 'done' }
  | { type: 'error'; message: string };
