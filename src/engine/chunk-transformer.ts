// Where the CPU-heavy per-chunk work (compress + encrypt + envelope, and the reverse with
// verification) runs. The engine sees one interface; an inline implementation runs on the calling
// thread (tests, tiny jobs), a worker pool spreads chunks over cores (the default), and
// RemoteTransformer (src/services) sends the compression to compressor services.
import type { ChunkId } from '../core/chunk-id.ts';
import { ChunkCodec, type EncodedChunk, type Recompress } from '../core/chunk-codec.ts';
import type { CodecChoice } from '../core/codecs.ts';
import type { RepositoryKeys } from '../core/keyfile.ts';

export interface EncodeOptions {
  /**
   * The caller keeps `plain` (a view of its own buffer): encode must not take, transfer or free
   * it, and runs on the calling thread where it can. For many small chunks (a group of small
   * files), whose compression costs less than starting a worker thread would.
   */
  here?: boolean;
}

export interface ChunkTransformer {
  /**
   * Compress/encrypt a plain chunk into its stored envelope. May take ownership of `plain`'s memory.
   * The envelope is a fresh buffer the caller owns outright (it may free it once written).
   */
  encode(plain: Uint8Array, id: ChunkId, codec: CodecChoice, level?: number, options?: EncodeOptions): Promise<EncodedChunk>;
  /** Verify and decode an envelope back to the plain chunk. May take ownership of `envelope`'s memory. */
  decode(envelope: Uint8Array, id: ChunkId, backend?: string): Promise<Uint8Array>;
  /**
   * Verify a client's unencrypted envelope against `id` and return what to store (ChunkCodec.admit).
   * May take ownership of `envelope`'s memory; the result's envelope may be that same memory.
   */
  admit(envelope: Uint8Array, id: ChunkId, maxPlain: number, recompress?: Recompress): Promise<EncodedChunk>;
  /** A stored envelope as a client without the data key reads it (ChunkCodec.unseal). May take ownership. */
  unseal(envelope: Uint8Array, id: ChunkId, backend?: string): Promise<Uint8Array>;
  close(): Promise<void>;
}

export class InlineTransformer implements ChunkTransformer {
  readonly #codec: ChunkCodec;

  constructor(keys?: RepositoryKeys) {
    this.#codec = new ChunkCodec(keys ? { keys } : {});
  }

  async encode(plain: Uint8Array, id: ChunkId, codec: CodecChoice, level?: number): Promise<EncodedChunk> {
    return this.#codec.encode(plain, id, codec, level);
  }

  async decode(envelope: Uint8Array, id: ChunkId, backend?: string): Promise<Uint8Array> {
    return this.#codec.decode(envelope, id, backend);
  }

  async admit(envelope: Uint8Array, id: ChunkId, maxPlain: number, recompress?: Recompress): Promise<EncodedChunk> {
    return this.#codec.admit(envelope, id, maxPlain, recompress);
  }

  async unseal(envelope: Uint8Array, id: ChunkId, backend?: string): Promise<Uint8Array> {
    return this.#codec.unseal(envelope, id, backend);
  }

  async close(): Promise<void> {}
}
