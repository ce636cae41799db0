// The whole per-chunk transform: plain chunk ⇄ stored envelope. encode = compressChunk (falling
// back to `none` when that does not shrink the chunk) then seal (encrypt when the repository has
// keys, and frame); the two steps are separate so compression can run elsewhere (a compressor
// service) while keys and sealing stay with the orchestrator. decode checks the frame, decrypts,
// decompresses and verifies the chunk id, so no byte leaves it unverified. Constructed from plain
// data so worker threads can build their own.
import { hmacHasher, sha256Hasher, type ChunkHasher, type ChunkId } from './chunk-id.ts';
import { aes256gcm, CIPHER_NONE, SEAL_OVERHEAD, type ChunkCipher } from './cipher.ts';
import { chooseAutoCodec, codecById, codecByName, PACK_CODEC_ID, type CodecChoice } from './codecs.ts';
import { encodeEnvelope, headerPrefix, parseEnvelope, type EnvelopeHeader } from './envelope.ts';
import { ChunkCorruptError, UnknownCodecError } from './errors.ts';
import { tryFreeView } from './memory.ts';
import type { RepositoryKeys } from './keyfile.ts';

export interface ChunkCodecOptions {
  /** Present for encrypted repositories: HMAC chunk ids and AES-256-GCM payloads. */
  keys?: RepositoryKeys;
  /**
   * A client of an encrypted repository without its data key: ids are HMACs under this key, and
   * envelopes are built and read unencrypted (the orchestrator seals and unseals them).
   */
  idKey?: Uint8Array;
}

/** What an orchestrator does with an admitted chunk that arrived uncompressed. */
export interface Recompress {
  codec: CodecChoice;
  level?: number | undefined;
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

export interface CompressedChunk {
  /** Codec actually used (auto resolved; `none` when compression did not help). */
  codecId: number;
  /** The compressed bytes, or `plain` itself for codec `none`. */
  payload: Uint8Array;
}

/**
 * Compress one plain chunk with a codec choice. `auto` picks per chunk from a cheap probe; any codec
 * falls back to `none` when its output is not smaller, so stored chunks never grow. `level` is
 * ignored by codecs without levels and defaults to the codec's own default.
 */
export function compressChunk(plain: Uint8Array, choice: CodecChoice, level?: number): CompressedChunk {
  const codec = codecByName(choice === 'auto' ? chooseAutoCodec(plain) : choice);
  if (codec.id === 0) return { codecId: 0, payload: plain };
  const payload = codec.compress(plain, codec.levels ? (level ?? codec.levels.default) : undefined);
  if (payload.length >= plain.length) {
    if (payload !== plain) tryFreeView(payload);
    return { codecId: 0, payload: plain };
  }
  return { codecId: codec.id, payload };
}

/** Where admit decompresses what it only verifies: one per thread, as large as the largest chunk seen. */
let verifyScratch = new Uint8Array(0);

export class ChunkCodec {
  readonly encrypted: boolean;
  readonly #hasher: ChunkHasher;
  readonly #cipher: ChunkCipher | undefined;

  constructor(options: ChunkCodecOptions) {
    this.encrypted = options.keys !== undefined;
    const idKey = options.keys?.idKey ?? options.idKey;
    this.#hasher = idKey ? hmacHasher(idKey) : sha256Hasher();
    this.#cipher = options.keys ? aes256gcm(options.keys.chunkKey) : undefined;
  }

  id(plain: Uint8Array): ChunkId {
    return this.#hasher.id(plain);
  }

  encode(plain: Uint8Array, id: ChunkId, choice: CodecChoice, level?: number): EncodedChunk {
    const { codecId, payload } = compressChunk(plain, choice, level);
    const sealed = this.seal(plain.length, id, codecId, payload);
    // The envelope holds a copy: the compressor's output is garbage now, and a fresh 1 MiB buffer
    // left to the collector costs ~0.5 ms of page faults and GC here, one freed at once ~0.01 ms.
    if (payload !== plain) tryFreeView(payload);
    return sealed;
  }

  /**
   * Encrypt (when the repository has keys) and frame an already compressed payload. `codecId` and
   * `plainLength` go into the header, which is also the cipher's associated data together with the
   * id, so a sealed object cannot be moved to another id or relabelled with another codec.
   */
  seal(plainLength: number, id: ChunkId, codecId: number, payload: Uint8Array): EncodedChunk {
    // Only registered codec ids are ever written (the payload may come from another process).
    codecById(codecId);
    const cipherId = this.#cipher ? this.#cipher.id : CIPHER_NONE;
    let body = payload;
    if (this.#cipher) {
      const aad = concat(headerPrefix(codecId, cipherId, plainLength, payload.length + SEAL_OVERHEAD), idBytes(id));
      body = this.#cipher.seal(payload, aad);
    }
    const envelope = encodeEnvelope({ codecId, cipherId, plainLength }, body);
    // The sealed payload was copied into the envelope: freed now, not left to the collector.
    if (body !== payload) tryFreeView(body);
    return { id, envelope, codecId, rawSize: plainLength, storedSize: envelope.length };
  }

  /** Structural and checksum check only; needs no key and does not decompress. */
  check(envelope: Uint8Array, id: ChunkId, backend?: string): EnvelopeHeader {
    return parseEnvelope(envelope, id, backend).header;
  }

