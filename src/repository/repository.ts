// The Repository API: every operation dcs offers on stored files, defined once. Two
// implementations answer it — LocalRepository over the engine (local-repository.ts) and
// RemoteRepository over an orchestrator's gRPC API (remote-repository.ts) — and every front end
// (the CLI, the HTTP API, gRPC's OrchestratorService) calls it and nothing below it. Requests
// are checked where they enter a local repository (src/core/input/), so every front end refuses
// the same bad input with the same error; a remote repository forwards them to an orchestrator,
// whose local repository checks them.
//
// `Repository` holds what both implementations answer. `LocalRepository` adds what needs the
// repository's own metadata and backends (resumable uploads, analytics, rebalance, backend
// health): the HTTP API and `dcs rebalance` take that one, so the compiler says where each runs.
import type { ChunkerParams } from '../core/chunker.ts';
import type { CodecChoice } from '../core/codecs.ts';
import type { Encoding, EncodingRequest } from '../core/input/encoding.ts';
import type { RangeRequest } from '../core/input/ranges.ts';
import type { ChunkInput } from '../engine/chunk-source.ts';
import type { OfferedChunk, SentChunk } from '../engine/chunked-upload.ts';
import type { Download, DownloadPlan, EnvelopeDownload } from '../engine/download.ts';
import type { GcOptions, GcReport } from '../engine/gc.ts';
import type { RebalanceOptions, RebalanceReport } from '../engine/rebalance.ts';
import type { RepairOptions, RepairReport } from '../engine/repair.ts';
import type { CompletionReport, CompletionTerms, PartResult } from '../engine/resumable.ts';
import type { FileStat } from '../engine/stat.ts';
import type { StatsReport } from '../engine/stats.ts';
import type { UploadProgress, UploadResult, WrittenCounts } from '../engine/upload.ts';
import type { VerifyOptions, VerifyReport } from '../engine/verify.ts';
import type { FileAccess, FileSummary, ResumableUpload, ResumableUploadSummary, S3AccessKey, S3AccessKeySpec, S3Bucket, S3BucketDeletion, StatsSample, UsageTotals, ShareLink, ShareLinkSpec, VersionRecord, WebSession } from '../metadata/metadata-store.ts';

export type { ByteSpan, RangeRequest } from '../core/input/ranges.ts';
export type { Encoding, EncodingRequest } from '../core/input/encoding.ts';
export type { Health } from '../engine/chunk-health.ts';
export type { Download, DownloadPlan, EnvelopeDownload, EnvelopePiece, PlanPiece } from '../engine/download.ts';
export type { OfferedChunk, SentChunk } from '../engine/chunked-upload.ts';
export type { WrittenCounts } from '../engine/upload.ts';
export type { GcOptions, GcReport } from '../engine/gc.ts';
export type { RebalanceOptions, RebalanceReport } from '../engine/rebalance.ts';
export type { RepairOptions, RepairReport } from '../engine/repair.ts';
export type { CompletionReport, CompletionTerms, PartResult } from '../engine/resumable.ts';
export type { ChunkPlacement, FileStat } from '../engine/stat.ts';
export type { StatsReport } from '../engine/stats.ts';
export type { UploadProgress, UploadResult } from '../engine/upload.ts';
export type { BackendHealth, ProblemKind, VerifyOptions, VerifyProblem, VerifyReport } from '../engine/verify.ts';
export type { S3AccessKey, S3AccessKeySpec, S3Bucket, S3BucketDeletion, S3Versioning } from '../metadata/metadata-store.ts';
export type { CopyRecord, CopyState, FileAccess, FileSummary, ResumableUpload, ResumableUploadSummary, ShareLink, ShareLinkSpec, StatsSample, UsageTotals, VersionRecord } from '../metadata/metadata-store.ts';

/** The bytes of an upload: a stream, or a local file (read by the chunker directly). */
export type UploadInput = ChunkInput;

