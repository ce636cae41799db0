// Worker-thread entry for WorkerPoolTransformer: runs ChunkCodec (or compression alone, for
// compressor services) synchronously off the main thread and hands buffers back by transfer.
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkCodec, compressChunk } from '../core/chunk-codec.ts';
import { decompressPayload } from './chunk-compressor.ts';
import { ChunkCorruptError, DcsError } from '../core/errors.ts';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './worker-protocol.ts';
import { GcPacer } from './gc-pacer.ts';

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

port.on('message', (req: WorkerRequest) => {
  pacer.processed(req.data.length * 2);
  try {
    if (req.op === 'encode') {
      const out = codec.encode(req.data, req.id, req.codec, req.level);
      send({ seq: req.seq, ok: true, encoded: out }, out.envelope);
    } else if (req.op === 'decode') {
      const plain = codec.decode(req.data, req.id, req.backend);
      send({ seq: req.seq, ok: true, plain }, plain);
    } else if (req.op === 'compress') {
      const compressed = compressChunk(req.data, req.codec, req.level);
      send({ seq: req.seq, ok: true, compressed }, compressed.payload);
    } else {
      const plain = decompressPayload(req.codecId, req.data, req.plainLength);
      send({ seq: req.seq, ok: true, plain }, plain);
    }
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
