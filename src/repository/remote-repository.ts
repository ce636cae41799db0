// RemoteRepository: the Repository API of an orchestrator, over its gRPC OrchestratorService
// (`--server URL`). Results come back as the same types a local repository returns, so a command
// has one code path either way. Requests are checked by the orchestrator's own local repository;
// its errors come back with their dcs code and message (rpc-errors.ts). Only what the wire cannot
// carry faithfully (its 0 means "unset") is checked here, with the same shared checks.
//
// Bulk bytes take the lean path: uploads are chunked, hashed and compressed here and only chunks
// the repository lacks are sent (remote-upload.ts); downloads arrive as compressed envelopes and
// are decoded here (remote-download.ts). Several orchestrator URLs may be given: a call that
// cannot reach one goes to the next (remote-endpoints.ts).
import { stat as statFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseCodecChoice } from '../core/codecs.ts';
import { DcsError, UsageError } from '../core/errors.ts';
import { checkLevel } from '../core/input/encoding.ts';
import { resolveRange } from '../core/input/ranges.ts';
import { checkVersion } from '../core/input/sizes.ts';
import type { Problem, VersionInfo } from '../services/gen/dcs/v1/orchestrator_pb.js';
import { fromConnectError } from '../services/rpc-errors.ts';
import type { ClientOptions } from '../services/transport.ts';
import { hmacHasher, sha256Hasher } from '../core/chunk-id.ts';
import { maxChunk } from '../core/chunker.ts';
import { inlineChunkSource, isFileInput, workerChunkSource, type ChunkSource } from '../engine/chunk-source.ts';
import type { ChunkTransformer } from '../engine/chunk-transformer.ts';
import { WorkerPoolTransformer } from '../engine/worker-transformer.ts';
import { envelopeDownload, NodeReaders, planDownload } from './remote-download.ts';
import { Endpoints, type Endpoint } from './remote-endpoints.ts';
import { ChunkedUploader, type ClientStages, type ClientTerms } from './remote-upload.ts';
import type {
  BackendHealth,
  CopyState,
  Download,
  DownloadRequest,
  FileStat,
  FileSummary,
  FileToUpload,
  GcOptions,
  GcReport,
  Health,
  ListRequest,
  ProblemKind,
  RepairOptions,
  RepairReport,
  Repository,
  StatRequest,
  StatsReport,
  UploadFilesRequest,
  UploadInput,
  UploadRequest,
  UploadResult,
  VerifyOptions,
  VerifyProblem,
  VerifyReport,
  VersionRecord,
} from './repository.ts';
import { uploadFiles } from './upload-files.ts';

const num = (b: bigint): number => Number(b);

/** dcs.v1 sends an unset version as 0, so a requested 0 is refused here instead of reading "latest". */
const wireVersion = (v: number | undefined): number => (v === undefined ? 0 : checkVersion(v));

/** dcs.v1 sends an unset level as 0, so a requested 0 must not silently become "the default". */
function wireLevel(codec: string | undefined, level: number | undefined): number {
  if (level === undefined) return 0;
  if (level !== 0) return level;
  if (codec !== undefined) checkLevel(parseCodecChoice(codec), 0);
  throw new UsageError('level 0 cannot be sent to an orchestrator: its gRPC API reads 0 as "the default level"');
}

function versionRecord(v: VersionInfo | undefined): VersionRecord {
  if (!v) throw new Error('orchestrator sent no version');
  return { versionId: 0, name: v.name, version: v.version, size: num(v.size), chunkCount: v.chunkCount, codec: v.codec, createdAt: num(v.createdAtMs) };
}

/** A string field of the wire that holds one of a few words: checked, not trusted. */
function oneOf<T extends string>(value: string, allowed: readonly T[], what: string): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) throw new DcsError('PROTOCOL', `orchestrator sent an unknown ${what} ${JSON.stringify(value)}`);
  return found;
}
const HEALTH: readonly Health[] = ['healthy', 'degraded', 'lost'];
const BACKEND_HEALTH: readonly BackendHealth['health'][] = ['healthy', 'degraded', 'down'];
const COPY_STATES: readonly CopyState[] = ['ok', 'missing', 'corrupt'];
const PROBLEM_KINDS: readonly ProblemKind[] = ['missing', 'corrupt', 'unreachable', 'under-replicated', 'lost', 'orphan'];

