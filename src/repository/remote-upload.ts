// The client side of an upload that sends only new chunks (`dcs put --server`): cut and hash the
// input here with the repository's chunker and id key, offer the chunk list to the orchestrator in
// order, compress the chunks it lacks here too, and send them as frames on its data plane (gRPC
// PutChunks where no data plane answers). A re-put of an unchanged file sends ~40 bytes per chunk.
//
// Moving to another orchestrator mid-upload: the chunk list offered so far is kept (ids and
// lengths), and so is every encoded chunk until a put of it was acknowledged. After a connection
// failure the upload opens a new session on the next orchestrator, offers the list again, sends
// what that session still lacks (chunks acknowledged before are durable and claimed as present)
// and goes on — stdin included, since nothing is read twice.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { validateChunkerParams, type ChunkerParams } from '../core/chunker.ts';
import type { ChunkId } from '../core/chunk-id.ts';
import { parseCodecChoice, type CodecChoice } from '../core/codecs.ts';
import { DcsError } from '../core/errors.ts';
import { freeView } from '../core/memory.ts';
import type { ChunkInput, IdentifiedChunk } from '../engine/chunk-source.ts';
import type { ChunkTransformer } from '../engine/chunk-transformer.ts';
import type { OfferedChunk } from '../engine/chunked-upload.ts';
import type { WrittenCounts } from '../engine/upload.ts';
import { chunkFramePrefix } from '../services/data-frames.ts';
import { DataPlaneError } from '../services/data-plane.ts';
import type { BeginChunkedUploadResponse, PutChunksRequestSchema } from '../services/gen/dcs/v1/orchestrator_pb.js';
import { isUnreachable, type Endpoint, type Endpoints } from './remote-endpoints.ts';
import type { UploadRequest, UploadResult, VersionRecord } from './repository.ts';

/** Offers carry the chunks cut since the last one: as many as the engine's own claim batches. */
const OFFER_CHUNKS = 32;
const OFFER_BYTES = 8 * 1024 * 1024;
/** Puts on the wire at once, each a batch of the chunks one offer asked for. */
const PUTS_IN_FLIGHT = 3;
/** Re-offers after a failover go in pieces of this many chunks (the server's limit is 4096). */
const REOFFER_CHUNKS = 4096;

export interface ClientTerms {
  chunker: ChunkerParams;
  idKey?: Uint8Array;
  codec: CodecChoice;
  level?: number;
}

/** The client's own chunker and codec workers for one repository (by its id key). */
export interface ClientStages {
  chunks(input: ChunkInput, chunker: ChunkerParams): AsyncIterable<IdentifiedChunk>;
  transformer: ChunkTransformer;
}

export interface ChunkedUploadRequest extends UploadRequest {
  /** Compress here (default), or send chunks uncompressed for the orchestrator (its compressors) to compress. */
  compressOn?: 'client' | 'server';
}

export function clientTerms(r: BeginChunkedUploadResponse): ClientTerms {
  const c = r.chunker;
  if (!c) throw new DcsError('PROTOCOL', 'orchestrator sent no chunker parameters');
  const chunker = validateChunkerParams(c.kind === 'fixed' ? { kind: 'fixed', size: c.size } : { kind: c.kind, min: c.min, avg: c.avg, max: c.max });
  return { chunker, ...(r.idKey.length > 0 ? { idKey: r.idKey } : {}), codec: parseCodecChoice(r.codec), ...(r.level !== 0 ? { level: r.level } : {}) };
}

const sameChunker = (a: ChunkerParams, b: ChunkerParams): boolean => JSON.stringify(a) === JSON.stringify(b);

interface Encoded {
  envelope: Uint8Array;
  rawSize: number;
}

export class ChunkedUploader {
  readonly #endpoints: Endpoints;
  readonly #stagesFor: (terms: ClientTerms) => ClientStages;
  readonly #request: ChunkedUploadRequest;
  #ep!: Endpoint;
  #terms!: ClientTerms;
  #stages!: ClientStages;
  #session = '';
  /** The file's chunk list offered so far, in order. */
  readonly #offered: OfferedChunk[] = [];
  #offeredBytes = 0;
  /** Chunks encoded for sending whose put has not been acknowledged yet. */
  readonly #unacked = new Map<ChunkId, Promise<Encoded>>();
  /** Ids the current session asked for (a chunk repeated later in the file is sent once). */
  #asked = new Set<ChunkId>();
  #puts: Promise<void>[] = [];
  #grpcPuts = false;
  #failovers = 0;
  #wireLevel = 0;
  readonly counts: WrittenCounts = { newChunks: 0, newStoredBytes: 0, newRawBytes: 0, codecs: {}, degraded: 0 };

  constructor(endpoints: Endpoints, stagesFor: (terms: ClientTerms) => ClientStages, request: ChunkedUploadRequest) {
    this.#endpoints = endpoints;
    this.#stagesFor = stagesFor;
    this.#request = request;
  }

