// Codec registry: the one list of codecs. CLI help and validation, dcs.yaml, the HTTP API (which
// serves the list to the web UI) and the services all read it, so adding a codec is one entry in
// CODECS plus its golden sample (test/core/codecs.test.ts). Ids are written into every stored
// object's header, so they are stable forever: never renumber or reuse one (a retired codec keeps
// its id as a tombstone). Codecs are synchronous because they run inside worker threads, one
// chunk per call.
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { UnknownCodecError, UsageError } from './errors.ts';
import { zstdCompress, zstdDecompress } from './zstd-context.ts';


export interface CodecLevels {
  min: number;
  max: number;
  default: number;
}

export interface Codec<N extends string = CodecName> {
  readonly id: number;
  readonly name: N;
  readonly levels?: CodecLevels;
  /** What it is good for, in a few words (pickers and help). */
  readonly summary?: string;
  /**
   * Its output is allocated by a native addon: V8 does not weigh it when deciding to collect, so
   * threads that run this codec at volume collect on their own schedule (see codec-worker.ts).
   */
  readonly nativeOutput?: boolean;
  compress(data: Uint8Array, level?: number): Uint8Array;
  /**
   * Decompress to exactly plainLength bytes; more output than that is refused (bomb guard). With
   * `into` (at least plainLength long) a codec may write there and return a view of it instead of
   * allocating: for callers that only look at the bytes (verification).
   */
  decompress(data: Uint8Array, plainLength: number, into?: Uint8Array): Uint8Array;
}

// The native addons load when a chunk first needs them, not with every command that names a
// codec (`dcs --version` parsed its options through this module and paid for both).
const require = createRequire(import.meta.url);
let snappyLib: typeof import('snappy') | undefined;
let lz4Module: typeof import('lz4-napi') | undefined;
const snappyNative = (): typeof import('snappy') => (snappyLib ??= require('snappy') as typeof import('snappy'));
const lz4Native = (): typeof import('lz4-napi') => (lz4Module ??= require('lz4-napi') as typeof import('lz4-napi'));

const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

function checkLength(name: string, out: Uint8Array, plainLength: number): Uint8Array {
  if (out.length !== plainLength) throw new Error(`${name}: decompressed to ${out.length} bytes, expected ${plainLength}`);
  return out;
}

// maxOutputLength must be ≥ 1 for zlib; an empty chunk is handled before decompression.
const maxOut = (n: number): number => Math.max(1, n);

/** Keeps each codec's literal name, from which CodecName is derived. */
const defineCodec = <const N extends string>(c: Codec<N>): Codec<N> => c;

const none = defineCodec({
  id: 0,
  name: 'none',
  summary: 'store as is',
  compress: (data) => data,
  decompress: (data, plainLength) => checkLength('none', data, plainLength),
});

const gzip = defineCodec({
  id: 1,
  name: 'gzip',
  levels: { min: 1, max: 9, default: 6 },
  compress: (data, level = 6) => view(zlib.gzipSync(data, { level })),
  decompress: (data, n) => checkLength('gzip', n === 0 ? new Uint8Array(0) : view(zlib.gunzipSync(data, { maxOutputLength: maxOut(n) })), n),
});

/**
 * zstd's low levels size their match tables for streaming through a 2 MB window (hashLog 17,
 * chainLog 16). A chunk is compressed in one shot and all of it is match history, so larger tables
 * find more matches. On a 1.36 GB source tar in FastCDC chunks (1 MiB average), stored size vs
 * `zstd -3` on the whole file, measured 2026-11-25 with reused contexts (zstd-context.ts):
 * 17/17 +3.13%, 18/17 +2.99%, 20/16 +2.99%, 18/18 +2.97%, 19/17 +2.95%, 19/18 +2.93%.
 * A hashLog of 19 (a 2 MB table) costs ~13% compression speed on this machine's 512 KB L2 caches;
 * chainLog 18 costs ~2% over 17 (zstd -b3 -B1M, alternating runs). 18/18 is the cheapest setting
 * with a margin under the 3% storage target.
 */
function zstdParams(level: number, size: number): Record<number, number> {
  const p: Record<number, number> = { [zlib.constants.ZSTD_c_compressionLevel]: level, [zlib.constants.ZSTD_c_checksumFlag]: 0 };
  if (level >= 2 && level <= 4 && size >= 512 * 1024) {
    p[zlib.constants.ZSTD_c_hashLog] = 18;
    p[zlib.constants.ZSTD_c_chainLog] = 18;
  }
  return p;
}

const zstd = defineCodec({
  id: 2,
  name: 'zstd',
  summary: 'fast, strong',
  levels: { min: 1, max: 19, default: 3 },
  compress: (data, level = 3) => zstdCompress(data, zstdParams(level, data.length)),
  decompress: (data, n, into) => (n === 0 ? new Uint8Array(0) : zstdDecompress(data, n, into)),
});

const brotli = defineCodec({
  id: 3,
  name: 'brotli',
  summary: 'strongest, slower',
  // Quality 11 (zlib's default) runs at ~0.5 MB/s: never the default here.
  levels: { min: 0, max: 11, default: 4 },
  compress: (data, level = 4) =>
    view(
      zlib.brotliCompressSync(data, {
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: level, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length },
      }),
    ),
  decompress: (data, n) => checkLength('brotli', n === 0 ? new Uint8Array(0) : view(zlib.brotliDecompressSync(data, { maxOutputLength: maxOut(n) })), n),
});