const problems = (ps: Problem[]): VerifyProblem[] =>
  ps.map((p) => ({ kind: oneOf(p.kind, PROBLEM_KINDS, 'problem kind'), chunkId: p.chunkId, ...(p.backend ? { backend: p.backend } : {}), detail: p.detail }));

/** A stream whose pieces a consumer may transfer without detaching the producer's buffers. */
async function* kept(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const piece of input) yield piece.byteOffset === 0 && piece.byteLength === piece.buffer.byteLength ? new Uint8Array(piece) : piece;
}

export interface RemoteOptions extends ClientOptions {
  /** Where new chunks are compressed: here (default) or by the orchestrator (its compressors). */
  compressOn?: 'client' | 'server';
  /** Worker threads for chunking and codecs on this side (default: one per core, at most 8). */
  workers?: number;
}

export class RemoteRepository implements Repository {
  readonly url: string;
  readonly #endpoints: Endpoints;
  readonly #options: RemoteOptions;
  /** This side's codec workers, per id key (one repository has one). */
  readonly #pools = new Map<string, WorkerPoolTransformer>();
  /** Storage nodes this client reads chunks from directly (download plans). */
  readonly #nodes: NodeReaders;

  /** `url` may list several orchestrators of one repository, comma-separated (or pass an array). */
  constructor(url: string | readonly string[], options: RemoteOptions = {}) {
    const urls = typeof url === 'string' ? url.split(',').map((u) => u.trim()) : [...url];
    this.url = urls.join(',');
    this.#endpoints = new Endpoints(urls, options);
    this.#options = options;
    this.#nodes = new NodeReaders(options);
  }

  /** Bytes this client has written to the network so far (every protocol, headers included). */
  get bytesSent(): number {
    return this.#endpoints.bytesSent();
  }

