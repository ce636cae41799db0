// CompressionService server: compression alone, for orchestrators that seal (encrypt + frame) the
// result themselves, so repository keys never reach a compressor. The CPU work runs on a
// ChunkCompressor — in a real deployment the engine's worker pool, one thread per core, so one
// compressor process uses every core and the event loop only moves messages.
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { MAX_CHUNK_SIZE } from '../core/chunker.ts';
import { CODEC_CHOICES, codecById, parseCodecChoice, type CodecChoice } from '../core/codecs.ts';
import { checkLevel } from '../core/input/encoding.ts';
import { UsageError } from '../core/errors.ts';
import type { ChunkCompressor } from '../engine/chunk-compressor.ts';
import { CompressionService, type CompressRequest } from './gen/dcs/v1/compression_pb.js';
import { handled } from './rpc-errors.ts';

export interface CompressionServiceOptions {
  /** Largest plain chunk accepted, in bytes (default: the largest chunk any chunker may cut, 64 MiB). */
  maxChunkBytes?: number;
  /**
   * Requests running or queued for the compressor at once; more are refused with RESOURCE_EXHAUSTED
   * so callers try another compressor instead of piling chunks up in this one's memory.
   */
  maxPending?: number;
}

const DEFAULT_MAX_PENDING = 64;

/** Codec and level of a Compress request, checked against the codec registry. */
export function compressArguments(req: Pick<CompressRequest, 'codec' | 'level'>): { codec: CodecChoice; level: number | undefined } {
  if (req.codec === '') throw new UsageError(`codec is required (${CODEC_CHOICES.join(', ')})`);
  const codec = parseCodecChoice(req.codec);
  return { codec, level: req.level === undefined ? undefined : checkLevel(codec, req.level) };
}

export function compressionServiceImpl(compressor: ChunkCompressor, options: CompressionServiceOptions = {}): ServiceImpl<typeof CompressionService> {
  const maxChunk = options.maxChunkBytes ?? MAX_CHUNK_SIZE;
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  let pending = 0;

  const checkSize = (what: string, n: number): void => {
    if (n > maxChunk) throw new UsageError(`${what} of ${n} bytes is larger than this compressor accepts (${maxChunk} bytes)`);
  };

  const admitted = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (pending >= maxPending) throw new ConnectError(`compressor busy: ${pending} requests in progress`, Code.ResourceExhausted);
    pending++;
    try {
      return await fn();
    } finally {
      pending--;
    }
  };

  return {
    compress: (req) =>
      handled(async () => {
        const { codec, level } = compressArguments(req);
        checkSize('chunk', req.data.length);
        const { codecId, payload } = await admitted(() => compressor.compress(req.data, codec, level));
        return { codecId, payload };
      }),
    decompress: (req) =>
      handled(async () => {
        codecById(req.codecId);
        // Checked before anything is allocated: codecs size their output buffer by plain_length.
        checkSize('plain_length', req.plainLength);
        checkSize('payload', req.payload.length);
        return { data: await admitted(() => compressor.decompress(req.codecId, req.payload, req.plainLength)) };
      }),
  };
}
