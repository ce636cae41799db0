// The whole per-chunk transform: plain chunk ⇄ stored envelope. encode compresses (falling back to
// `none` when that does not shrink the chunk), encrypts when the repository has keys, and frames
// the result; decode checks the frame, decrypts, decompresses and verifies the chunk id, so no
// byte leaves it unverified. Constructed from plain data so worker threads can build their own.
import { hmacHasher, sha256Hasher, type ChunkHasher, type ChunkId } from './chunk-id.ts';
import { aes256gcm, CIPHER_NONE, type ChunkCipher } from './cipher.ts';
import { chooseAutoCodec, codecById, codecByName, type CodecChoice } from './codecs.ts';
import { encodeEnvelope, headerPrefix, parseEnvelope, type EnvelopeHeader } from './envelope.ts';
import { ChunkCorruptError, UnknownCodecError } from './errors.ts';
import type { RepositoryKeys } from './keyfile.ts';
import { SEAL_OVERHEAD } from './cipher.ts';

export interface ChunkCodecOptions {
  /** Present for encrypted repositories: HMAC chunk ids and AES-256-GCM payloads. */
  keys?: RepositoryKeys;
}

export interface EncodedChunk {
  id: ChunkId;
  envelope: Uint8Array;
  /** Codec actually used (auto resolved; `none` when compression did not help). */
  codecId: number;
  rawSize: number;
  storedSize: number;
}

function idBytes(id: ChunkId): Uint8Array {
  return Buffer.from(id, 'hex');
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export class ChunkCodec {
  readonly encrypted: boolean;
  readonly #hasher: ChunkHasher;
  readonly #cipher: ChunkCipher | undefined;

  constructor(options: ChunkCodecOptions) {
    this.encrypted = options.keys !== undefined;
    this.#hasher = options.keys ? hmacHasher(options.keys.idKey) : sha256Hasher();
    this.#cipher = options.keys ? aes256gcm(options.keys.chunkKey) : undefined;
  }

  id(plain: Uint8Array): ChunkId {
    return this.#hasher.id(plain);
  }

  encode(plain: Uint8Array, id: ChunkId, choice: CodecChoice, level?: number): EncodedChunk {
    let codec = codecByName(choice === 'auto' ? chooseAutoCodec(plain) : choice);
    let payload = codec.id === 0 ? plain : codec.compress(plain, codec.levels ? (level ?? codec.levels.default) : undefined);
    if (payload.length >= plain.length && codec.id !== 0) {
      codec = codecByName('none');
      payload = plain;
    }
    const cipherId = this.#cipher ? this.#cipher.id : CIPHER_NONE;
    if (this.#cipher) {
      const aad = concat(headerPrefix(codec.id, cipherId, plain.length, payload.length + SEAL_OVERHEAD), idBytes(id));
      payload = this.#cipher.seal(payload, aad);
    }
    const envelope = encodeEnvelope({ codecId: codec.id, cipherId, plainLength: plain.length }, payload);
    return { id, envelope, codecId: codec.id, rawSize: plain.length, storedSize: envelope.length };
  }

  /** Structural and checksum check only; needs no key and does not decompress. */
  check(envelope: Uint8Array, id: ChunkId, backend?: string): EnvelopeHeader {
    return parseEnvelope(envelope, id, backend).header;
  }

  decode(envelope: Uint8Array, id: ChunkId, backend?: string): Uint8Array {
    const { header, payload } = parseEnvelope(envelope, id, backend);
    const corrupt = (reason: string): ChunkCorruptError => new ChunkCorruptError(id, reason, backend);
    let body = payload;
    if (header.cipherId !== CIPHER_NONE) {
      if (!this.#cipher) throw corrupt('object is encrypted but the repository has no key');
      if (header.cipherId !== this.#cipher.id) throw corrupt(`unknown cipher id ${header.cipherId}`);
      const aad = concat(headerPrefix(header.codecId, header.cipherId, header.plainLength, header.payloadLength), idBytes(id));
      try {
        body = this.#cipher.open(payload, aad);
      } catch {
        throw corrupt('authentication failed (wrong key, or the object was altered or swapped)');
      }
    } else if (this.#cipher) {
      throw corrupt('object is not encrypted in an encrypted repository');
    }
    let plain: Uint8Array;
    try {
      plain = codecById(header.codecId).decompress(body, header.plainLength);
    } catch (err) {
      if (err instanceof UnknownCodecError) throw corrupt(`unknown codec id ${header.codecId}`);
      throw corrupt(`cannot decompress: ${(err as Error).message}`);
    }
    if (this.#hasher.id(plain) !== id) throw corrupt('content does not match its chunk id');
    return plain;
  }
}