  async close(): Promise<void> {
    this.#endpoints.close();
    this.#nodes.close();
    await Promise.all([...this.#pools.values()].map((p) => p.close()));
  }

  async #call<T>(fn: (e: Endpoint) => Promise<T>, fileName?: string): Promise<T> {
    try {
      return await this.#endpoints.call(fn);
    } catch (err) {
      throw fromConnectError(err, fileName === undefined ? {} : { fileName });
    }
  }

  #transformer(idKey: Uint8Array | undefined): ChunkTransformer {
    const key = idKey ? Buffer.from(idKey).toString('hex') : '';
    let pool = this.#pools.get(key);
    if (!pool) {
      const workers = this.#options.workers ?? Math.min(availableParallelism(), 8);
      pool = new WorkerPoolTransformer({ workers, ...(idKey ? { idKey } : {}) });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  #stages(terms: ClientTerms): ClientStages {
    const hasher = terms.idKey ? hmacHasher(terms.idKey) : sha256Hasher();
    const inline = inlineChunkSource(hasher);
    const worker: ChunkSource = workerChunkSource(terms.idKey ? { idKey: terms.idKey } : {});
    return {
      // A file of a few chunks is cut on this thread: a chunking worker costs more to start.
      chunks: (input, chunker) =>
        (async function* () {
          const small = isFileInput(input) && (await statFile(input.path).then((st) => st.size <= 2 * maxChunk(chunker), () => false));
          // The chunking worker takes a whole-buffer piece by transfer; the caller's buffers stay its own.
          yield* (small ? inline : worker)(isFileInput(input) ? input : kept(input), chunker);
        })(),
      transformer: this.#transformer(terms.idKey),
    };
  }

  async upload(input: UploadInput, options: UploadRequest): Promise<UploadResult> {
    const level = wireLevel(options.codec, options.level);
    const uploader = new ChunkedUploader(this.#endpoints, (t) => this.#stages(t), { ...options, ...(this.#options.compressOn ? { compressOn: this.#options.compressOn } : {}) });
    try {
      return await uploader.run(input, level);
    } catch (err) {
      throw fromConnectError(err, { fileName: options.name });
    }
  }

  uploadFiles(files: readonly FileToUpload[], request: UploadFilesRequest): Promise<void> {
    return uploadFiles(this, files, request);
  }

  async download(name: string, options: DownloadRequest = {}): Promise<Download> {
    let version = options.version;
    let range = options.range;
    if (version !== undefined) checkVersion(version);
    if (range && 'suffix' in range) {
      // The wire carries start and end: a suffix needs the size of the version it reads.
      const v = await this.resolveVersion(name, version);
      version = v.version;
      range = resolveRange(range, v.size, name);
    }
    const span = range && !('suffix' in range) ? range : undefined;
    const transformerFor = (idKey: Uint8Array | undefined): ChunkTransformer => this.#transformer(idKey);
    const direct = await planDownload(this.#endpoints, this.#nodes, transformerFor, name, { version, range: span });
    if (direct) return direct;
    const lean = await envelopeDownload(this.#endpoints, transformerFor, name, { version, range: span });
    return lean ?? this.#grpcDownload(name, version, span);
  }

  /** gRPC Download: plain bytes decoded by the orchestrator (where no data plane answers). */
  async #grpcDownload(name: string, version: number | undefined, range: { start: number; end?: number | undefined } | undefined): Promise<Download> {
    const stream = this.#endpoints.current.rpc.download({
      name,
      version: wireVersion(version),
      ...(range ? { rangeStart: BigInt(range.start), ...(range.end === undefined ? {} : { rangeEnd: BigInt(range.end) }) } : {}),
    })[Symbol.asyncIterator]();
    let first;
    try {
      first = await stream.next();
    } catch (err) {
      throw fromConnectError(err, { fileName: name });
    }
    if (first.done || first.value.msg.case !== 'header') throw new Error('orchestrator sent no download header');
    const h = first.value.msg.value;
    async function* body(): AsyncGenerator<Uint8Array> {
      for (;;) {
        let next;
        try {
          next = await stream.next();
        } catch (err) {
          throw fromConnectError(err, { fileName: name });
        }
        if (next.done) return;
        if (next.value.msg.case === 'data') yield next.value.msg.value;
      }
    }
    return { version: versionRecord(h.version), start: num(h.start), length: num(h.length), body: body() };
  }

  async resolveVersion(name: string, v?: number): Promise<VersionRecord> {
    return (await this.stat(name, { ...(v === undefined ? {} : { version: v }), chunks: false })).version;
  }

  async stat(name: string, options: StatRequest = {}): Promise<FileStat> {
    const s = await this.#call((e) => e.rpc.stat({ name, version: wireVersion(options.version), chunks: options.chunks ?? false }), name);
    return {
      version: versionRecord(s.version),
      versions: s.versions,
      storedSize: num(s.storedSize),
      ratio: s.ratio,
      chunks: s.chunks,
      distinctChunks: s.distinctChunks,
      sharedChunks: s.sharedChunks,
      codecs: { ...s.codecs },
      health: oneOf(s.health, HEALTH, 'health'),
      ...(options.chunks
        ? {
            chunkList: s.chunkList.map((c) => ({
              seq: c.seq,
              offset: num(c.offset),
              length: c.length,
              id: c.id,
              codec: c.codec,
              storedSize: c.storedSize,
              refcount: c.refcount,
              copies: c.copies.map((k) => ({ backend: k.backend, state: oneOf(k.state, COPY_STATES, 'copy state'), ...(k.checkedAtMs > 0n ? { checkedAt: num(k.checkedAtMs) } : {}) })),
              health: oneOf(c.health, HEALTH, 'health'),
            })),
          }
        : {}),
    };
  }

  async *list(options: ListRequest = {}): AsyncIterable<FileSummary> {
    try {
      for await (const page of this.#endpoints.current.rpc.list({ prefix: options.prefix ?? '', after: options.after ?? '', limit: options.limit ?? 0 })) {
        for (const f of page.files) {
          yield { name: f.name, version: f.version, versions: f.versions, size: num(f.size), storedSize: num(f.storedSize), createdAt: num(f.createdAtMs) };
        }
      }
    } catch (err) {
      throw fromConnectError(err, {});
    }
  }

  async remove(name: string, options: { version?: number | undefined } = {}): Promise<{ versionsRemoved: number }> {
    const r = await this.#call((e) => e.rpc.delete({ name, version: wireVersion(options.version) }), name);
    return { versionsRemoved: r.versionsRemoved };
  }

  async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    const r = await this.#call((e) => e.rpc.verify({ name: options.name ?? '', version: wireVersion(options.version), deep: options.deep ?? false, ...(options.rateBytesPerSec ? { rateBytesPerSec: BigInt(Math.round(options.rateBytesPerSec)) } : {}) }), options.name);
    return {
      deep: r.deep,
      chunks: num(r.chunks),
      copies: num(r.copies),
      okCopies: num(r.okCopies),
      missing: num(r.missing),
      corrupt: num(r.corrupt),
      unreachable: num(r.unreachable),
      underReplicated: num(r.underReplicated),
      lost: num(r.lost),
      orphans: num(r.orphans),
      bytesChecked: num(r.bytesChecked),
      problems: problems(r.problems),
      perBackend: r.perBackend.map((b) => ({
        backend: b.backend,
        ok: num(b.ok),
        missing: num(b.missing),
        corrupt: num(b.corrupt),
        unreachable: num(b.unreachable),
        health: oneOf(b.health, BACKEND_HEALTH, 'backend health'),
      })),
    };
  }

