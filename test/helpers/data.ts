// Deterministic test data: seeded pseudo-random bytes and compressible text-like bytes.

/** xorshift32 PRNG filling bytes; same seed, same bytes. */
export function randomBytes(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const WORDS = 'the quick brown fox jumps over a lazy dog while storage chunks compress well because text repeats itself often'.split(' ');

/** Text-like bytes (words from a small vocabulary): compresses several times. */
export function textBytes(size: number, seed = 7): Uint8Array {
  const rnd = randomBytes(Math.ceil(size / 3) + 16, seed);
  const parts: string[] = [];
  let len = 0;
  let i = 0;
  while (len < size) {
    const w = WORDS[rnd[i++ % rnd.length]! % WORDS.length]!;
    const piece = i % 17 === 0 ? `${w}\n` : `${w} `;
    parts.push(piece);
    len += piece.length;
  }
  return new TextEncoder().encode(parts.join('')).subarray(0, size);
}

/** Split bytes into pieces of the given sizes (cycling), as a stream would deliver them. */
export async function* pieces(data: Uint8Array, sizes: readonly number[] = [65536]): AsyncGenerator<Uint8Array> {
  let off = 0;
  let k = 0;
  while (off < data.length) {
    const n = Math.max(1, sizes[k++ % sizes.length]!);
    yield data.subarray(off, off + n);
    off += n;
  }
}

export async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const p of stream) {
    parts.push(p);
    n += p.length;
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