export interface UploadRequest extends EncodingRequest {
  name: string;
  onProgress?: (progress: UploadProgress) => void;
  /** Kept with the version (VersionRecord.attributes); asked for after the last byte, before the commit. */
  attributes?: () => string | undefined;
  /** The input's size where known (a Content-Length): small inputs skip the chunking worker. */
  sizeHint?: number;
}

/** One file of a batch: its name, and how to open it (called when its turn comes). */
export interface FileToUpload {
  name: string;
  open(): Promise<{ input: UploadInput; size?: number }>;
}

export interface UploadFilesRequest extends EncodingRequest {
  /** A progress reporter for a file uploaded on its own (large files), e.g. a progress bar. */
  progress?: (file: FileToUpload, size: number | undefined) => { update(bytes: number): void; stop(): void };
  /** Each result, in the order of the files (awaited before the next one is reported). */
  onResult(index: number, result: UploadResult): Promise<void> | void;
  /**
   * Read every local file, even one unchanged (path, size, times, inode) since its name's latest
   * version was put from it, whose chunk list is otherwise reused unread.
   */
  reread?: boolean;
}

export interface DownloadRequest {
  version?: number | undefined;
  range?: RangeRequest | undefined;
}

export interface StatRequest {
  version?: number | undefined;
  /** Include the per-chunk placement (one entry per chunk). */
  chunks?: boolean | undefined;
}

export interface ListRequest {
  prefix?: string | undefined;
  /** Only names after this one (keyset paging). */
  after?: string | undefined;
  limit?: number | undefined;
}

/** How chunks are kept redundant: whole copies, or k+m erasure shards. */
export type RedundancyPolicy = { replicas: number } | { erasure: { data: number; parity: number } };

export interface Repository {
  /** The redundancy policy, where the repository knows it (local repositories). */
  readonly policy?: RedundancyPolicy;
  /** Bytes written to the network so far (remote repositories: what a client sent). */
  readonly bytesSent?: number;
  /** Store a new version of `request.name`. Visible only once every chunk is durable. */
  upload(input: UploadInput, request: UploadRequest): Promise<UploadResult>;
  /**
   * Store several files, each as a new version of its name: small ones a few at a time, large ones
   * alone (memory stays that of one upload). The first failure stops new uploads; those running
   * finish, their results are reported, then the failure is thrown.
   */
  uploadFiles(files: readonly FileToUpload[], request: UploadFilesRequest): Promise<void>;
  download(name: string, request?: DownloadRequest): Promise<Download>;
  /** The version a download of (name, version) would read; latest when version is absent. */
  resolveVersion(name: string, version?: number): Promise<VersionRecord>;
  stat(name: string, request?: StatRequest): Promise<FileStat>;
  /** Latest version of each file, in name order (C/byte order), streamed. */
  list(request?: ListRequest): AsyncIterable<FileSummary>;
  /** Delete one version, or the whole file. The chunks are reclaimed by gc. */
  remove(name: string, request?: { version?: number | undefined }): Promise<{ versionsRemoved: number }>;
  verify(request?: VerifyOptions): Promise<VerifyReport>;
  repair(request?: RepairOptions): Promise<RepairReport>;
  gc(request?: GcOptions): Promise<GcReport>;
  stats(): Promise<StatsReport>;
  close(): Promise<void>;
}

/** Uploads that outlive requests: parts in any order (or again), then one completion. */
export interface ResumableUploads {
  /** Idle uploads are dropped by gc after this long. */
  readonly timeoutMs: number;
  /** `attributes`: what the completed version keeps (VersionRecord.attributes), unless completion gives its own. */
  begin(request: { name: string; attributes?: string } & EncodingRequest): Promise<ResumableUpload>;
  get(id: string): Promise<ResumableUpload>;
  /** `etag`: recorded with the part, asked for once its bytes have ended. */
  uploadPart(id: string, part: number, input: UploadInput, options?: { etag?: () => string; sizeHint?: number }): Promise<PartResult>;
  /**
   * Commit parts 1..N as the next version; what `terms` names (parts, total size) must be what was
   * stored. With `namedOnly`, the named parts alone, in their order (S3's CompleteMultipartUpload).
   */
  complete(id: string, terms?: CompletionTerms): Promise<CompletionReport>;
  abort(id: string): Promise<void>;
  /** Uploads in progress whose name starts with `prefix`, by name then id (ListMultipartUploads). */
  list(options?: { prefix?: string; after?: { name: string; sessionId: string }; limit?: number }): Promise<ResumableUploadSummary[]>;
}