  async repair(options: RepairOptions = {}): Promise<RepairReport> {
    const r = await this.#call((e) => e.rpc.repair({ deep: options.deep ?? false }));
    return { chunks: num(r.chunks), rewritten: num(r.rewritten), added: num(r.added), lost: num(r.lost), stillDegraded: num(r.stillDegraded), problems: problems(r.problems) };
  }

  async gc(options: GcOptions = {}): Promise<GcReport> {
    const r = await this.#call((e) => e.rpc.gc({ orphans: options.orphans ?? true, ...(options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: BigInt(options.sessionTimeoutMs) } : {}) }));
    return {
      sessionsExpired: num(r.sessionsExpired),
      chunksDeleted: num(r.chunksDeleted),
      bytesFreed: num(r.bytesFreed),
      orphansDeleted: num(r.orphansDeleted),
      orphanBytes: num(r.orphanBytes),
      deferred: num(r.deferred),
    };
  }

  async stats(): Promise<StatsReport> {
    const s = await this.#call((e) => e.rpc.stats({}));
    const logical = num(s.logicalBytes);
    const stored = num(s.storedBytes);
    return {
      files: num(s.files),
      versions: num(s.versions),
      logicalBytes: logical,
      uniqueBytes: num(s.uniqueBytes),
      storedBytes: stored,
      physicalBytes: num(s.physicalBytes),
      chunks: num(s.chunks),
      reclaimableChunks: num(s.reclaimableChunks),
      reclaimableBytes: num(s.reclaimableBytes),
      dedupRatio: s.dedupRatio,
      compressionRatio: s.compressionRatio,
      totalRatio: stored === 0 ? 1 : logical / stored,
      perCodec: s.perCodec.map((c) => ({ codec: c.codec, chunks: num(c.chunks), rawBytes: num(c.rawBytes), storedBytes: num(c.storedBytes), ratio: c.ratio })),
      perBackend: s.perBackend.map((b) => ({ backend: b.backend, copies: num(b.copies), bytes: num(b.bytes), missing: num(b.missing), corrupt: num(b.corrupt) })),
    };
  }
}
