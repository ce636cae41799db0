// Content-defined chunking: deterministic, bounded sizes, independent of how input arrives, and
// local — an edit changes only the chunks around it, which is what makes dedup work on new versions.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readFileSync } from 'node:fs';
import { chunkStream, DEFAULT_CHUNKER, validateChunkerParams, type ChunkerParams } from '../../src/core/chunker.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { fastCdcCut, scanGear, type FastCdcParams } from '../../src/core/fastcdc.ts';
import { GEAR_SCAN_WASM, GearWindow } from '../../src/core/gear-scan.ts';
import { pieces, randomBytes, textBytes } from '../helpers/data.ts';
import wabt from 'wabt';

const P: ChunkerParams = { kind: 'fastcdc', min: 8192, avg: 16384, max: 65536 };

async function chunksOf(data: Uint8Array, params: ChunkerParams = P, sizes: number[] = [65536]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of chunkStream(pieces(data, sizes), params)) out.push(c);
  return out;
}

const hashes = (chunks: Uint8Array[]): string[] => chunks.map((c) => createHash('sha256').update(c).digest('hex'));

function concat(chunks: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(chunks));
}

/** How many chunks of b are not in a. */
function changed(a: Uint8Array[], b: Uint8Array[]): number {
  const known = new Set(hashes(a));
  return hashes(b).filter((h) => !known.has(h)).length;
}

describe('FastCDC chunking', () => {
  const data = randomBytes(16 * 1024 * 1024, 77);

  it('reassembles to the input, with every chunk but the last within [min, max]', async () => {
    const chunks = await chunksOf(data);
    assert.deepEqual(concat(chunks), data);
    for (const c of chunks.slice(0, -1)) assert.ok(c.length >= 8192 && c.length <= 65536, `${c.length}`);
    const avg = data.length / chunks.length;
    assert.ok(avg > 16384 * 0.75 && avg < 16384 * 1.5, `average ${avg}`);
  });

  it('gives the same chunks however the input is split into pieces', async () => {
    const small = data.subarray(0, 300_000);
    const reference = hashes(await chunksOf(small));
    for (const sizes of [[1], [7], [4096, 1, 100_000, 13], [small.length]]) assert.deepEqual(hashes(await chunksOf(small, P, sizes)), reference);
  });

  it('an inserted byte near the start changes only the chunks around it', async () => {
    const before = await chunksOf(data);
    const edited = new Uint8Array(data.length + 1);
    edited.set(data.subarray(0, 1000), 0);
    edited[1000] = 0xab;
    edited.set(data.subarray(1000), 1001);
    const n = changed(before, await chunksOf(edited));
    assert.ok(n >= 1 && n <= 2, `${n} chunks changed`);
  });

  it('a deletion and an edit in the middle also stay local', async () => {
    const before = await chunksOf(data);
    const del = new Uint8Array(Buffer.concat([data.subarray(0, 8_000_000), data.subarray(8_000_100)]));
    assert.ok(changed(before, await chunksOf(del)) <= 2);
    const edit = new Uint8Array(data);
    edit[5_000_000]! ^= 0xff;
    assert.ok(changed(before, await chunksOf(edit)) <= 2);
  });

  it('handles empty, 1-byte, exactly max and max + 1 inputs', async () => {
    assert.equal((await chunksOf(new Uint8Array(0))).length, 0);
    assert.deepEqual(await chunksOf(new Uint8Array([5])), [new Uint8Array([5])]);
    const max = randomBytes(65536, 1);
    assert.deepEqual(concat(await chunksOf(max)), max);
    const over = await chunksOf(randomBytes(65537, 2));
    assert.ok(over.length >= 2, 'max + 1 bytes cannot fit one chunk');
    assert.equal(concat(over).length, 65537);
  });

  it('yields chunks that own their memory (safe to keep or transfer)', async () => {
    for (const c of await chunksOf(data.subarray(0, 500_000))) {
      assert.equal(c.byteOffset, 0);
      assert.equal(c.byteLength, c.buffer.byteLength);
    }
  });

  it('runs that overlap, or that are abandoned part-way, do not disturb each other (windows are reused)', async () => {
    for (const params of [P, { kind: 'fixed', size: 20000 } as const]) {
      const a = data.subarray(0, 3_000_000);
      const b = data.subarray(5_000_000, 7_000_000);
      const [wantA, wantB] = [hashes(await chunksOf(a, params)), hashes(await chunksOf(b, params))];
      // Interleaved: one chunk of each in turn, so both runs hold a window at once.
      const ia = chunkStream(pieces(a, [65536]), params)[Symbol.asyncIterator]();
      const ib = chunkStream(pieces(b, [65536]), params)[Symbol.asyncIterator]();
      const gotA: Uint8Array[] = [];
      const gotB: Uint8Array[] = [];
      for (let doneA = false, doneB = false; !doneA || !doneB; ) {
        if (!doneA) {
          const r = await ia.next();
          if (r.done) doneA = true;
          else gotA.push(r.value);
        }
        if (!doneB) {
          const r = await ib.next();
          if (r.done) doneB = true;
          else gotB.push(r.value);
        }
      }
      assert.deepEqual(hashes(gotA), wantA);
      assert.deepEqual(hashes(gotB), wantB);
      // A consumer that stops early hands its window back; the next run starts clean.
      for await (const c of chunkStream(pieces(b, [65536]), params)) if (c.length > 0) break;
      assert.deepEqual(hashes(await chunksOf(a, params)), wantA);
    }
  });

  it('keeps memory bounded on a large stream', async () => {
    const piece = randomBytes(1 << 20, 5);
    async function* big(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 256; i++) yield piece;
    }
    // Measure live memory, not garbage waiting for a collection.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const start = process.memoryUsage().arrayBuffers;
    let peak = 0;
    let total = 0;
    for await (const c of chunkStream(big(), DEFAULT_CHUNKER)) {
      total += c.length;
      gc();
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - start);
    }
    assert.equal(total, 256 << 20);
    assert.ok(peak < 64 << 20, `peak ${peak}`);
  });
});