  /**
   * Take in an envelope a client built (unencrypted; the client has no data key): check its frame,
   * decompress it and verify the content against `id`, so no client can store bytes under an id
   * they do not hash to. Returns what to store: the client's bytes as they are for an unencrypted
   * repository, sealed with the repository's key otherwise; compressed first when it arrived
   * uncompressed and `recompress` names a codec.
   */
  admit(envelope: Uint8Array, id: ChunkId, maxPlain: number, recompress?: Recompress): EncodedChunk {
    const { header, payload } = parseEnvelope(envelope, id);
    const corrupt = (reason: string): ChunkCorruptError => new ChunkCorruptError(id, reason);
    if (header.cipherId !== CIPHER_NONE) throw corrupt('clients send chunks unencrypted (the orchestrator seals them)');
    if (header.plainLength > maxPlain) throw corrupt(`${header.plainLength} bytes is larger than the largest chunk (${maxPlain})`);
    // Decompressed only to check the id (and maybe recompress): into this thread's scratch buffer,
    // which costs no allocation, page faults or collection per chunk.
    if (verifyScratch.length < header.plainLength) verifyScratch = new Uint8Array(header.plainLength);
    const plain = this.#plainOf(header, payload, id, undefined, verifyScratch);
    if (recompress && header.codecId === 0 && recompress.codec !== 'none') return this.encode(plain, id, recompress.codec, recompress.level);
    if (plain !== payload && plain.buffer !== verifyScratch.buffer) tryFreeView(plain);
    if (!this.#cipher) return { id, envelope, codecId: header.codecId, rawSize: header.plainLength, storedSize: envelope.length };
    return this.seal(header.plainLength, id, header.codecId, payload);
  }

  /**
   * A stored envelope as a client without the data key can read it: frame checked (bit rot is
   * found here, before it is sent), decrypted and re-framed unencrypted in an encrypted repository,
   * the same bytes otherwise. The client decompresses and verifies the id.
   */
  unseal(envelope: Uint8Array, id: ChunkId, backend?: string): Uint8Array {
    const { header, payload } = parseEnvelope(envelope, id, backend);
    if (header.cipherId === CIPHER_NONE) {
      if (this.#cipher) throw new ChunkCorruptError(id, 'object is not encrypted in an encrypted repository', backend);
      return envelope;
    }
    const body = this.#open(header, payload, id, backend);
    const plainEnvelope = encodeEnvelope({ codecId: header.codecId, cipherId: CIPHER_NONE, plainLength: header.plainLength }, body);
    tryFreeView(body);
    return plainEnvelope;
  }

  #open(header: EnvelopeHeader, payload: Uint8Array, id: ChunkId, backend: string | undefined): Uint8Array {
    const corrupt = (reason: string): ChunkCorruptError => new ChunkCorruptError(id, reason, backend);
    if (!this.#cipher) throw corrupt('object is encrypted but the repository has no key');
    if (header.cipherId !== this.#cipher.id) throw corrupt(`unknown cipher id ${header.cipherId}`);
    const aad = concat(headerPrefix(header.codecId, header.cipherId, header.plainLength, header.payloadLength), idBytes(id));
    try {
      return this.#cipher.open(payload, aad);
    } catch {
      throw corrupt('authentication failed (wrong key, or the object was altered or swapped)');
    }
  }

  /**
   * A pack is never encrypted (its members are, one by one); its keyed id over the payload is what
   * keeps a storage provider from substituting one.
   */
  #packPayload(header: EnvelopeHeader, payload: Uint8Array, id: ChunkId, backend: string | undefined): Uint8Array {
    const corrupt = (reason: string): ChunkCorruptError => new ChunkCorruptError(id, reason, backend);
    if (header.cipherId !== CIPHER_NONE) throw corrupt('a pack object must not be encrypted');
    if (header.plainLength !== payload.length) throw corrupt(`pack payload is ${payload.length} bytes, header says ${header.plainLength}`);
    if (this.#hasher.id(payload) !== id) throw corrupt('content does not match its chunk id');
    return payload;
  }

  #plainOf(header: EnvelopeHeader, body: Uint8Array, id: ChunkId, backend?: string, into?: Uint8Array): Uint8Array {
    const corrupt = (reason: string): ChunkCorruptError => new ChunkCorruptError(id, reason, backend);
    let plain: Uint8Array;
    try {
      plain = codecById(header.codecId).decompress(body, header.plainLength, into);
    } catch (err) {
      if (err instanceof UnknownCodecError) throw corrupt(`unknown codec id ${header.codecId}`);
      throw corrupt(`cannot decompress: ${(err as Error).message}`);
    }
    if (this.#hasher.id(plain) !== id) throw corrupt('content does not match its chunk id');
    return plain;
  }

  decode(envelope: Uint8Array, id: ChunkId, backend?: string): Uint8Array {
    const { header, payload } = parseEnvelope(envelope, id, backend);
    if (header.codecId === PACK_CODEC_ID) return this.#packPayload(header, payload, id, backend);
    if (header.cipherId === CIPHER_NONE && this.#cipher) throw new ChunkCorruptError(id, 'object is not encrypted in an encrypted repository', backend);
    const body = header.cipherId === CIPHER_NONE ? payload : this.#open(header, payload, id, backend);
    try {
      return this.#plainOf(header, body, id, backend);
    } finally {
      // The decrypted payload dies here (an uncompressed chunk's plain bytes are the envelope's).
      if (body !== payload && header.codecId !== 0) tryFreeView(body);
    }
  }
}