/**
 * Browser sessions of the HTTP API, kept in metadata (shared by the orchestrators of one database,
 * surviving restarts). Ids arrive hashed: the repository never sees a live session id.
 */
export interface WebSessions {
  create(session: WebSession): Promise<void>;
  valid(idHash: string, tokenFingerprint: string): Promise<boolean>;
  revoke(idHash: string): Promise<void>;
}

/** Links that download one file without a token; ids arrive hashed, as for WebSessions. */
export interface ShareLinks {
  create(link: ShareLinkSpec): Promise<ShareLink>;
  /** Count a download through a live link; undefined when it expired, was used up or revoked. */
  use(idHash: string): Promise<ShareLink | undefined>;
  /** A live link, without counting a download. */
  live(idHash: string): Promise<ShareLink | undefined>;
  list(name?: string): Promise<ShareLink[]>;
  revoke(idHash: string): Promise<boolean>;
}

/** Usage and size history, kept in metadata (shared by the orchestrators of one database). */
/** Buckets and access keys of the S3 API, kept in metadata (shared by orchestrators of one database). */
export interface S3Registry {
  createBucket(name: string): Promise<boolean>;
  getBucket(name: string): Promise<S3Bucket | undefined>;
  listBuckets(): Promise<S3Bucket[]>;
  /** Only while no file name starts with `${name}/`. */
  deleteBucket(name: string): Promise<S3BucketDeletion>;
  setBucketVersioning(name: string, status: 'Enabled' | 'Suspended'): Promise<boolean>;
  createAccessKey(key: S3AccessKeySpec): Promise<S3AccessKey>;
  getAccessKey(id: string): Promise<S3AccessKey | undefined>;
  listAccessKeys(): Promise<S3AccessKey[]>;
  revokeAccessKey(id: string): Promise<boolean>;
}

export interface Analytics {
  fileAccess(name: string): Promise<FileAccess | undefined>;
  topFiles(limit: number): Promise<FileAccess[]>;
  usageTotals(): Promise<UsageTotals>;
  statsHistory(request?: { since?: number | undefined; limit?: number | undefined }): Promise<StatsSample[]>;
}

export interface BackendState {
  up: boolean;
  /** Why it is down (one line), when it is. */
  error?: string;
}

/**
 * Whether an orchestrator can serve under its redundancy policy: the metadata store answers and at
 * least as many backends answer as a write needs (reads need no more than that).
 */
export interface Readiness {
  ready: boolean;
  /** Whether the metadata store answers. */
  metadata: boolean;
  backends: {
    /** Backends a write needs: `minCopies` (default `replicate`), or erasure's `successThreshold`. */
    needed: number;
    /** Names from dcs.yaml, in its order. */
    up: string[];
    down: string[];
  };
}

export interface RepositoryInfo {
  /** What `upload` uses when a request names no codec or level. */
  defaultEncoding: Encoding;
  /** What callers may ask for, `auto` first (from the codec registry). */
  codecs: readonly CodecChoice[];
  encrypted: boolean;
}

/** What a client that chunks for itself must use to cut and name chunks as the repository does. */
export interface ChunkedUploadTerms {
  sessionId: string;
  chunker: ChunkerParams;
  /** HMAC key for chunk ids (encrypted repositories); absent: ids are plain SHA-256. Never the data key. */
  idKey?: Uint8Array;
  /** Codec and level for new chunks, the request's resolved against the repository's default. */
  encoding: Encoding;
}