  async run(input: ChunkInput, wireLevel: number): Promise<UploadResult> {
    this.#wireLevel = wireLevel;
    await this.#guard(() => this.#begin(), false);
    try {
      let batch: IdentifiedChunk[] = [];
      let batchBytes = 0;
      let read = 0;
      let count = 0;
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const current = batch;
        batch = [];
        batchBytes = 0;
        await this.#guard(() => this.#drainTo(PUTS_IN_FLIGHT - 1));
        const ids = await this.#guard(() => this.#offer(current));
        this.#schedulePut(ids);
      };
      for await (const chunk of this.#stages.chunks(input, this.#terms.chunker)) {
        batch.push(chunk);
        batchBytes += chunk.data.length;
        read += chunk.data.length;
        this.#request.onProgress?.({ bytesRead: read, chunks: ++count });
        if (batch.length >= OFFER_CHUNKS || batchBytes >= OFFER_BYTES) await flush();
      }
      await flush();
      await this.#guard(() => this.#drainTo(0));
      const version = await this.#guard(() => this.#commit());
      return { version, size: version.size, chunks: version.chunkCount, newChunks: this.counts.newChunks, newStoredBytes: this.counts.newStoredBytes, newRawBytes: this.counts.newRawBytes, codecs: this.counts.codecs };
    } catch (err) {
      await Promise.allSettled(this.#puts);
      const session = this.#session;
      await this.#ep.rpc.abortChunkedUpload({ sessionId: session }).catch(() => {});
      throw err;
    }
  }

