// RemoteRepository: the Repository API of an orchestrator, over its gRPC OrchestratorService
// (`--server URL`). Results come back as the same types a local repository returns, so a command
// has one code path either way. Requests are checked by the orchestrator's own local repository;
// its errors come back with their dcs code and message (rpc-errors.ts). Only what the wire cannot
// carry faithfully (its 0 means "unset") is checked here, with the same shared checks.
import { createReadStream } from 'node:fs';
import { createClient, type Client } from '@connectrpc/connect';
import { parseCodecChoice } from '../core/codecs.ts';
import { DcsError, UsageError } from '../core/errors.ts';
import { checkLevel } from '../core/input/encoding.ts';
import { resolveRange } from '../core/input/ranges.ts';
import { checkVersion } from '../core/input/sizes.ts';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { OrchestratorService, type Problem, type UploadRequestSchema, type VersionInfo } from '../services/gen/dcs/v1/orchestrator_pb.js';
import { STREAM_PIECE_BYTES } from '../services/limits.ts';
import { fromConnectError } from '../services/rpc-errors.ts';
import { createTransport, type ClientOptions } from '../services/transport.ts';
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

async function* pieces(input: UploadInput): AsyncGenerator<Uint8Array> {
  const source: AsyncIterable<Uint8Array> = 'path' in input ? createReadStream(input.path, { highWaterMark: STREAM_PIECE_BYTES }) : input;
  for await (const piece of source) {
    for (let o = 0; o < piece.length; o += STREAM_PIECE_BYTES) yield piece.subarray(o, o + STREAM_PIECE_BYTES);
  }
}

export class RemoteRepository implements Repository {
  readonly url: string;
  readonly #client: Client<typeof OrchestratorService>;
  readonly #close: () => void;

  constructor(url: string, options: ClientOptions = {}) {
    this.url = url;
    const { transport, close } = createTransport(url, options);
    this.#client = createClient(OrchestratorService, transport);
    this.#close = close;
  }

  async close(): Promise<void> {
    this.#close();
  }

  async #call<T>(fn: () => Promise<T>, fileName?: string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw fromConnectError(err, fileName === undefined ? {} : { fileName });
    }
  }

  async upload(input: UploadInput, options: UploadRequest): Promise<UploadResult> {
    const level = wireLevel(options.codec, options.level);
    let sent = 0;
    const onProgress = options.onProgress;
    async function* requests(): AsyncGenerator<MessageInitShape<typeof UploadRequestSchema>> {
      yield { msg: { case: 'header', value: { name: options.name, codec: options.codec ?? '', level } } };
      for await (const data of pieces(input)) {
        sent += data.length;
        onProgress?.({ bytesRead: sent, chunks: 0 });
        yield { msg: { case: 'data', value: data } };
      }
    }
    const r = await this.#call(() => this.#client.upload(requests()), options.name);
    const v = versionRecord(r.version);
    return { version: v, size: v.size, chunks: v.chunkCount, newChunks: r.newChunks, newStoredBytes: num(r.newStoredBytes), newRawBytes: num(r.newRawBytes), codecs: { ...r.codecs } };
  }

  uploadFiles(files: readonly FileToUpload[], request: UploadFilesRequest): Promise<void> {
    return uploadFiles(this, files, request);
  }

  async download(name: string, options: DownloadRequest = {}): Promise<Download> {
    let version = options.version;
    let range = options.range;
    if (range && 'suffix' in range) {
      // The wire carries start and end: a suffix needs the size of the version it reads.
      const v = await this.resolveVersion(name, version);
      version = v.version;
      range = resolveRange(range, v.size, name);
    }
    const stream = this.#client.download({
      name,
      version: wireVersion(version),
      ...(range ? { rangeStart: BigInt(range.start), ...(range.end === undefined ? {} : { rangeEnd: BigInt(range.end) }) } : {}),
    })[Symbol.asyncIterator]();
    const first = await this.#call(() => stream.next(), name);
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
    const s = await this.#call(() => this.#client.stat({ name, version: wireVersion(options.version), chunks: options.chunks ?? false }), name);
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
      for await (const page of this.#client.list({ prefix: options.prefix ?? '', after: options.after ?? '', limit: options.limit ?? 0 })) {
        for (const f of page.files) {
          yield { name: f.name, version: f.version, versions: f.versions, size: num(f.size), storedSize: num(f.storedSize), createdAt: num(f.createdAtMs) };
        }
      }
    } catch (err) {
      throw fromConnectError(err, {});
    }
  }

  async remove(name: string, options: { version?: number | undefined } = {}): Promise<{ versionsRemoved: number }> {
    const r = await this.#call(() => this.#client.delete({ name, version: wireVersion(options.version) }), name);
    return { versionsRemoved: r.versionsRemoved };
  }

  async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    const r = await this.#call(() => this.#client.verify({ name: options.name ?? '', version: wireVersion(options.version), deep: options.deep ?? false, ...(options.rateBytesPerSec ? { rateBytesPerSec: BigInt(Math.round(options.rateBytesPerSec)) } : {}) }), options.name);
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
    const r = await this.#call(() => this.#client.repair({ deep: options.deep ?? false }));
    return { chunks: num(r.chunks), rewritten: num(r.rewritten), added: num(r.added), lost: num(r.lost), stillDegraded: num(r.stillDegraded), problems: problems(r.problems) };
  }

  async gc(options: GcOptions = {}): Promise<GcReport> {
    const r = await this.#call(() => this.#client.gc({ orphans: options.orphans ?? true, ...(options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: BigInt(options.sessionTimeoutMs) } : {}) }));
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
    const s = await this.#call(() => this.#client.stats({}));
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
