// Cipher registry with stable ids (written into every envelope header): none = 0, aes-256-gcm = 1.
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import { freeView } from './memory.ts';

export const CIPHER_NONE = 0;
export const CIPHER_AES_256_GCM = 1;

export interface ChunkCipher {
  readonly id: number;
  /** Returns nonce ‖ ciphertext ‖ tag. */
  seal(plain: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Throws when authentication fails (wrong key, tampered data or associated data). */
  open(sealed: Uint8Array, aad: Uint8Array): Uint8Array;
}

const NONCE = 12;
const TAG = 16;

/** AES-256-GCM with a fresh random 96-bit nonce per chunk (2^32 chunks per key keeps collision odds negligible). */
export function aes256gcm(key: Uint8Array): ChunkCipher {
  if (key.length !== 32) throw new RangeError('AES-256-GCM needs a 32-byte key');
  // One KeyObject for every chunk: a raw key makes Node build a new one per cipher.
  const k = createSecretKey(Buffer.from(key));
  return {
    id: CIPHER_AES_256_GCM,
    seal(plain, aad) {
      const out = new Uint8Array(NONCE + plain.length + TAG);
      const nonce = randomBytes(NONCE);
      out.set(nonce, 0);
      const c = createCipheriv('aes-256-gcm', k, nonce);
      c.setAAD(aad);
      const body = c.update(plain);
      out.set(body, NONCE);
      const length = body.length;
      // Copied: freed now rather than left to the collector (see core/memory.ts).
      freeView(body);
      const fin = c.final();
      out.set(fin, NONCE + length);
      out.set(c.getAuthTag(), NONCE + length + fin.length);
      return out;
    },
    open(sealed, aad) {
      if (sealed.length < NONCE + TAG) throw new Error('sealed payload too short');
      const d = createDecipheriv('aes-256-gcm', k, sealed.subarray(0, NONCE));
      d.setAAD(aad);
      d.setAuthTag(sealed.subarray(sealed.length - TAG));
      const body = d.update(sealed.subarray(NONCE, sealed.length - TAG));
      const fin = d.final();
      if (fin.length === 0) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
      return new Uint8Array(Buffer.concat([body, fin]));
    },
  };
}

export const SEAL_OVERHEAD = NONCE + TAG;