describe('FastCDC cut points are part of the storage format', () => {
  const data = new Uint8Array(Buffer.concat([textBytes(6 << 20, 11), randomBytes(6 << 20, 12)]));
  const lengths = async (params: ChunkerParams): Promise<number[]> => (await chunksOf(data, params, [data.length])).map((c) => c.length);

  it('match the lengths recorded when the format was fixed', async () => {
    // Changing these moves every chunk boundary: existing repositories would stop deduplicating.
    assert.deepEqual(await lengths(DEFAULT_CHUNKER), [1457768, 1175949, 1438188, 1401083, 1546187, 1139290, 1288762, 1339402, 1087853, 651579, 56851]);
    const small = await lengths(P);
    assert.equal(small.length, 648);
    assert.equal(createHash('sha256').update(small.join(',')).digest('hex'), '864298d958fafe63ff5f42fac6f38195405469dca7a8348f5f2b0f1d6f3e13e9');
  });

  it('the WebAssembly gear loop cuts exactly where the JavaScript reference does', () => {
    const paramSets: FastCdcParams[] = [
      { min: 64, avg: 256, max: 1024 },
      { min: 2048, avg: 8192, max: 32768 },
      { min: 5000, avg: 12345, max: 50000 },
      { min: 512 * 1024, avg: 1024 * 1024, max: 4 * 1024 * 1024 },
    ];
    const inputs = [randomBytes(3 << 20, 21), textBytes(3 << 20, 22), new Uint8Array(1 << 20)];
    for (const params of paramSets) {
      for (const input of inputs) {
        const gear = new GearWindow(input.length);
        gear.bytes.set(input);
        let cuts = 0;
        for (let pos = 0; pos < input.length; cuts++) {
          const end = Math.min(input.length, pos + params.max);
          const final = end === input.length;
          const expected = fastCdcCut(input, pos, end, params, final, scanGear);
          assert.equal(gear.cut(pos, end, params, final), expected, `params ${JSON.stringify(params)}, cut ${cuts} at ${pos}`);
          pos += expected;
        }
        assert.ok(cuts > 0);
      }
    }
  });

  it('the embedded WebAssembly is gear-scan.wat compiled', async () => {
    const source = readFileSync(new URL('../../src/core/gear-scan.wat', import.meta.url), 'utf8');
    const module = (await wabt()).parseWat('gear-scan.wat', source);
    const compiled = Buffer.from(module.toBinary({}).buffer).toString('base64');
    assert.equal(GEAR_SCAN_WASM, compiled, `gear-scan.wat changed: set GEAR_SCAN_WASM in src/core/gear-scan.ts to ${compiled}`);
  });
});

describe('fixed-size chunking and validation', () => {
  it('cuts fixed sizes', async () => {
    const chunks = await chunksOf(randomBytes(10_000), { kind: 'fixed', size: 4096 }, [333]);
    assert.deepEqual(chunks.map((c) => c.length), [4096, 4096, 1808]);
  });

  it('rejects bad parameters with clear messages', () => {
    assert.throws(() => validateChunkerParams({ kind: 'fastcdc', min: 10, avg: 20, max: 30 }), /at least 64/);
    assert.throws(() => validateChunkerParams({ kind: 'fastcdc', min: 4096, avg: 2048, max: 8192 }), /min < avg < max/);
    assert.throws(() => validateChunkerParams({ kind: 'fastcdc', min: 4096, avg: 8192, max: 128 << 20 }), /64 MiB/);
    assert.throws(() => validateChunkerParams({ kind: 'fixed', size: 0 }), ConfigError);
    assert.throws(() => validateChunkerParams({ kind: 'rabin' }), /unknown chunker kind/);
    assert.deepEqual(validateChunkerParams(DEFAULT_CHUNKER), DEFAULT_CHUNKER);
  });
});
