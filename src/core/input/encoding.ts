// The (codec, level) pair a request asks to store with. One rule everywhere (CLI flags, HTTP query
// and JSON, gRPC headers, dcs.yaml, compressor services): the codec is a registry name or `auto`;
// a level must be in the range of the codec that compresses (`auto` compresses with zstd); a level
// without a codec applies to the repository's default codec.
import { levelCodec, parseCodecChoice, validateLevel, type CodecChoice } from '../codecs.ts';

export interface Encoding {
  codec: CodecChoice;
  /** Undefined: the codec's own default level. */
  level?: number;
}

/** A requested codec and level, as a request carries them (either may be absent). */
export interface EncodingRequest {
  codec?: string | undefined;
  level?: number | undefined;
}

/** Check a level for a codec choice; returns it. */
export function checkLevel(codec: CodecChoice, level: number): number {
  return validateLevel(levelCodec(codec), level);
}

/**
 * The encoding to store with: the request's codec (and level), or the repository default's codec
 * with the request's level, or the default as it is.
 */
export function resolveEncoding(request: EncodingRequest, fallback: Encoding): Encoding {
  if (request.codec === undefined) {
    if (request.level === undefined) return fallback;
    return { codec: fallback.codec, level: checkLevel(fallback.codec, request.level) };
  }
  const codec = parseCodecChoice(request.codec);
  return request.level === undefined ? { codec } : { codec, level: checkLevel(codec, request.level) };
}
