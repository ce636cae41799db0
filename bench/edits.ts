// Edited copies of a benchmark input, for the dedup measurements: the same bytes with single
// bytes inserted at evenly spread offsets (what small edits to a large file look like to
// content-defined chunking), and a byte-wise transform that shares no chunk with its source.
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';

/**
 * Copy `src` to `dst` with `n` single bytes inserted at evenly spread offsets, streaming. Without
 * a seed every inserted byte is 0x5a; with one, the bytes come from a xorshift PRNG so that runs
 * with the same seed make the same file.
 */
export async function withInserts(src: string, dst: string, n: number, seed?: number): Promise<void> {
  const size = statSync(src).size;
  const at = Array.from({ length: n }, (_, i) => Math.floor(((i + 0.5) * size) / n));
  let x = (seed ?? 0) >>> 0 || 1;
  const nextByte = (): number => {
    if (seed === undefined) return 0x5a;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x & 0xff;
  };
  const out = createWriteStream(dst);
  let pos = 0;
  let next = 0;
  for await (const piece of createReadStream(src, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let from = 0;
    while (next < at.length && at[next]! < pos + piece.length) {
      const cut = at[next]! - pos;
      out.write(piece.subarray(from, cut));
      out.write(Buffer.from([nextByte()]));
      from = cut;
      next++;
    }
    if (!out.write(piece.subarray(from))) await once(out, 'drain');
    pos += piece.length;
  }
  out.end();
  await once(out, 'finish');
}

/**
 * Copy `src` to `dst` with every byte XORed with `mask`: a different file of the same size that
 * compresses alike (a byte permutation keeps the matches and the entropy) and, its chunk
 * boundaries and ids being different, dedups nothing against the source.
 */
export async function xorCopy(src: string, dst: string, mask: number): Promise<void> {
  const out = createWriteStream(dst);
  for await (const piece of createReadStream(src, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const copy = Buffer.allocUnsafe(piece.length);
    for (let i = 0; i < piece.length; i++) copy[i] = piece[i]! ^ mask;
    if (!out.write(copy)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
