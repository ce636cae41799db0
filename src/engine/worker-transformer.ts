// A pool of worker threads running ChunkCodec, so compression, encryption and verification use
// every core while the main thread chunks, hashes and does I/O. Chunks move by transfer, not copy.
// The same pool serves compressor services as a ChunkCompressor (compression alone; no keys needed).
import { Worker } from 'node:worker_threads';
import type { ChunkId } from '../core/chunk-id.ts';
import { ChunkCodec, type CompressedChunk, type EncodedChunk, type Recompress } from '../core/chunk-codec.ts';
import type { CodecChoice } from '../core/codecs.ts';
import { ENVELOPE_HEADER_SIZE, ENVELOPE_PLAIN_LENGTH_OFFSET } from '../core/envelope.ts';
import { ChunkCorruptError, DcsError } from '../core/errors.ts';
import type { RepositoryKeys } from '../core/keyfile.ts';
import { transferable } from './chunk-source.ts';
import type { ChunkCompressor } from './chunk-compressor.ts';
import type { ChunkTransformer, EncodeOptions } from './chunk-transformer.ts';
import { WORKER_LIMITS, type WorkerReply, type WorkerRequest, type WorkerSetup } from './worker-protocol.ts';

interface Pending {
  resolve: (reply: WorkerReply & { ok: true }) => void;
  reject: (err: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * Chunks at most this large are transformed on the calling thread: a worker round trip (~0.2 ms)
 * costs more than zstd or AES on 64 KiB (~0.1 ms), and a small file then starts no worker at all
 * (~0.1 s of a command's wall time). Chunks of large files (512 KiB and more) always go to workers.
 */
const INLINE_MAX = 64 * 1024;

/**
 * While no worker has started, chunks up to this size are decoded (decompressed and hashed, ~0.3 ms
 * for 256 KiB) here: a get of one small file then does not wait ~0.1 s for a worker to start.
 * Once one runs (a server, a large file), they go to workers like the rest, so a busy server's
 * main thread keeps INLINE_MAX. Chunks of large files (FastCDC's minimum, 512 KiB) always do.
 */
const COLD_DECODE_INLINE_MAX = 256 * 1024;

export class WorkerPoolTransformer implements ChunkTransformer, ChunkCompressor {
  readonly #workers: PoolWorker[] = [];
  #inline: ChunkCodec | undefined;
  readonly #max: number;
  readonly #setup: WorkerSetup;
  #seq = 0;
  #closed = false;

  /**
   * Workers start on demand, up to `workers`: a command that never transforms a chunk (ls, stat,
   * a put of already stored data) starts none, and a small file starts one. Each costs ~0.25 CPU-s
   * of start-up (its module graph).
   */
  constructor(options: { workers: number; keys?: RepositoryKeys; idKey?: Uint8Array }) {
    this.#max = Math.max(1, options.workers);
    this.#setup = { ...(options.keys ? { keys: options.keys } : {}), ...(options.idKey ? { idKey: options.idKey } : {}) };
  }

  #spawn(): PoolWorker {
    const worker = new Worker(new URL('./codec-worker.ts', import.meta.url), { workerData: this.#setup, resourceLimits: WORKER_LIMITS });
    const entry: PoolWorker = { worker, pending: new Map() };
    worker.on('message', (reply: WorkerReply) => this.#onReply(entry, reply));
    worker.on('error', (err) => this.#failAll(entry, err));
    worker.on('exit', (code) => {
      if (!this.#closed) this.#failAll(entry, new Error(`chunk worker exited unexpectedly (code ${code})`));
    });
    // An idle pool must not keep the process alive.
    worker.unref();
    this.#workers.push(entry);
    return entry;
  }

  /** Worker threads started so far (small chunks start none). */
  get workersStarted(): number {
    return this.#workers.length;
  }

  #decodeBound(): number {
    return this.#workers.length === 0 ? COLD_DECODE_INLINE_MAX : INLINE_MAX;
  }

  /** The codec of this thread, for small chunks. */
  #here(): ChunkCodec {
    return (this.#inline ??= new ChunkCodec(this.#setup));
  }

  async encode(plain: Uint8Array, id: ChunkId, codec: CodecChoice, level?: number, options?: EncodeOptions): Promise<EncodedChunk> {
    if (plain.length <= INLINE_MAX || options?.here) return this.#here().encode(plain, id, codec, level);
    const data = transferable(plain);
    const reply = await this.#call({ seq: 0, op: 'encode', data, id, codec, level }, data);
    if (!('encoded' in reply)) throw new Error('chunk worker returned no envelope');
    return reply.encoded;
  }

  async decode(envelope: Uint8Array, id: ChunkId, backend?: string): Promise<Uint8Array> {
    const bound = this.#decodeBound();
    if (envelope.length <= bound && smallPlain(envelope, bound)) return this.#here().decode(envelope, id, backend);
    const data = transferable(envelope);
    const reply = await this.#call({ seq: 0, op: 'decode', data, id, backend }, data);
    if (!('plain' in reply)) throw new Error('chunk worker returned no data');
    return reply.plain;
  }

  async admit(envelope: Uint8Array, id: ChunkId, maxPlain: number, recompress?: Recompress): Promise<EncodedChunk> {
    // Recompressing costs what encoding costs, so it keeps encode's bound.
    const bound = recompress ? INLINE_MAX : this.#decodeBound();
    if (envelope.length <= bound && smallPlain(envelope, bound)) return this.#here().admit(envelope, id, maxPlain, recompress);
    const data = transferable(envelope);
    const reply = await this.#call({ seq: 0, op: 'admit', data, id, maxPlain, recompress }, data);
    if (!('encoded' in reply)) throw new Error('chunk worker returned no envelope');
    return reply.encoded;
  }

  async unseal(envelope: Uint8Array, id: ChunkId, backend?: string): Promise<Uint8Array> {
    if (envelope.length <= INLINE_MAX) return this.#here().unseal(envelope, id, backend);
    const data = transferable(envelope);
    const reply = await this.#call({ seq: 0, op: 'unseal', data, id, backend }, data);
    if (!('envelope' in reply)) throw new Error('chunk worker returned no envelope');
    return reply.envelope;
  }

  async compress(plain: Uint8Array, codec: CodecChoice, level?: number): Promise<CompressedChunk> {
    // The caller gave up the whole buffer (see ChunkCompressor): transfer it, view and all, unless
    // it cannot be transferred (a SharedArrayBuffer, or Node's small-Buffer pool).
    const owned = plain.buffer instanceof ArrayBuffer && plain.buffer.byteLength >= 64 * 1024 && plain.byteLength >= plain.buffer.byteLength / 2;
    const data = owned ? plain : transferable(plain);
    const reply = await this.#call({ seq: 0, op: 'compress', data, codec, level }, data);
    if (!('compressed' in reply)) throw new Error('chunk worker returned no payload');
    return reply.compressed;
  }

  async decompress(codecId: number, payload: Uint8Array, plainLength: number): Promise<Uint8Array> {
    const data = transferable(payload);
    const reply = await this.#call({ seq: 0, op: 'decompress', data, codecId, plainLength }, data);
    if (!('plain' in reply)) throw new Error('chunk worker returned no data');
    return reply.plain;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#workers.map((w) => w.worker.terminate()));
    this.#workers.length = 0;
  }

  #call(req: WorkerRequest, data: Uint8Array): Promise<WorkerReply & { ok: true }> {
    if (this.#closed) return Promise.reject(new Error('chunk worker pool is closed'));
    // Least-loaded worker (chunks differ in cost, so plain round-robin would queue behind a slow
    // one); ties rotate so every worker gets work. A new worker starts while all are busy.
    const n = this.#workers.length;
    let target: PoolWorker | undefined;
    for (let i = 0; i < n; i++) {
      const w = this.#workers[(this.#seq + i) % n]!;
      if (!target || w.pending.size < target.pending.size) target = w;
    }
    if (!target || (target.pending.size > 0 && n < this.#max)) target = this.#spawn();
    req.seq = ++this.#seq;
    const chosen = target;
    return new Promise((resolve, reject) => {
      if (chosen.pending.size === 0) chosen.worker.ref();
      chosen.pending.set(req.seq, { resolve, reject });
      chosen.worker.postMessage(req, [data.buffer as ArrayBuffer]);
    });
  }

  #onReply(entry: PoolWorker, reply: WorkerReply): void {
    const p = entry.pending.get(reply.seq);
    if (!p) return;
    entry.pending.delete(reply.seq);
    if (entry.pending.size === 0) entry.worker.unref();
    if (reply.ok) p.resolve(reply);
    else if (reply.kind === 'corrupt') p.reject(new ChunkCorruptError(reply.chunkId, reply.reason, reply.backend));
    else if (reply.kind === 'dcs') p.reject(new DcsError(reply.code, reply.message));
    else p.reject(new Error(`chunk worker failed: ${reply.message}`));
  }

  #failAll(entry: PoolWorker, err: Error): void {
    for (const p of entry.pending.values()) p.reject(err);
    entry.pending.clear();
  }
}

/**
 * Whether an envelope decodes to a small chunk (its header's plain length), so a well-compressed
 * large chunk still goes to a worker. A header too short to read is the codec's to refuse.
 */
function smallPlain(envelope: Uint8Array, bound: number): boolean {
  if (envelope.length < ENVELOPE_HEADER_SIZE) return true;
  return new DataView(envelope.buffer, envelope.byteOffset, ENVELOPE_HEADER_SIZE).getUint32(ENVELOPE_PLAIN_LENGTH_OFFSET, true) <= bound;
}
