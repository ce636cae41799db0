// LocalRepository: the Repository API over the engine of a repository opened from its directory.
// Every request is checked here, where it enters the API (names, codec and level, versions, part
// numbers and sizes; ranges once the file's size is known), with the shared rules of
// src/core/input/ — so the CLI, the HTTP API and gRPC refuse the same input with the same error.
import { CODEC_CHOICES, parseCodecChoice } from '../core/codecs.ts';
import { DcsError } from '../core/errors.ts';
import { sleep } from '../engine/concurrency.ts';
import { resolveEncoding, type Encoding, type EncodingRequest } from '../core/input/encoding.ts';
import { validateName } from '../core/input/names.ts';
import { checkByteCount, checkPartNumber, checkVersion } from '../core/input/sizes.ts';
import type { EngineContext } from '../engine/context.ts';
import { offerChunks, putChunks } from '../engine/chunked-upload.ts';
import { download, downloadEnvelopes, downloadPlan, resolveVersion, type DownloadPlan } from '../engine/download.ts';
import { gc } from '../engine/gc.ts';
import { list } from '../engine/list.ts';
import { rebalance } from '../engine/rebalance.ts';
import { remove } from '../engine/remove.ts';
import { repair } from '../engine/repair.ts';
import { abortResumableUpload, beginResumableUpload, completeResumableUpload, RESUMABLE_TIMEOUT_MS, resumableUpload, uploadPart } from '../engine/resumable.ts';
import { stat } from '../engine/stat.ts';
import { stats } from '../engine/stats.ts';
import { upload, withHeartbeat } from '../engine/upload.ts';
import { verify } from '../engine/verify.ts';
import { backendProbe } from './backend-probe.ts';
import { openEngine, type OpenedEngine, type OpenOptions } from './open-engine.ts';
import type {
  Analytics,
  BackendState,
  ChunkedUploads,
  Download,
  DownloadRequest,
  EnvelopeDownload,
  FileStat,
  FileSummary,
  FileToUpload,
  GcOptions,
  GcReport,
  ListRequest,
  LocalRepository,
  Readiness,
  RebalanceOptions,
  RebalanceReport,
  RedundancyPolicy,
  RepairOptions,
  RepairReport,
  RepositoryInfo,
  ResumableUploads,
  S3Registry,
  ShareLinks,
  StatRequest,
  StatsReport,
  UploadFilesRequest,
  UploadInput,
  UploadRequest,
  UploadResult,
  VerifyOptions,
  VerifyReport,
  VersionRecord,
  WebSessions,
} from './repository.ts';
import { startStatsSampler, type StatsSampler } from './size-history.ts';
import { uploadFiles } from './upload-files.ts';
import { uploadSmallFiles, type SmallFile } from '../engine/pack-upload.ts';

export interface OpenRepositoryOptions extends OpenOptions {
  /** Keep a size history: a sample after writes, at most this often (servers; CLI commands do not). */
  sizeHistory?: { minIntervalMs?: number };
}

const optionalVersion = (version: number | undefined): { version?: number } => (version === undefined ? {} : { version: checkVersion(version) });

class EngineRepository implements LocalRepository {
  readonly policy: RedundancyPolicy;
  readonly info: RepositoryInfo;
  readonly resumable: ResumableUploads;
  readonly chunked: ChunkedUploads;
  readonly analytics: Analytics;
  readonly webSessions: WebSessions;
  readonly shareLinks: ShareLinks;
  readonly s3: S3Registry;
  readonly #engine: OpenedEngine;
  readonly #ctx: EngineContext;
  readonly #sampler: StatsSampler | undefined;
  readonly #probe: () => Promise<Map<string, BackendState>>;
  #draining = false;

