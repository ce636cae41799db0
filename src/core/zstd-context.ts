// One-shot zstd compression and decompression that keep their zstd context from call to call.
//
// node:zlib's zstdCompressSync builds a new ZSTD_CCtx for every call and frees it afterwards: for a
// 1 MiB chunk that is ~5 MB of match tables and buffers allocated, faulted in and released again,
// 1,300 times per GB, and the freed memory fragments the allocator (higher peak RSS). Node has no
// public API to keep a context, but its sync functions are a thin loop over the native handle's
// writeSync (lib/zlib.js, processChunkSync); this module drives that handle directly on one
// long-lived stream object per parameter set and thread. Output is byte-identical to
// zstdCompressSync with an output buffer of at least ZSTD_compressBound (one-shot path).
//
// If a Node release changes those internals, the self-test (run on first use) fails, `contextReuse()` is false and
// every call takes the plain node:zlib functions (test/core/zstd-context.test.ts asserts reuse is
// active on the pinned Node, so such a change is noticed rather than silently slower).
import zlib from 'node:zlib';

const { ZSTD_e_end } = zlib.constants;

interface NativeHandle {
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
}

/** The parts of a node:zlib stream object this module relies on (not in Node's typings). */
interface StreamInternals {
  _handle?: NativeHandle | null;
  _writeState?: Uint32Array;
  errored?: Error | null;
  on(event: 'error', listener: (err: Error) => void): unknown;
  close(): void;
}

/** One native zstd context and its state array: [output bytes left, input bytes left]. */
class NativeContext {
  readonly #stream: StreamInternals;
  readonly #handle: NativeHandle;
  readonly #state: Uint32Array;

  constructor(stream: zlib.ZstdCompress | zlib.ZstdDecompress) {
    const s = stream as unknown as StreamInternals;
    // The one place that reads node:zlib's private fields (see the header of this file).
    // oxlint-disable-next-line no-underscore-dangle
    const [handle, state] = [s._handle, s._writeState];
    if (typeof handle?.writeSync !== 'function' || !(state instanceof Uint32Array)) throw new Error('node:zlib internals changed');
    this.#stream = s;
    this.#handle = handle;
    this.#state = state;
    // Native errors are also emitted asynchronously; `errored` (set synchronously) is what we read.
    s.on('error', () => {});
  }