const snappyCodec = defineCodec({
  id: 4,
  name: 'snappy',
  summary: 'fastest',
  nativeOutput: true,
  compress: (data) => view(snappyNative().compressSync(buf(data))),
  decompress: (data, n) => checkLength('snappy', view(snappyNative().uncompressSync(buf(data), { asBuffer: true }) as Buffer), n),
});

const lz4 = defineCodec({
  id: 5,
  name: 'lz4',
  summary: 'very fast',
  nativeOutput: true,
  compress: (data) => view(lz4Native().compressSync(buf(data))),
  decompress: (data, n) => checkLength('lz4', view(lz4Native().uncompressSync(buf(data))), n),
});

/** What `auto` compresses with, where a chunk compresses at all. */
const AUTO_CODEC_NAME = 'zstd';

/** Every codec, at the index of its id. Id 6 is taken: PACK_CODEC_ID. */
const CODECS = [none, gzip, zstd, brotli, snappyCodec, lz4] as const;

/**
 * The codec id of pack objects (core/pack.ts): their payload is stored verbatim. Not a compression
 * codec (nobody can choose it, so it is not in CODECS), but it shares the id space of the header.
 */
export const PACK_CODEC_ID = 6;

export type CodecName = (typeof CODECS)[number]['name'];
/** What a caller may ask for: a codec, or `auto` (chosen per chunk, see chooseAutoCodec). */
export type CodecChoice = CodecName | 'auto';

const BY_NAME = new Map<string, Codec>(CODECS.map((c) => [c.name, c]));

export const CODEC_NAMES: readonly CodecName[] = CODECS.map((c) => c.name);
/** The choices callers are offered, `auto` first. */
export const CODEC_CHOICES: readonly CodecChoice[] = ['auto', ...CODEC_NAMES];

export function codecByName(name: string): Codec {
  const c = BY_NAME.get(name);
  if (!c) throw new UnknownCodecError(name, CODEC_CHOICES);
  return c;
}

export function codecById(id: number): Codec {
  const c: Codec | undefined = CODECS[id];
  if (!c || c.id !== id) throw new UnknownCodecError(id, CODEC_CHOICES);
  return c;
}

export function parseCodecChoice(s: string): CodecChoice {
  if (s === 'auto') return 'auto';
  return codecByName(s).name;
}

/** What each choice is good for, by name (served to the web UI's codec picker). */
export const CODEC_SUMMARIES: Readonly<Record<string, string>> = {
  auto: `${AUTO_CODEC_NAME}, or raw where a chunk does not compress`,
  ...Object.fromEntries(CODECS.flatMap((c) => (c.summary === undefined ? [] : [[c.name, c.summary]]))),
};

/** The codec whose levels a choice takes: `auto` compresses what it compresses with zstd. */
export function levelCodec(choice: CodecChoice): Codec {
  return codecByName(choice === 'auto' ? AUTO_CODEC_NAME : choice);
}

/** `zstd 1-19, gzip 1-9, …`: the level ranges of the codecs that have levels, for help texts. */
export function levelRanges(): string {
  return CODECS.flatMap((c) => (c.levels ? [`${c.name} ${c.levels.min}-${c.levels.max}`] : [])).join(', ');
}

export function validateLevel(codec: Codec, level: number): number {
  if (!codec.levels) throw new UsageError(`codec ${codec.name} has no compression levels`);
  const { min, max } = codec.levels;
  if (!Number.isInteger(level) || level < min || level > max) {
    throw new UsageError(`compression level for ${codec.name} must be ${min}..${max}, got ${level}`);
  }
  return level;
}

const PROBE_SAMPLE = 16 * 1024;
const PROBE_SAMPLES = 4;
/** Below this estimated saving, compression is not worth its CPU on every later read. */
const AUTO_MIN_SAVING = 0.05;

/**
 * `auto`: estimate compressibility from a few samples spread over the chunk, compressed with
 * snappy (~1 GB/s on compressible data): 4 × 16 KiB of a 1 MiB chunk costs ~1–2% of compressing
 * the chunk with zstd-3. Incompressible data (media, archives, encrypted input) is stored raw;
 * everything else gets zstd.
 */

export function chooseAutoCodec(plain: Uint8Array): CodecName {
  if (plain.length < 64) return 'none';
  let raw = 0;
  let packed = 0;
  if (plain.length <= PROBE_SAMPLE * PROBE_SAMPLES) {
    raw = plain.length;
    packed = snappyNative().compressSync(buf(plain)).length;
  } else {
    const stride = Math.floor((plain.length - PROBE_SAMPLE) / (PROBE_SAMPLES - 1));
    for (let i = 0; i < PROBE_SAMPLES; i++) {
      const sample = plain.subarray(i * stride, i * stride + PROBE_SAMPLE);
      raw += sample.length;
      packed += snappyNative().compressSync(buf(sample)).length;
    }
  }
  // snappy is weaker than zstd, so a snappy saving this small means little for zstd too.
  return 1 - packed / raw < AUTO_MIN_SAVING ? 'none' : AUTO_CODEC_NAME;
}