  constructor(engine: OpenedEngine, options: OpenRepositoryOptions) {
    const ctx = engine.ctx;
    this.#engine = engine;
    this.#ctx = ctx;
    this.policy = ctx.erasure ? { erasure: { data: ctx.erasure.data, parity: ctx.erasure.parity } } : { replicas: ctx.replicas };
    this.info = { defaultEncoding: { ...ctx.compression }, codecs: CODEC_CHOICES, encrypted: engine.config.encryption.enabled };
    this.#probe = backendProbe(ctx.placement);
    this.#sampler = options.sizeHistory
      ? startStatsSampler(ctx.metadata, { ...(options.sizeHistory.minIntervalMs === undefined ? {} : { minIntervalMs: options.sizeHistory.minIntervalMs }), warn: ctx.warn })
      : undefined;
    const changed = (): void => this.#sampler?.changed();
    const encoding = (request: EncodingRequest): Encoding => resolveEncoding(request, this.info.defaultEncoding);
    this.resumable = {
      timeoutMs: RESUMABLE_TIMEOUT_MS,
      begin: async (request) =>
        resumableUpload(ctx, await beginResumableUpload(ctx, { name: validateName(request.name), ...encoding(request), ...(request.attributes === undefined ? {} : { attributes: request.attributes }) })),
      get: async (id) => resumableUpload(ctx, id),
      uploadPart: async (id, part, input, partOptions = {}) =>
        uploadPart(ctx, id, checkPartNumber(part), input, { ...(partOptions.etag ? { etag: partOptions.etag } : {}), ...(partOptions.sizeHint === undefined ? {} : { sizeHint: partOptions.sizeHint }) }),
      complete: async (id, terms = {}) => {
        const parts = terms.parts?.map((p) => ({ part: checkPartNumber(p.part), ...(p.size === undefined ? {} : { size: checkByteCount('part size', p.size) }) }));
        const report = await completeResumableUpload(ctx, id, {
          ...(terms.size === undefined ? {} : { size: checkByteCount('size', terms.size) }),
          ...(parts ? { parts } : {}),
          ...(terms.namedOnly ? { namedOnly: true } : {}),
          ...(terms.attributes === undefined ? {} : { attributes: terms.attributes }),
        });
        changed();
        return report;
      },
      abort: (id) => abortResumableUpload(ctx, id),
      list: (listOptions = {}) => ctx.metadata.listResumableUploads(listOptions),
    };
    // Chunked uploads seen here and when they last did something, so a stopping server can wait for them.
    const active = new Map<string, number>();
    const touch = <T>(sessionId: string, work: () => Promise<T>): Promise<T> => {
      active.set(sessionId, Date.now());
      return withHeartbeat(ctx, sessionId, work).finally(() => active.set(sessionId, Date.now()));
    };
    this.chunked = {
      begin: async (request) => {
        if (this.#draining) throw new DcsError('SHUTTING_DOWN', 'this orchestrator is shutting down: use another one (DCS_SERVER=URL,URL…) or retry shortly');
        const name = validateName(request.name);
        const idKey = await engine.idKey();
        const { sessionId } = await ctx.metadata.beginUpload(name);
        active.set(sessionId, Date.now());
        return { sessionId, chunker: ctx.chunker, ...(idKey ? { idKey } : {}), encoding: encoding(request) };
      },
      offer: (sessionId, first, chunks) => touch(sessionId, () => offerChunks(ctx, sessionId, first.seq, first.offset, chunks)),
      put: (sessionId, chunks, recompress) => touch(sessionId, () => putChunks(ctx, sessionId, chunks, recompress ? { recompress: encoding(recompress) } : {})),
      commit: async (sessionId, request) => {
        try {
          const version = await ctx.metadata.commitUpload(sessionId, { name: validateName(request.name), size: checkByteCount('size', request.size), codec: parseCodecChoice(request.codec) });
          changed();
          return version;
        } finally {
          active.delete(sessionId);
        }
      },
      abort: async (sessionId) => {
        active.delete(sessionId);
        await ctx.metadata.abortUpload(sessionId);
      },
      drain: async (graceMs) => {
        this.#draining = true;
        const deadline = Date.now() + graceMs;
        // An upload silent for 10 s has lost its client (or moved to another orchestrator).
        while (Date.now() < deadline && [...active.values()].some((at) => Date.now() - at < 10_000)) await sleep(50);
      },
    };
    const metadata = ctx.metadata;
    this.analytics = {
      fileAccess: (name) => metadata.fileAccess(name),
      topFiles: (limit) => metadata.topFiles(limit),
      usageTotals: () => metadata.usageTotals(),
      statsHistory: (request = {}) => metadata.statsHistory({ ...(request.since === undefined ? {} : { since: request.since }), ...(request.limit === undefined ? {} : { limit: request.limit }) }),
    };
    this.webSessions = {
      create: (session) => metadata.createWebSession(session),
      valid: (idHash, tokenFingerprint) => metadata.webSessionValid(idHash, tokenFingerprint),
      revoke: (idHash) => metadata.revokeWebSession(idHash),
    };
    this.shareLinks = {
      create: (link) => metadata.createShareLink({ ...link, name: validateName(link.name), ...(link.version === undefined ? {} : { version: checkVersion(link.version) }) }),
      use: (idHash) => metadata.useShareLink(idHash),
      live: (idHash) => metadata.shareLink(idHash),
      list: (name) => metadata.listShareLinks(name === undefined ? undefined : validateName(name)),
      revoke: (idHash) => metadata.revokeShareLink(idHash),
    };
    this.s3 = {
      createBucket: (name) => metadata.createBucket(name),
      getBucket: (name) => metadata.getBucket(name),
      listBuckets: () => metadata.listBuckets(),
      deleteBucket: (name) => metadata.deleteBucket(name),
      setBucketVersioning: (name, status) => metadata.setBucketVersioning(name, status),
      createAccessKey: (key) => metadata.createAccessKey(key),
      getAccessKey: (id) => metadata.getAccessKey(id),
      listAccessKeys: () => metadata.listAccessKeys(),
      revokeAccessKey: (id) => metadata.revokeAccessKey(id),
    };
  }

  async copy(source: { name: string; version?: number }, target: string, attributes?: string): Promise<VersionRecord> {
    const from = await resolveVersion(this.#ctx, validateName(source.name), optionalVersion(source.version).version);
    const version = await this.#ctx.metadata.copyVersion(from.versionId, validateName(target), attributes);
    this.#sampler?.changed();
    return version;
  }

  async upload(input: UploadInput, request: UploadRequest): Promise<UploadResult> {
    const name = validateName(request.name);
    const result = await upload(this.#ctx, input, {
      name,
      ...resolveEncoding(request, this.info.defaultEncoding),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      ...(request.attributes ? { attributes: request.attributes } : {}),
      ...(request.sizeHint === undefined ? {} : { sizeHint: request.sizeHint }),
    });
    this.#sampler?.changed();
    return result;
  }

  uploadFiles(files: readonly FileToUpload[], request: UploadFilesRequest): Promise<void> {
    const encoding = resolveEncoding(request, this.info.defaultEncoding);
    return uploadFiles(this, files, request, async (group) => {
      // A name refused stops the command there: the files before it are stored.
      const valid: SmallFile[] = [];
      let failure: { err: unknown } | undefined;
      for (const g of group) {
        try {
          valid.push({ name: validateName(g.file.name), input: g.input });
        } catch (err) {
          failure = { err };
          break;
        }
      }
      const results = valid.length === 0 ? [] : await uploadSmallFiles(this.#ctx, valid, { ...encoding, ...(request.reread ? { reread: true } : {}) });
      this.#sampler?.changed();
      return failure ? { results, failure } : { results };
    });
  }

  async uploadGroup(files: readonly { name: string; data: Uint8Array; attributes?: string }[], request: EncodingRequest = {}): Promise<UploadResult[]> {
    const small: SmallFile[] = files.map((f) => ({
      name: validateName(f.name),
      input: (async function* () {
        yield f.data;
      })(),
      ...(f.attributes === undefined ? {} : { attributes: f.attributes }),
    }));
    const results = await uploadSmallFiles(this.#ctx, small, resolveEncoding(request, this.info.defaultEncoding));
    this.#sampler?.changed();
    return results;
  }

  async downloadEnvelopes(name: string, request: DownloadRequest = {}): Promise<EnvelopeDownload & { idKey?: Uint8Array }> {
    const dl = await downloadEnvelopes(this.#ctx, validateName(name), { ...optionalVersion(request.version), ...(request.range ? { range: request.range } : {}) }, { encrypted: this.info.encrypted });
    // The client verifies chunk ids itself, so it needs the id key (never the data key).
    const idKey = await this.#engine.idKey();
    return idKey ? { ...dl, idKey } : dl;
  }

  async downloadPlan(name: string, request: DownloadRequest = {}): Promise<DownloadPlan | undefined> {
    if (this.info.encrypted) return undefined;
    return downloadPlan(this.#ctx, validateName(name), { ...optionalVersion(request.version), ...(request.range ? { range: request.range } : {}) });
  }

  get backendUrls(): ReadonlyMap<string, string> {
    return new Map(this.#engine.config.backends.map((b) => [b.name, b.url]));
  }

  async download(name: string, request: DownloadRequest = {}): Promise<Download> {
    return download(this.#ctx, validateName(name), { ...optionalVersion(request.version), ...(request.range ? { range: request.range } : {}) });
  }

  async resolveVersion(name: string, version?: number): Promise<VersionRecord> {
    return resolveVersion(this.#ctx, validateName(name), optionalVersion(version).version);
  }

  async stat(name: string, request: StatRequest = {}): Promise<FileStat> {
    return stat(this.#ctx, validateName(name), { ...optionalVersion(request.version), chunks: request.chunks ?? false });
  }

  async *list(request: ListRequest = {}): AsyncIterable<FileSummary> {
    const { prefix, after, limit } = request;
    yield* list(this.#ctx, { ...(prefix ? { prefix } : {}), ...(after ? { after } : {}), ...(limit ? { limit } : {}) });
  }

  async remove(name: string, request: { version?: number | undefined } = {}): Promise<{ versionsRemoved: number }> {
    const result = await remove(this.#ctx, validateName(name), optionalVersion(request.version));
    this.#sampler?.changed();
    return result;
  }

  async rename(from: string, to: string): Promise<{ moved: number }> {
    return { moved: await this.#ctx.metadata.renameNames(validateName(from), validateName(to)) };
  }

  async restore(name: string, version: number): Promise<VersionRecord> {
    const v = await this.#ctx.metadata.restoreVersion(validateName(name), checkVersion(version));
    this.#sampler?.changed();
    return v;
  }

  async verify(request: VerifyOptions = {}): Promise<VerifyReport> {
    return verify(this.#ctx, { ...request, ...(request.name === undefined ? {} : { name: validateName(request.name) }), ...optionalVersion(request.version) });
  }

  async repair(request: RepairOptions = {}): Promise<RepairReport> {
    return repair(this.#ctx, request);
  }

  async gc(request: GcOptions = {}): Promise<GcReport> {
    const report = await gc(this.#ctx, request);
    this.#sampler?.changed();
    return report;
  }

  async stats(): Promise<StatsReport> {
    return stats(this.#ctx);
  }

  async versions(name: string): Promise<VersionRecord[]> {
    return this.#ctx.metadata.listVersions(validateName(name));
  }

  async rebalance(request: RebalanceOptions = {}): Promise<RebalanceReport> {
    return rebalance(this.#ctx, request);
  }

  backends(): Promise<ReadonlyMap<string, BackendState>> {
    return this.#probe();
  }

  nodes(): ReadonlyMap<string, boolean> {
    return this.#engine.nodeStatus();
  }

  async readiness(): Promise<Readiness> {
    const [metadata, states] = await Promise.all([
      this.#ctx.metadata.getVersion('\u0001readiness-probe').then(() => true, () => false),
      this.#probe(),
    ]);
    const up = [...states].filter(([, s]) => s.up).map(([name]) => name);
    const down = [...states].filter(([, s]) => !s.up).map(([name]) => name);
    // A write needs the most backends; a read needs one copy or k shards, never more than a write.
    const needed = this.#ctx.erasure ? this.#ctx.erasure.successThreshold : (this.#ctx.minCopies ?? this.#ctx.replicas);
    return { ready: !this.#draining && metadata && up.length >= needed, metadata, backends: { needed, up, down } };
  }

  async close(): Promise<void> {
    await this.#sampler?.close();
    await this.#engine.close();
  }
}

/** Open the repository in `dir` (dcs.yaml) and answer the Repository API over its engine. */
export async function openRepository(dir: string, options: OpenRepositoryOptions = {}): Promise<LocalRepository> {
  return new EngineRepository(await openEngine(dir, options), options);
}
