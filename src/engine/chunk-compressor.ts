// Compression alone, without keys or framing: what a compressor service runs for its callers. The
// worker pool (worker-transformer.ts) implements it too, so a compressor process spreads chunks
// over all its cores; the inline form serves tests and callers that are already off the event loop.
import { compressChunk, type CompressedChunk } from '../core/chunk-codec.ts';
import { codecById, type CodecChoice } from '../core/codecs.ts';
import { UsageError } from '../core/errors.ts';

export interface ChunkCompressor {
  /**
   * compressChunk (auto resolved, `none` when not smaller). Takes ownership of `plain`'s whole
   * underlying buffer (a compressor service owns each request message, and handing the buffer
   * to a worker thread whole saves a copy of every chunk).
   */
  compress(plain: Uint8Array, codec: CodecChoice, level?: number): Promise<CompressedChunk>;
  /**
   * Decompress to exactly `plainLength` bytes (more output is refused: bomb guard). An unknown codec
   * id throws UnknownCodecError; a payload that does not decompress cleanly throws UsageError.
   */
  decompress(codecId: number, payload: Uint8Array, plainLength: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** The synchronous step both implementations share (the worker calls it on its own thread). */
export function decompressPayload(codecId: number, payload: Uint8Array, plainLength: number): Uint8Array {
  const codec = codecById(codecId);
  try {
    return codec.decompress(payload, plainLength);
  } catch (err) {
    throw new UsageError(`cannot decompress ${codec.name} payload to ${plainLength} bytes: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export class InlineCompressor implements ChunkCompressor {
  async compress(plain: Uint8Array, codec: CodecChoice, level?: number): Promise<CompressedChunk> {
    return compressChunk(plain, codec, level);
  }

  async decompress(codecId: number, payload: Uint8Array, plainLength: number): Promise<Uint8Array> {
    return decompressPayload(codecId, payload, plainLength);
  }

  async close(): Promise<void> {}
}
