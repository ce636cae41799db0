// The digests of one request body, computed beside the upload instead of in its way: bodies of a
// few MiB are hashed on this thread, larger ones in a shared worker thread, to which the bytes go
// in 1 MiB batches (copied once, transferred there and back, reused). At most BATCHES batches of a
// body are in flight, so a worker slower than the network holds the upload back instead of
// buffering it.
import { Worker } from 'node:worker_threads';
import { digestOf, type Digest, type DigestAlgorithm } from './digests.ts';
import type { DigestReply, DigestRequest } from './digest-protocol.ts';

/** Bodies up to this size are hashed inline: a worker round trip would cost more. */
const INLINE_MAX = 4 * 1024 * 1024;
const BATCH_BYTES = 1024 * 1024;
const BATCHES = 6;
const POOL_SIZE = 2;

interface Session {
  onAck(data: Uint8Array): void;
  onDigests(digests: string[]): void;
  onError(message: string): void;
}

class DigestPool {
  readonly #workers: Worker[] = [];
  readonly #sessions = new Map<number, Session>();
  #next = 0;
  #seq = 0;

  open(session: Session): { id: number; worker: Worker } {
    const id = ++this.#seq;
    if (this.#workers.length < POOL_SIZE) this.#workers.push(this.#spawn());
    const worker = this.#workers[this.#next++ % this.#workers.length]!;
    this.#sessions.set(id, session);
    return { id, worker };
  }

  close(id: number): void {
    this.#sessions.delete(id);
  }

  #spawn(): Worker {
    const worker = new Worker(new URL('./digest-worker.ts', import.meta.url), { resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 } });
    worker.on('message', (reply: DigestReply) => {
      const s = this.#sessions.get(reply.id);
      if (!s) return;
      if ('ack' in reply) s.onAck(reply.data);
      else if ('digests' in reply) s.onDigests(reply.digests);
      else s.onError(reply.error);
    });
    worker.on('error', (err) => {
      for (const s of this.#sessions.values()) s.onError(String(err));
      const at = this.#workers.indexOf(worker);
      if (at >= 0) this.#workers.splice(at, 1);
    });
    // An idle pool must not keep the process alive.
    worker.unref();
    return worker;
  }
}

let pool: DigestPool | undefined;

export class PayloadDigests {
  readonly #algorithms: DigestAlgorithm[];
  readonly #inline: Digest[] | undefined;
  #remote: { id: number; worker: Worker } | undefined;
  #free: Uint8Array[] = [];
  #inFlight = 0;
  #batch: Uint8Array | undefined;
  #filled = 0;
  #wake: (() => void) | undefined;
  #result: { resolve(d: string[]): void; reject(e: Error): void } | undefined;
  #failed: Error | undefined;

  /** `expectedSize`: the body's size where the request says it (small bodies are hashed here). */
  constructor(algorithms: DigestAlgorithm[], expectedSize: number | undefined) {
    this.#algorithms = algorithms;
    if (expectedSize !== undefined && expectedSize <= INLINE_MAX) {
      this.#inline = algorithms.map(digestOf);
      return;
    }
    this.#remote = (pool ??= new DigestPool()).open({
      onAck: (data) => {
        this.#inFlight--;
        this.#free.push(data);
        this.#wake?.();
      },
      onDigests: (d) => this.#result?.resolve(d),
      onError: (message) => {
        this.#failed = new Error(`digest worker: ${message}`);
        this.#wake?.();
        this.#result?.reject(this.#failed);
      },
    });
    this.#post({ id: this.#remote.id, op: 'begin', algorithms });
  }

  #post(msg: DigestRequest, transfer?: ArrayBuffer[]): void {
    this.#remote!.worker.postMessage(msg, transfer ?? []);
  }

  async #send(): Promise<void> {
    const data = this.#batch!.subarray(0, this.#filled);
    this.#batch = undefined;
    this.#filled = 0;
    this.#inFlight++;
    this.#post({ id: this.#remote!.id, op: 'update', data }, [data.buffer as ArrayBuffer]);
  }

  async #batchBuffer(): Promise<Uint8Array> {
    for (;;) {
      if (this.#failed) throw this.#failed;
      const free = this.#free.pop();
      // A returned batch is a view of its whole buffer again.
      if (free) return new Uint8Array(free.buffer, 0, BATCH_BYTES);
      if (this.#inFlight < BATCHES) return new Uint8Array(BATCH_BYTES);
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  /** Add a piece of the body (copied: the caller keeps it). */
  async update(piece: Uint8Array): Promise<void> {
    if (this.#inline) {
      for (const d of this.#inline) d.update(piece);
      return;
    }
    let at = 0;
    while (at < piece.byteLength) {
      this.#batch ??= await this.#batchBuffer();
      const take = Math.min(piece.byteLength - at, BATCH_BYTES - this.#filled);
      this.#batch.set(piece.subarray(at, at + take), this.#filled);
      this.#filled += take;
      at += take;
      if (this.#filled === BATCH_BYTES) await this.#send();
    }
  }

  /** Every digest, base64, by algorithm. */
  async finish(): Promise<Map<DigestAlgorithm, string>> {
    let values: string[];
    if (this.#inline) values = await Promise.all(this.#inline.map((d) => d.base64()));
    else {
      if (this.#filled > 0) await this.#send();
      values = await new Promise<string[]>((resolve, reject) => {
        this.#result = { resolve, reject };
        if (this.#failed) reject(this.#failed);
        else this.#post({ id: this.#remote!.id, op: 'end' });
      });
      pool?.close(this.#remote!.id);
    }
    return new Map(this.#algorithms.map((a, i) => [a, values[i]!]));
  }

  /** The body was abandoned: forget it in the worker. */
  drop(): void {
    if (!this.#remote) return;
    this.#post({ id: this.#remote.id, op: 'drop' });
    pool?.close(this.#remote.id);
  }
}
