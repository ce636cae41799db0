import { readFileSync } from 'node:fs';
import { GEAR } from './src/core/fastcdc.ts';
const buf = new Uint8Array(readFileSync('/var/tmp/bench/linux.tar').buffer.slice(0, 256 << 20));
const mask = (bits: number) => (((1 << bits) - 1) << (32 - bits)) | 0;
const small = mask(22), large = mask(18);
function v1(buf: Uint8Array, start: number, end: number): number {
  const gear = GEAR; let h = 0; let i = start + (512 << 10); const normal = Math.min(start + (1 << 20), end); const limit = Math.min(start + (4 << 20), end);
  for (; i < normal; i++) { h = ((h << 1) + gear[buf[i]!]!) | 0; if ((h & small) === 0) return i - start + 1; }
  for (; i < limit; i++) { h = ((h << 1) + gear[buf[i]!]!) | 0; if ((h & large) === 0) return i - start + 1; }
  return limit - start;
}
const GLS = new Int32Array(256); for (let k = 0; k < 256; k++) GLS[k] = GEAR[k]! << 1;
function v2(buf: Uint8Array, start: number, end: number): number {
  // two bytes per iteration (FastCDC 2020): same boundaries as v1
  const gear = GEAR, gls = GLS; let h = 0; let i = start + (512 << 10); const normal = Math.min(start + (1 << 20), end); const limit = Math.min(start + (4 << 20), end);
  const smallLs = small << 1, largeLs = large << 1;
  for (; i + 1 < normal; i += 2) {
    h = ((h << 2) + gls[buf[i]!]!) | 0; if ((h & smallLs) === 0) return i - start + 1;
    h = (h + gear[buf[i + 1]!]!) | 0; if ((h & small) === 0) return i - start + 2;
  }
  for (; i < normal; i++) { h = ((h << 1) + gear[buf[i]!]!) | 0; if ((h & small) === 0) return i - start + 1; }
  for (; i < limit; i++) { h = ((h << 1) + gear[buf[i]!]!) | 0; if ((h & large) === 0) return i - start + 1; }
  return limit - start;
}
for (const [name, f] of [['v1', v1], ['v2', v2], ['v1', v1], ['v2', v2]] as const) {
  const t = performance.now(); let pos = 0, n = 0, sig = 0;
  while (pos < buf.length) { const c = f(buf, pos, buf.length); pos += c; n++; sig = (sig * 31 + c) | 0; }
  console.log(name, n, sig, (buf.length / 1e6 / (performance.now() - t) * 1000).toFixed(0), 'MB/s');
}
