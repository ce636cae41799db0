// FastCDC's gear loop in WebAssembly. The loop is one dependent shift-and-add per input byte;
// V8's JavaScript version pays bounds checks on every byte and table load, WebAssembly does not
// (guard pages): the same cut points, ~2.6x faster (400 MB of a source tar: 150 ms vs 390 ms).
// Chunking is the one CPU cost besides hashing that touches every input byte.
//
// The chunking window lives in the module's memory, so the file is read straight into it and the
// loop runs where the bytes already are. Source: gear-scan.wat beside this file; GEAR_SCAN_WASM is
// its compiled form (test/core/chunker.test.ts recompiles the .wat with wabt and compares, and
// checks the cut points against scanGear in fastcdc.ts on random and real-looking data).
import { fastCdcCut, GEAR, type FastCdcParams, type GearScan } from './fastcdc.ts';

export const GEAR_SCAN_WASM =
  'AGFzbQEAAAABCgFgBX9/f39/AX8CEwEHY2h1bmtlcgZtZW1vcnkCAAEDAgEABwgBBHNjYW4AAAp2AXQBAn8gACEGAkADQCAGIAFPDQEgBUEBdCAGLQAAQQJ0KAIAaiEFIAZBAWohBiAFIANxRQRAIAYPCwwACwsCQANAIAYgAk8NASAFQQF0IAYtAABBAnQoAgBqIQUgBkEBaiEGIAUgBHFFBEAgBg8LDAALCyACCw==';

/** Where the window starts in the module's memory (the gear table takes the first 1 KiB). */
const WINDOW_BASE = 1024;
const PAGE = 64 * 1024;

/** The few parts of the WebAssembly JS API used here (TypeScript's es2024 lib does not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | undefined;

type ScanExport = (from: number, normal: number, limit: number, small: number, large: number) => number;

/** A chunking window of `length` bytes in WebAssembly memory, with the gear loop that scans it. */
export class GearWindow {
  /** The window: fill it, then ask for cuts within it. */
  readonly bytes: Uint8Array;
  readonly #scan: GearScan;

  constructor(length: number) {
    compiled ??= new wasm.Module(Buffer.from(GEAR_SCAN_WASM, 'base64'));
    const pages = Math.ceil((WINDOW_BASE + length) / PAGE);
    const memory = new wasm.Memory({ initial: pages, maximum: pages });
    new Int32Array(memory.buffer, 0, GEAR.length).set(GEAR);
    const instance = new wasm.Instance(compiled, { chunker: { memory } });
    const scan = instance.exports['scan'] as ScanExport;
    this.bytes = new Uint8Array(memory.buffer, WINDOW_BASE, length);
    const window = this.bytes;
    this.#scan = (buf, from, normal, limit, small, large) => {
      if (buf !== window) throw new Error('GearWindow scans only its own window');
      return scan(WINDOW_BASE + from, WINDOW_BASE + normal, WINDOW_BASE + limit, small, large) - WINDOW_BASE;
    };
  }

  /** fastCdcCut over this window. */
  cut(start: number, end: number, params: FastCdcParams, final: boolean): number {
    return fastCdcCut(this.bytes, start, end, params, final, this.#scan);
  }
}
