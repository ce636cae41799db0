// Worker-thread entry for WorkerPoolTransformer: runs ChunkCodec (or compression alone, for
// compressor services) synchronously off the main thread and hands buffers back by transfer.
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkCodec, compressChunk } from '../core/chunk-codec.ts';
import { decompressPayload } from './chunk-compressor.ts';
import { ChunkCorruptError, DcsError } from '../core/errors.ts';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './worker-protocol.ts';
import { GcPacer } from './gc-pacer.ts';
import { freeMemory } from '../core/memory.ts';

// Inputs are released explicitly (below); what is left to collect is the intermediate buffers of
// each call, roughly the size of its output.
const pacer = new GcPacer(16 * 1024 * 1024);

const setup = workerData as WorkerSetup;
const codec = new ChunkCodec(setup.keys ? { keys: setup.keys } : {});
const port = parentPort!;

/**
 * Hand a result back without copying where possible. Buffers made by native addons (snappy,
 * lz4) live outside V8 and cannot be transferred; those are copied by structured clone.
 */
function send(reply: WorkerReply, data: Uint8Array): void {
  try {
    port.postMessage(reply, [data.buffer as ArrayBuffer]);
  } catch (err) {
    if ((err as Error).name !== 'DataCloneError') throw err;
    port.postMessage(reply);
  }
}

/**
 * Free a request's input now rather than at some later collection. It arrived by transfer or copy,
 * so this thread owns all of it, unless the output is a view of the same memory (codec `none`).
 */
function release(input: Uint8Array, output: Uint8Array): void {
  if (input.buffer !== output.buffer) freeMemory(input.buffer);
}

port.on('message', (req: WorkerRequest) => {
  try {
    let output: Uint8Array;
    if (req.op === 'encode') {
      const out = codec.encode(req.data, req.id, req.codec, req.level);
      output = out.envelope;
      release(req.data, output);
      send({ seq: req.seq, ok: true, encoded: out }, output);
    } else if (req.op === 'decode') {
      output = codec.decode(req.data, req.id, req.backend);
      release(req.data, output);
      send({ seq: req.seq, ok: true, plain: output }, output);
    } else if (req.op === 'compress') {
      const compressed = compressChunk(req.data, req.codec, req.level);
      output = compressed.payload;
      release(req.data, output);
      send({ seq: req.seq, ok: true, compressed }, output);
    } else {
      output = decompressPayload(req.codecId, req.data, req.plainLength);
      release(req.data, output);
      send({ seq: req.seq, ok: true, plain: output }, output);
    }
    pacer.processed(output.length);
  } catch (err) {
    const reply: WorkerReply =
      err instanceof ChunkCorruptError
        ? { seq: req.seq, ok: false, kind: 'corrupt', chunkId: err.chunkId, reason: err.reason, backend: err.backend, message: err.message }
        : err instanceof DcsError
          ? { seq: req.seq, ok: false, kind: 'dcs', code: err.code, message: err.message }
          : { seq: req.seq, ok: false, kind: 'bug', message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    port.postMessage(reply);
  }
});