  /** Feed all of `input` with ZSTD_e_end; returns bytes written to `out` and input bytes left. */
  run(input: Uint8Array, out: Uint8Array, outLength = out.length): { written: number; inputLeft: number } {
    this.#handle.writeSync(ZSTD_e_end, input, 0, input.length, out, 0, outLength);
    const err = this.#stream.errored;
    if (err) throw err;
    return { written: outLength - this.#state[0]!, inputLeft: this.#state[1]! };
  }

  reset(): void {
    this.#handle.reset();
  }

  close(): void {
    this.#stream.close();
  }
}

/** zstd's worst-case output size (ZSTD_COMPRESSBOUND). */
export function zstdCompressBound(n: number): number {
  const small = 128 * 1024;
  return n + (n >>> 8) + (n < small ? (small - n) >>> 11 : 0);
}

/** Output room for one frame: the worst case plus zstd's frame header slack, so one call finishes it. */
function outputRoom(n: number): number {
  return zstdCompressBound(n) + 64;
}

type Params = Record<number, number>;

/** Contexts kept per thread: chunks alternate between at most a few parameter sets. */
const MAX_COMPRESS_CONTEXTS = 3;
const compressors = new Map<string, NativeContext>();
let decompressor: NativeContext | undefined;
let scratch = new Uint8Array(0);

function compressor(params: Params): { key: string; ctx: NativeContext } {
  const key = JSON.stringify(params);
  let ctx = compressors.get(key);
  if (ctx) {
    // Most recently used last.
    compressors.delete(key);
  } else {
    ctx = new NativeContext(zlib.createZstdCompress({ params }));
    if (compressors.size >= MAX_COMPRESS_CONTEXTS) {
      const [oldestKey, oldest] = compressors.entries().next().value!;
      compressors.delete(oldestKey);
      oldest.close();
    }
  }
  compressors.set(key, ctx);
  return { key, ctx };
}

function discardCompressor(key: string): void {
  compressors.get(key)?.close();
  compressors.delete(key);
}

function reusingCompress(data: Uint8Array, params: Params): Uint8Array {
  const { key, ctx } = compressor(params);
  const bound = outputRoom(data.length);
  if (scratch.length < bound) scratch = new Uint8Array(bound);
  let result;
  try {
    result = ctx.run(data, scratch, bound);
  } catch (err) {
    discardCompressor(key);
    throw err;
  }
  // With room for the worst case, zstd finishes the frame in one call; anything else leaves the
  // context mid-frame, so it is dropped and the plain function does the work.
  if (result.inputLeft !== 0 || result.written === bound) {
    discardCompressor(key);
    return plainCompress(data, params);
  }
  // An exact-size copy: the scratch buffer is reused by the next call.
  return scratch.slice(0, result.written);
}

const EMPTY = new Uint8Array(0);
const probe = new Uint8Array(1);

function reusingDecompress(data: Uint8Array, plainLength: number, into?: Uint8Array): Uint8Array {
  decompressor ??= new NativeContext(zlib.createZstdDecompress());
  const ctx = decompressor;
  try {
    // Start from a clean frame state whatever the previous (possibly corrupt) input left behind.
    ctx.reset();
    const out = into && into.length >= plainLength ? into.subarray(0, plainLength) : Buffer.allocUnsafe(plainLength);
    const { written, inputLeft } = ctx.run(data, out);
    if (written < plainLength) throw new Error(`zstd: decompressed to ${written} bytes, expected ${plainLength}`);
    // Output is full; more pending output or unread input means the frame is longer than recorded.
    if (inputLeft > 0 || ctx.run(EMPTY, probe).written > 0) throw new Error(`zstd: decompressed to more than the expected ${plainLength} bytes`);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    // Corrupt input is rare: start the next call from a new context rather than reason about
    // the state this one was left in.
    decompressor = undefined;
    ctx.close();
    throw err;
  }
}

function plainCompress(data: Uint8Array, params: Params): Uint8Array {
  const out = zlib.zstdCompressSync(data, { params, chunkSize: outputRoom(data.length) });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function plainDecompress(data: Uint8Array, plainLength: number): Uint8Array {
  const out = zlib.zstdDecompressSync(data, { maxOutputLength: Math.max(1, plainLength), chunkSize: Math.max(64 * 1024, plainLength + 64) });
  if (out.length !== plainLength) throw new Error(`zstd: decompressed to ${out.length} bytes, expected ${plainLength}`);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Round-trips a small sample through the reusing path and compares with node:zlib's own output. */
function selfTest(): boolean {
  try {
    const sample = new TextEncoder().encode('dcs zstd context self-test '.repeat(200));
    const params: Params = { [zlib.constants.ZSTD_c_compressionLevel]: 3 };
    const packed = reusingCompress(sample, params);
    const again = reusingCompress(sample, params);
    const reference = plainCompress(sample, params);
    const plain = reusingDecompress(packed, sample.length);
    return Buffer.from(packed).equals(reference) && Buffer.from(again).equals(reference) && Buffer.from(plain).equals(sample);
  } catch {
    return false;
  } finally {
    for (const key of [...compressors.keys()]) discardCompressor(key);
  }
}

let reuse: boolean | undefined;

/**
 * True when contexts are reused (node:zlib internals as expected); false means plain node:zlib
 * calls. Decided by the self-test on first use, so threads that never run zstd create no streams.
 */
export function contextReuse(): boolean {
  reuse ??= selfTest();
  return reuse;
}

/** Compress `data` into one zstd frame (content size recorded, no checksum unless `params` asks). */
export function zstdCompress(data: Uint8Array, params: Params): Uint8Array {
  return contextReuse() ? reusingCompress(data, params) : plainCompress(data, params);
}

/** Decompress one zstd frame that must expand to exactly `plainLength` (> 0) bytes. */
export function zstdDecompress(data: Uint8Array, plainLength: number, into?: Uint8Array): Uint8Array {
  return contextReuse() ? reusingDecompress(data, plainLength, into) : plainDecompress(data, plainLength);
}
