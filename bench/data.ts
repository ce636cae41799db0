// Benchmark inputs, generated on disk once and reused: random (incompressible), text-like
// (words and lines, compresses like prose or code), zeros, and a mix of the three.
import { randomFillSync } from 'node:crypto';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { once } from 'node:events';

export type DataKind = 'random' | 'text' | 'zeros' | 'mixed';
export const DATA_KINDS: readonly DataKind[] = ['random', 'text', 'zeros', 'mixed'];

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her ' +
  'function return const let var if else while for import export class interface type string number boolean null undefined ' +
  'storage chunk backend replica erasure metadata version commit gc verify repair stream buffer async await promise error'
).split(' ');
const ENCODED = WORDS.map((w) => Buffer.from(w));

/** Fill `out` with text-like bytes from a xorshift PRNG: no two blocks repeat, so nothing dedups. */
function fillText(out: Uint8Array, seed: number): void {
  let x = seed >>> 0 || 1;
  let i = 0;
  let col = 0;
  while (i < out.length) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const w = ENCODED[x % ENCODED.length]!;
    for (let k = 0; k < w.length && i < out.length; k++) out[i++] = w[k]!;
    col += w.length + 1;
    if (i < out.length) out[i++] = col > 72 || (x & 0x3f) === 0 ? 10 : 32;
    if (col > 72) col = 0;
    // Numbers and identifiers vary, as in real text.
    if ((x & 0xff) === 7 && i + 8 < out.length) {
      const n = (x >>> 8).toString(16);
      for (let k = 0; k < n.length; k++) out[i++] = n.charCodeAt(k);
      out[i++] = 32;
    }
  }
}

export function fillBlock(kind: DataKind, out: Uint8Array, index: number): void {
  const k: DataKind = kind === 'mixed' ? (['random', 'text', 'zeros'] as const)[index % 3]! : kind;
  if (k === 'random') randomFillSync(out);
  else if (k === 'zeros') out.fill(0);
  else fillText(out, index * 2654435761 + 1);
}

const BLOCK = 1024 * 1024;

/** Write `size` bytes of `kind` data to `path` unless a file of that size is already there. */
export async function ensureDataFile(path: string, kind: DataKind, size: number): Promise<void> {
  if (existsSync(path) && statSync(path).size === size) return;
  const out = createWriteStream(path);
  for (let off = 0, i = 0; off < size; off += BLOCK, i++) {
    const block = new Uint8Array(Math.min(BLOCK, size - off));
    fillBlock(kind, block, i);
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** An endless-ish generator of `size` bytes of `kind` data, for streaming through stdin. */
export function* blocks(kind: DataKind, size: number): Generator<Uint8Array> {
  for (let off = 0, i = 0; off < size; off += BLOCK, i++) {
    const block = new Uint8Array(Math.min(BLOCK, size - off));
    fillBlock(kind, block, i);
    yield block;
  }
}