/**
 * Uploads from clients that chunk, hash and compress for themselves and send only what the
 * repository lacks (engine/chunked-upload.ts). Each step stands alone: the session is in metadata.
 */
export interface ChunkedUploads {
  begin(request: { name: string } & EncodingRequest): Promise<ChunkedUploadTerms>;
  /** Stage the next chunks of the list; returns the indexes of those whose data must be sent. */
  offer(sessionId: string, first: { seq: number; offset: number }, chunks: readonly OfferedChunk[]): Promise<number[]>;
  /** Verify and store sent chunks; `recompress`: compress those sent uncompressed. */
  put(sessionId: string, chunks: AsyncIterable<SentChunk>, recompress?: EncodingRequest): Promise<WrittenCounts>;
  /** Make the staged list version N+1 of `name`. */
  commit(sessionId: string, request: { name: string; size: number; codec: string }): Promise<VersionRecord>;
  abort(sessionId: string): Promise<void>;
  /**
   * Stop taking new uploads (BeginChunkedUpload answers SHUTTING_DOWN, which clients treat as an
   * unreachable orchestrator) and wait until the uploads in progress here end, up to `graceMs`:
   * a stopping orchestrator lets its clients finish instead of cutting them off.
   */
  drain(graceMs: number): Promise<void>;
}

export interface LocalRepository extends Repository {
  readonly policy: RedundancyPolicy;
  readonly info: RepositoryInfo;
  readonly resumable: ResumableUploads;
  readonly chunked: ChunkedUploads;
  /** A download as envelopes, for clients that decompress and verify themselves. */
  downloadEnvelopes(name: string, request?: DownloadRequest): Promise<EnvelopeDownload & { idKey?: Uint8Array }>;
  /**
   * A download for clients that read the chunks from the backends themselves (direct reads);
   * undefined in an encrypted repository, whose stored envelopes only the orchestrator can open.
   */
  downloadPlan(name: string, request?: DownloadRequest): Promise<DownloadPlan | undefined>;
  /** Each backend's URL as dcs.yaml gives it, by backend name. */
  readonly backendUrls: ReadonlyMap<string, string>;
  readonly analytics: Analytics;
  readonly webSessions: WebSessions;
  readonly shareLinks: ShareLinks;
  /** The S3 API's buckets and access keys. */
  readonly s3: S3Registry;
  /**
   * Store small files held in memory as one group: one session, their new chunks sealed into
   * packs, one commit for all (group commit of the S3 API's small PUTs). The caller bounds the
   * group's size. If anything fails, nothing of the group is committed.
   */
  uploadGroup(files: readonly { name: string; data: Uint8Array; attributes?: string }[], request?: EncodingRequest): Promise<UploadResult[]>;
  /**
   * A new version of `target` with the bytes of (name, version): metadata only, no chunk is read
   * or written (S3 CopyObject). `attributes` replace the source's when given.
   */
  copy(source: { name: string; version?: number }, target: string, attributes?: string): Promise<VersionRecord>;
  /** Every version of a file, oldest first. */
  versions(name: string): Promise<VersionRecord[]>;
  /**
   * Rename a file, or move a folder when both names end in "/" (metadata only: no chunk is read
   * or rewritten). FILE_EXISTS when a target name exists; nothing moves then.
   */
  rename(from: string, to: string): Promise<{ moved: number }>;
  /** Make an older version the latest again (a new version with its chunks; metadata only). */
  restore(name: string, version: number): Promise<VersionRecord>;
  /** Move copies to the backends dcs.yaml now ranks first. */
  rebalance(request?: RebalanceOptions): Promise<RebalanceReport>;
  /** Each configured backend, in dcs.yaml's order, and whether it answers now (cached briefly). */
  backends(): Promise<ReadonlyMap<string, BackendState>>;
  /** Storage nodes and whether their last health check passed (servers watch them). */
  nodes(): ReadonlyMap<string, boolean>;
  /** Whether the metadata store and enough backends answer to serve writes and reads. */
  readiness(): Promise<Readiness>;
}
