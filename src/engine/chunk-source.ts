// Turns an input byte stream into (id, chunk) pairs. Chunking and hashing are the two CPU costs
// that touch every input byte, so by default they run in a dedicated worker thread and the main
// thread only moves buffers, talks to metadata and does I/O. The inline form serves tests and
// tiny inputs.
import { Worker } from 'node:worker_threads';
import type { ChunkHasher, ChunkId } from '../core/chunk-id.ts';
import { open } from 'node:fs/promises';
import { chunkReader, chunkStream, type ChunkerParams, type WindowReader } from '../core/chunker.ts';
import { Semaphore } from './concurrency.ts';
import { GcPacer } from './v8-gc-pacer.ts';
import { WORKER_LIMITS, type ChunkerReply, type ChunkerRequest, type ChunkerSetup } from './worker-protocol.ts';

export interface IdentifiedChunk {
  id: ChunkId;
  data: Uint8Array;
}

/** What to chunk: a byte stream (stdin, HTTP bodies), or a file read straight into the chunker's window. */
export type ChunkInput = AsyncIterable<Uint8Array> | { path: string };

/** Each chunk's data is a fresh buffer its consumer owns outright (it may transfer or free it). */
export type ChunkSource = (input: ChunkInput, params: ChunkerParams) => AsyncIterable<IdentifiedChunk>;

export function isFileInput(input: ChunkInput): input is { path: string } {
  return 'path' in input;
}

export function inlineChunkSource(hasher: ChunkHasher): ChunkSource {
  return async function* (input, params) {
    if (isFileInput(input)) {
      const fh = await open(input.path, 'r');
      try {
        const read: WindowReader = async (window, offset, length) => (await fh.read(window, offset, length, null)).bytesRead;
        for await (const data of chunkReader(read, params)) yield { id: hasher.id(data), data };
      } finally {
        await fh.close();
      }
      return;
    }
    for await (const data of chunkStream(input, params)) yield { id: hasher.id(data), data };
  };
}

/** Input pieces sent to the worker ahead of its progress; bounds memory to about this × piece size. */
const INPUT_CREDIT = 8;
/** Chunks produced ahead of the consumer: enough to keep it busy, few enough to bound memory. */
const OUTPUT_CREDIT = 4;

/** A buffer that owns its whole ArrayBuffer can be transferred; anything else is copied first. */
export function transferable(data: Uint8Array): Uint8Array {
  const buf = data.buffer;
  if (buf instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buf.byteLength) return data;
  return new Uint8Array(data);
}

export function workerChunkSource(setup: Omit<ChunkerSetup, 'params' | 'outputCredit'>): ChunkSource {
  return (input, params) => runInWorker(input, { ...setup, params, outputCredit: OUTPUT_CREDIT });
}

async function* runInWorker(input: ChunkInput, base: ChunkerSetup): AsyncGenerator<IdentifiedChunk> {
  // A file is read by the worker itself, straight into its chunking window: no copies, and no
  // input bytes pass through the main thread. Streams are pumped in with credit.
  const fd = isFileInput(input) ? (await open(input.path, 'r')) : undefined;
  const setup: ChunkerSetup = fd ? { ...base, fd: fd.fd } : base;
  const worker = new Worker(new URL('./chunking-worker.ts', import.meta.url), { workerData: setup, resourceLimits: WORKER_LIMITS });
  const credit = new Semaphore(INPUT_CREDIT);
  // Chunks arrive here by transfer and die after upload; collect them promptly (see v8-gc-pacer.ts).
  const pacer = new GcPacer(32 * 1024 * 1024);
  const ready: IdentifiedChunk[] = [];
  let finished = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (m: ChunkerReply) => {
    if (m.type === 'chunk') ready.push({ id: m.id, data: m.data });
    else if (m.type === 'consumed') credit.release();
    else if (m.type === 'done') finished = true;
    else failure = new Error(`chunking worker failed: ${m.message}`);
    notify();
  });
  worker.on('error', (err) => {
    failure = err;
    notify();
  });
  worker.on('exit', (code) => {
    if (!finished && !failure) failure = new Error(`chunking worker exited unexpectedly (code ${code})`);
    notify();
  });

  let stopped = false;
  // The input pump runs beside the consumer; credit keeps it at most INPUT_CREDIT pieces ahead.
  const pump = (async () => {
    if (isFileInput(input)) return;
    try {
      for await (const piece of input) {
        if (stopped || failure) return;
        if (piece.length === 0) continue;
        await credit.acquire();
        const data = transferable(piece);
        const req: ChunkerRequest = { type: 'data', data };
        worker.postMessage(req, [data.buffer as ArrayBuffer]);
      }
      const end: ChunkerRequest = { type: 'end' };
      worker.postMessage(end);
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
      notify();
    }
  })();

  try {
    for (;;) {
      if (ready.length > 0) {
        const taken: ChunkerRequest = { type: 'taken' };
        worker.postMessage(taken);
        const next = ready.shift()!;
        pacer.processed(next.data.length);
        yield next;
        continue;
      }
      if (failure) throw failure;
      if (finished) break;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    await pump;
    if (failure) throw failure;
  } finally {
    stopped = true;
    // Unblock a pump waiting for credit, then stop the worker.
    for (let i = 0; i < INPUT_CREDIT; i++) credit.release();
    await worker.terminate();
    await pump.catch(() => {});
    await fd?.close();
  }
}
