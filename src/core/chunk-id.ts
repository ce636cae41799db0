// Chunk identity: SHA-256 of the plain chunk, or HMAC-SHA-256 under the repository's id key when the
// repository is encrypted (so a storage provider cannot confirm that it holds known content).
import { createHash, createHmac, createSecretKey } from 'node:crypto';

/** Hex-encoded 32-byte chunk id (64 lowercase hex characters). */
export type ChunkId = string;

export const CHUNK_ID_PATTERN = /^[0-9a-f]{64}$/;

export interface ChunkHasher {
  readonly kind: 'sha256' | 'hmac-sha256';
  id(plain: Uint8Array): ChunkId;
}

export function sha256Hasher(): ChunkHasher {
  return { kind: 'sha256', id: (plain) => createHash('sha256').update(plain).digest('hex') };
}

export function hmacHasher(idKey: Uint8Array): ChunkHasher {
  // One KeyObject for every chunk: a raw key makes Node build a new one per HMAC.
  const key = createSecretKey(Buffer.from(idKey));
  return { kind: 'hmac-sha256', id: (plain) => createHmac('sha256', key).update(plain).digest('hex') };
}

export function isChunkId(s: string): boolean {
  return CHUNK_ID_PATTERN.test(s);
}
