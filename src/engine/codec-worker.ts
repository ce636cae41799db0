// Worker-thread entry for WorkerPoolTransformer: runs ChunkCodec (or compression alone, for
// compressor services) synchronously off the main thread and hands buffers back by transfer.
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkCodec, compressChunk } from '../core/chunk-codec.ts';
import { codecById } from '../core/codecs.ts';
import { ENVELOPE_CODEC_OFFSET } from '../core/envelope.ts';
import { decompressPayload } from './chunk-compressor.ts';
import { ChunkCorruptError, DcsError } from '../core/errors.ts';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './worker-protocol.ts';
import { GcPacer } from './v8-gc-pacer.ts';
import { freeMemory } from '../core/memory.ts';

// Inputs are released explicitly (below); what is left to collect is the intermediate buffers of
// each call: about the size of its output, and for native codecs (snappy, lz4) their own output
// buffers, which V8 does not weigh (without this, a snappy get of 512 MiB of text peaked at
// 0.4-0.75 GB instead of ~0.3 GB).
const pacer = new GcPacer(16 * 1024 * 1024);

function nativeCodec(id: number | undefined): boolean {
  try {
    return id !== undefined && codecById(id).nativeOutput === true;
  } catch {
    return false;
  }
}

const setup = workerData as WorkerSetup;
const codec = new ChunkCodec({ ...(setup.keys ? { keys: setup.keys } : {}), ...(setup.idKey ? { idKey: setup.idKey } : {}) });
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

function handle(req: WorkerRequest): void {
  const inputLength = req.data.length;
  // The codec this call runs: from the request, the result, or the stored envelope's header.
  let codecId: number | undefined = req.op === 'decompress' ? req.codecId : req.op === 'decode' || req.op === 'admit' ? req.data[ENVELOPE_CODEC_OFFSET] : undefined;
  try {
    let output: Uint8Array;
    if (req.op === 'encode' || req.op === 'admit') {
      // Both end in a sealed envelope: compressed here, or checked (and maybe recompressed) as sent.
      const out = req.op === 'encode' ? codec.encode(req.data, req.id, req.codec, req.level) : codec.admit(req.data, req.id, req.maxPlain, req.recompress);
      codecId = out.codecId;
      output = out.envelope;
      release(req.data, output);
      send({ seq: req.seq, ok: true, encoded: out }, output);
    } else if (req.op === 'decode') {
      output = codec.decode(req.data, req.id, req.backend);
      release(req.data, output);
      send({ seq: req.seq, ok: true, plain: output }, output);
    } else if (req.op === 'unseal') {
      output = codec.unseal(req.data, req.id, req.backend);
      release(req.data, output);
      send({ seq: req.seq, ok: true, envelope: output }, output);
    } else if (req.op === 'compress') {
      const compressed = compressChunk(req.data, req.codec, req.level);
      codecId = compressed.codecId;
      output = compressed.payload;
      release(req.data, output);
      send({ seq: req.seq, ok: true, compressed }, output);
    } else {
      output = decompressPayload(req.codecId, req.data, req.plainLength);
      release(req.data, output);
      send({ seq: req.seq, ok: true, plain: output }, output);
    }
    pacer.processed(output.length + (nativeCodec(codecId) ? 2 * Math.max(inputLength, output.length) : 0));
  } catch (err) {
    const reply: WorkerReply =
      err instanceof ChunkCorruptError
        ? { seq: req.seq, ok: false, kind: 'corrupt', chunkId: err.chunkId, reason: err.reason, backend: err.backend, message: err.message }
        : err instanceof DcsError
          ? { seq: req.seq, ok: false, kind: 'dcs', code: err.code, message: err.message }
          : { seq: req.seq, ok: false, kind: 'bug', message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    port.postMessage(reply);
  }
}

// Each request runs in its own turn of the event loop: a MessagePort delivers every queued message
// in one go, and native codecs' output buffers are freed by finalizers that Node runs as immediates,
// so with a steady queue they would never run (a snappy get of 2 GiB of zeros grew to 2.4 GB).
port.on('message', (req: WorkerRequest) => setImmediate(handle, req));

