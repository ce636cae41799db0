// Chunker registry and the streaming splitter. Input of any size flows through one reusable
// window buffer of a few `max` sizes; each emitted chunk is a fresh Uint8Array that owns its memory
// (callers may keep it or transfer it to a worker thread).
import { readSync } from 'node:fs';
import { ConfigError } from './errors.ts';
import { GearWindow } from './gear-scan.ts';

export type ChunkerParams = { kind: 'fastcdc'; min: number; avg: number; max: number } | { kind: 'fixed'; size: number };

export const DEFAULT_CHUNKER: ChunkerParams = { kind: 'fastcdc', min: 512 * 1024, avg: 1024 * 1024, max: 4 * 1024 * 1024 };

const MIN_SIZE = 64;
/** The largest chunk any chunker configuration may produce (64 MiB); services size their limits by it. */
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export function validateChunkerParams(p: unknown): ChunkerParams {
  if (typeof p !== 'object' || p === null) throw new ConfigError('chunker parameters must be an object');
  const o = p as Record<string, unknown>;
  if (o.kind === 'fixed') {
    if (!isInt(o.size) || o.size < 1 || o.size > MAX_CHUNK_SIZE) throw new ConfigError(`fixed chunk size must be an integer from 1 to ${MAX_CHUNK_SIZE}`);
    if (Object.keys(o).some((k) => k !== 'kind' && k !== 'size')) throw new ConfigError('fixed chunking takes only "size"');
    return { kind: 'fixed', size: o.size };
  }
  if (o.kind === 'fastcdc') {
    const { min, avg, max } = o;
    if (!isInt(min) || !isInt(avg) || !isInt(max)) throw new ConfigError('fastcdc needs integer min, avg and max');
    if (min < MIN_SIZE) throw new ConfigError(`fastcdc min must be at least ${MIN_SIZE} bytes`);
    if (max > MAX_CHUNK_SIZE) throw new ConfigError(`fastcdc max must be at most ${MAX_CHUNK_SIZE} bytes (64 MiB)`);
    if (!(min < avg && avg < max)) throw new ConfigError(`fastcdc needs min < avg < max (got ${min}, ${avg}, ${max})`);
    if (Object.keys(o).some((k) => !['kind', 'min', 'avg', 'max'].includes(k))) throw new ConfigError('fastcdc takes only "min", "avg" and "max"');
    return { kind: 'fastcdc', min, avg, max };
  }
  throw new ConfigError(`unknown chunker kind ${JSON.stringify(o.kind)} (known: fastcdc, fixed)`);
}

/** Inputs up to this long are one chunk: no cut point falls before the minimum. */
export function minChunk(p: ChunkerParams): number {
  return p.kind === 'fixed' ? p.size : p.min;
}

/** The largest chunk these parameters can produce. */
export function maxChunk(p: ChunkerParams): number {
  return p.kind === 'fixed' ? p.size : p.max;
}

/** A copy of `src[start, end)` in memory of its own. Not zero-filled first: every byte is overwritten. */
function ownedCopy(src: Uint8Array, start: number, end: number): Uint8Array {
  const n = end - start;
  // Buffer.allocUnsafe skips zero-filling; below half its pool size it would hand out a slice of a
  // shared pool, which the owner could not transfer or free.
  const out = n > Buffer.poolSize >>> 1 ? Buffer.allocUnsafe(n) : new Uint8Array(n);
  out.set(src.subarray(start, end));
  return new Uint8Array(out.buffer, out.byteOffset, n);
}

/**
 * Idle windows per thread, by kind and length, at most IDLE_WINDOWS of each. A window is 4 × max
 * (16 MiB by default) and a run of small files needs one each: allocating it per file cost a
 * zero-filled 16 MiB allocation and made V8 collect over and over (500 small files: 5 s of the main
 * thread's 7.4 CPU-s in GC). Several are kept because small files are chunked several at a time
 * (`dcs put` of many files, concurrent HTTP uploads); only the pages a run touched are resident.
 */
const IDLE_WINDOWS = 4;
const idleGear = new Map<number, GearWindow[]>();
const idlePlain = new Map<number, Uint8Array[]>();

function idleOrNew<T>(idle: Map<number, T[]>, length: number, make: () => T): { value: T; release(): void } {
  const value = idle.get(length)?.pop() ?? make();
  return {
    value,
    release: () => {
      const list = idle.get(length) ?? [];
      if (list.length < IDLE_WINDOWS) list.push(value);
      idle.set(length, list);
    },
  };
}

interface ChunkingWindow {
  window: Uint8Array;
  cut: (start: number, end: number, final: boolean) => number;
  /** The run is over: the window may serve the next one. */
  release(): void;
}

/** The window and the cut function for one chunking run. */
function windowFor(params: ChunkerParams): ChunkingWindow {
  const length = Math.max(4 * maxChunk(params), 64 * 1024);
  if (params.kind === 'fixed') {
    const { size } = params;
    const { value: window, release } = idleOrNew(idlePlain, length, () => new Uint8Array(length));
    return {
      window,
      cut: (start, end, final) => {
        const n = end - start;
        return n >= size ? size : final ? n : 0;
      },
      release,
    };
  }
  const { value: gear, release } = idleOrNew(idleGear, length, () => new GearWindow(length));
  return { window: gear.bytes, cut: (start, end, final) => gear.cut(start, end, params, final), release };
}

/**
 * Fills `window[offset, offset + length)` with the next input bytes and returns how many it wrote;
 * 0 means the input has ended.
 */
export type WindowReader = (window: Uint8Array, offset: number, length: number) => number | Promise<number>;

/**
 * Split the input a reader provides into chunks. The reader writes straight into one reusable
 * window of about 4 × max bytes, so memory stays bounded whatever the input size, and a file can be
 * read into it without an intermediate copy.
 */
export async function* chunkReader(read: WindowReader, params: ChunkerParams): AsyncGenerator<Uint8Array> {
  const max = maxChunk(params);
  const { window, cut, release } = windowFor(params);
  try {
    let len = 0;
    for (;;) {
      const n = await read(window, len, window.length - len);
      if (n === 0) break;
      len += n;
      // Cut only with at least `max` bytes buffered, so each cut is final and never rescanned.
      let pos = 0;
      while (len - pos >= max) {
        const c = cut(pos, len, false);
        yield ownedCopy(window, pos, pos + c);
        pos += c;
      }
      if (pos > 0) {
        window.copyWithin(0, pos, len);
        len -= pos;
      }
    }
    let pos = 0;
    while (pos < len) {
      const c = cut(pos, len, true);
      yield ownedCopy(window, pos, pos + c);
      pos += c;
    }
  } finally {
    // Chunks are copies (ownedCopy), so nothing handed out still points into the window.
    release();
  }
}

/** A WindowReader over an open file with synchronous reads (for worker threads, which may block). */
export function fileReader(fd: number): WindowReader {
  return (window, offset, length) => readSync(fd, window, offset, length, null);
}

/** Split a byte stream (pieces of any size) into chunks. */
export async function* chunkStream(source: AsyncIterable<Uint8Array>, params: ChunkerParams): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  let piece: Uint8Array | undefined;
  let off = 0;
  const reader: WindowReader = async (window, offset, length) => {
    while (piece === undefined || off >= piece.length) {
      const next = await iterator.next();
      if (next.done) return 0;
      piece = next.value;
      off = 0;
    }
    const take = Math.min(piece.length - off, length);
    window.set(piece.subarray(off, off + take), offset);
    off += take;
    return take;
  };
  try {
    yield* chunkReader(reader, params);
  } finally {
    await iterator.return?.();
  }
}