  /**
   * Run a step; when the orchestrator cannot be reached, move to the next one, carry the upload
   * over (#resume) and, if `retry`, run the step again there.
   */
  async #guard<T>(step: () => Promise<T>, resume = true): Promise<T> {
    for (;;) {
      const ep = this.#ep;
      try {
        return await step();
      } catch (err) {
        if (!isUnreachable(err) || this.#failovers >= 2 * this.#endpoints.urls.length || !this.#endpoints.next(ep ?? this.#endpoints.current)) throw err;
        this.#failovers++;
        if (resume && this.#session !== '') await this.#guard(() => this.#resume(), false);
      }
    }
  }

  async #begin(): Promise<void> {
    const ep = this.#endpoints.current;
    const r = await ep.rpc.beginChunkedUpload({ name: this.#request.name, codec: this.#request.codec ?? '', level: this.#wireLevel });
    const terms = clientTerms(r);
    if (this.#terms && !sameChunker(this.#terms.chunker, terms.chunker)) throw new DcsError('CLUSTER', `orchestrator ${ep.url} chunks differently from ${this.#ep.url}: they do not serve the same repository`);
    this.#ep = ep;
    this.#session = r.sessionId;
    this.#terms = terms;
    this.#stages ??= this.#stagesFor(terms);
  }

  /** Offer `batch` as the next chunks of the list; start encoding the ones asked for. */
  async #offer(batch: IdentifiedChunk[]): Promise<ChunkId[]> {
    const chunks = batch.map((c) => ({ id: c.id, length: c.data.length }));
    const send = await this.#ep.rpc.offerChunks({ sessionId: this.#session, firstSeq: this.#offered.length, firstOffset: BigInt(this.#offeredBytes), chunks: chunks.map((c) => ({ id: Buffer.from(c.id, 'hex'), length: c.length })) });
    for (const c of chunks) {
      this.#offered.push(c);
      this.#offeredBytes += c.length;
    }
    const wanted = new Set(send.send);
    const ids: ChunkId[] = [];
    batch.forEach((c, i) => {
      if (!wanted.has(i) || this.#asked.has(c.id)) {
        // Stored already, or on its way: chunk sources hand out buffers their consumer owns.
        freeView(c.data);
        return;
      }
      this.#asked.add(c.id);
      ids.push(c.id);
      if (this.#unacked.has(c.id)) freeView(c.data);
      else this.#unacked.set(c.id, this.#encode(c));
    });
    return ids;
  }

  #encode(c: IdentifiedChunk): Promise<Encoded> {
    const server = this.#request.compressOn === 'server';
    const p = this.#stages.transformer.encode(c.data, c.id, server ? 'none' : this.#terms.codec, server ? undefined : this.#terms.level).then((e) => ({ envelope: e.envelope, rawSize: e.rawSize }));
    // Awaited by its put; a failure before then must not count as unhandled.
    p.catch(() => {});
    return p;
  }

  #schedulePut(ids: ChunkId[]): void {
    if (ids.length === 0) return;
    const put = this.#put(ids);
    put.catch(() => {});
    this.#puts.push(put);
  }

  async #drainTo(n: number): Promise<void> {
    while (this.#puts.length > n) await this.#puts.shift();
  }

  async #put(ids: ChunkId[]): Promise<void> {
    const ep = this.#ep;
    const session = this.#session;
    const chunks = await Promise.all(ids.map(async (id) => ({ id, ...(await this.#unacked.get(id)!) })));
    const r = await this.#send(ep, session, chunks);
    this.counts.newChunks += r.newChunks;
    this.counts.newStoredBytes += r.newStoredBytes;
    this.counts.newRawBytes += r.newRawBytes;
    this.counts.degraded += r.degraded;
    for (const [k, v] of Object.entries(r.codecs)) this.counts.codecs[k] = (this.counts.codecs[k] ?? 0) + v;
    for (const c of chunks) {
      this.#unacked.delete(c.id);
      freeView(c.envelope);
    }
  }

  async #send(ep: Endpoint, session: string, chunks: ({ id: ChunkId } & Encoded)[]): Promise<WrittenCounts> {
    const recompress = this.#request.compressOn === 'server' ? { codec: this.#terms.codec, level: this.#terms.level } : undefined;
    if (!this.#grpcPuts) {
      const query = recompress ? `?recompress=${encodeURIComponent(recompress.codec)}${recompress.level === undefined ? '' : `&level=${recompress.level}`}` : '';
      const length = chunks.reduce((n, c) => n + 48 + c.envelope.length, 0);
      async function* body(): AsyncGenerator<Uint8Array> {
        for (const c of chunks) {
          yield chunkFramePrefix(c.id, 0, c.rawSize, c.envelope.length);
          yield c.envelope;
        }
      }
      try {
        const res = await ep.data.call({ method: 'POST', path: `/data/v1/uploads/${session}/chunks${query}`, headers: { 'content-length': length, 'content-type': 'application/vnd.dcs.frames' }, body: body() });
        let text = '';
        for await (const piece of res as AsyncIterable<Buffer>) text += piece.toString('utf8');
        return JSON.parse(text) as WrittenCounts;
      } catch (err) {
        // An orchestrator (or a proxy in front of it) without the data plane: gRPC carries the chunks.
        if (!(err instanceof DataPlaneError && err.status === 404 && err.code === 'NOT_FOUND')) throw err;
        this.#grpcPuts = true;
      }
    }
    async function* requests(): AsyncGenerator<MessageInitShape<typeof PutChunksRequestSchema>> {
      yield { msg: { case: 'header', value: { sessionId: session, recompressCodec: recompress?.codec ?? '', recompressLevel: recompress?.level ?? 0 } } };
      for (const c of chunks) yield { msg: { case: 'chunk', value: { id: Buffer.from(c.id, 'hex'), envelope: c.envelope } } };
    }
    const r = await ep.rpc.putChunks(requests());
    return { newChunks: r.newChunks, newStoredBytes: Number(r.newStoredBytes), newRawBytes: Number(r.newRawBytes), codecs: { ...r.codecs }, degraded: r.degraded };
  }

  async #commit(): Promise<VersionRecord> {
    const r = await this.#ep.rpc.commitChunkedUpload({ sessionId: this.#session, name: this.#request.name, size: BigInt(this.#offeredBytes), codec: this.#request.codec ?? this.#terms.codec });
    const v = r.version;
    if (!v) throw new DcsError('PROTOCOL', 'orchestrator sent no version');
    return { versionId: 0, name: v.name, version: v.version, size: Number(v.size), chunkCount: v.chunkCount, codec: v.codec, createdAt: Number(v.createdAtMs) };
  }

  /** Carry the upload over to the (new) current orchestrator: new session, list offered again, missing chunks sent. */
  async #resume(): Promise<void> {
    await Promise.allSettled(this.#puts);
    this.#puts = [];
    const old = this.#session;
    await this.#begin();
    this.#asked = new Set();
    let offset = 0;
    for (let at = 0; at < this.#offered.length; at += REOFFER_CHUNKS) {
      const part = this.#offered.slice(at, at + REOFFER_CHUNKS);
      const send = await this.#ep.rpc.offerChunks({ sessionId: this.#session, firstSeq: at, firstOffset: BigInt(offset), chunks: part.map((c) => ({ id: Buffer.from(c.id, 'hex'), length: c.length })) });
      for (const c of part) offset += c.length;
      const ids: ChunkId[] = [];
      for (const i of send.send) {
        const id = part[i]!.id;
        if (this.#asked.has(id)) continue;
        if (!this.#unacked.has(id)) throw new DcsError('UPLOAD_LOST', `chunk ${id.slice(0, 12)}… is no longer stored (gc ran while the upload moved to ${this.#ep.url}); put the file again`);
        this.#asked.add(id);
        ids.push(id);
      }
      for (let k = 0; k < ids.length; k += OFFER_CHUNKS) await this.#put(ids.slice(k, k + OFFER_CHUNKS));
    }
    // What the new session did not ask for is durable already.
    for (const [id, p] of this.#unacked) {
      if (this.#asked.has(id)) continue;
      this.#unacked.delete(id);
      void p.then((e) => freeView(e.envelope), () => {});
    }
    await this.#ep.rpc.abortChunkedUpload({ sessionId: old }).catch(() => {});
  }
}
