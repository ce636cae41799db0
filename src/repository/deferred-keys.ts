// The parts of an engine that need an encrypted repository's keys, built the first time one is
// used. Unlocking costs ~0.3 s of scrypt and 32 MiB, and listing, stat, stats, rm and a shallow
// verify read only metadata (which is not encrypted), so those commands never pay it.
import type { ChunkId } from '../core/chunk-id.ts';
import type { EncodedChunk, Recompress } from '../core/chunk-codec.ts';
import type { CodecChoice } from '../core/codecs.ts';
import type { ChunkSource } from '../engine/chunk-source.ts';
import type { ChunkTransformer, EncodeOptions } from '../engine/chunk-transformer.ts';

/** `fn` run at most once; every caller gets its one result (or its one error). */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= fn());
}

export class DeferredTransformer implements ChunkTransformer {
  readonly #build: () => Promise<ChunkTransformer>;
  #inner: Promise<ChunkTransformer> | undefined;

  constructor(build: () => Promise<ChunkTransformer>) {
    this.#build = build;
  }

  #get(): Promise<ChunkTransformer> {
    return (this.#inner ??= this.#build());
  }

  async encode(plain: Uint8Array, id: ChunkId, codec: CodecChoice, level?: number, options?: EncodeOptions): Promise<EncodedChunk> {
    return (await this.#get()).encode(plain, id, codec, level, options);
  }

  async decode(envelope: Uint8Array, id: ChunkId, backend?: string): Promise<Uint8Array> {
    return (await this.#get()).decode(envelope, id, backend);
  }

  async admit(envelope: Uint8Array, id: ChunkId, maxPlain: number, recompress?: Recompress): Promise<EncodedChunk> {
    return (await this.#get()).admit(envelope, id, maxPlain, recompress);
  }

  async unseal(envelope: Uint8Array, id: ChunkId, backend?: string): Promise<Uint8Array> {
    return (await this.#get()).unseal(envelope, id, backend);
  }

  async close(): Promise<void> {
    // Never built (or its keys never unlocked): nothing to close.
    const inner = await this.#inner?.catch(() => undefined);
    await inner?.close();
  }
}

export function deferredSource(build: () => Promise<ChunkSource>): ChunkSource {
  return async function* (input, params) {
    yield* (await build())(input, params);
  };
}
