// The MetadataStore contract: everything dcs knows about files, versions, chunks and copies.
// One implementation over SQL serves SQLite and PostgreSQL (sql-store.ts, with a dialect each);
// every implementation must pass test/conformance/metadata-store.ts.
//
// Commit protocol (DESIGN.md invariant 1): an upload opens a session, claims the chunks it will
// reference (which protects them from gc), writes new chunks to storage, records them, stages its
// ordered chunk list, and only then commits — one transaction makes the version visible.
import type { ChunkId } from '../core/chunk-id.ts';
import type { S3AccessKey, S3AccessKeySpec, S3Bucket, S3BucketDeletion, S3Versioning } from './s3-registry.ts';
import type { ShareLink, ShareLinkSpec } from './share-links.ts';
import type { WebSession } from './web-sessions.ts';

export type { S3AccessKey, S3AccessKeySpec, S3Bucket, S3BucketDeletion, S3Versioning } from './s3-registry.ts';
export type { ShareLink, ShareLinkSpec } from './share-links.ts';
export type { WebSession } from './web-sessions.ts';

export type CopyState = 'ok' | 'missing' | 'corrupt';

export interface CopyRecord {
  backend: string;
  state: CopyState;
  /** When verify/repair/read last confirmed the state (ms since epoch), or undefined if never checked. */
  checkedAt?: number;
  /** Erasure shard index this copy holds (object `chunks/ab/<id>.<shard>`); absent: a whole replica. */
  shard?: number;
}

/** Where a chunk stored inside a pack object is (core/pack.ts). */
export interface PackRef {
  /** The pack's chunk id: its object is `chunks/ab/<id>` (or that object's erasure shards). */
  id: ChunkId;
  /** Where the member's envelope starts in the pack's payload; its length is the member's storedSize. */
  offset: number;
  /** The pack envelope's stored size (what its shards were coded from). */
  storedSize: number;
}

export interface ChunkRecord {
  id: ChunkId;
  rawSize: number;
  storedSize: number;
  codecId: number;
  refcount: number;
  /** The chunk's copies; for a chunk inside a pack, the pack's copies (of object `chunks/ab/<pack.id>`). */
  copies: CopyRecord[];
  /** Present for a chunk stored inside a pack. */
  pack?: PackRef;
}

export interface FileSummary {
  name: string;
  /** Latest version number (1-based). */
  version: number;
  versions: number;
  size: number;
  /** Stored bytes of the latest version: sum of the (single-copy) stored sizes of its distinct chunks. */
  storedSize: number;
  createdAt: number;
  /** The latest version's attributes (VersionRecord.attributes). */
  attributes?: string;
}

export interface VersionRecord {
  versionId: number;
  name: string;
  version: number;
  size: number;
  chunkCount: number;
  /** Codec the user asked for (may be 'auto'); the per-chunk codec is in ChunkRecord.codecId. */
  codec: string;
  createdAt: number;
  /**
   * What a front end keeps with the version, opaque to metadata (schema version 7): the S3 API's
   * JSON of ETag, content type and user metadata. Absent for versions stored without any.
   */
  attributes?: string;
}

/** One entry of a version's ordered chunk list, joined with the chunk's record. */
export interface VersionChunk {
  seq: number;
  offset: number;
  length: number;
  chunk: ChunkRecord;
}

export interface StagedChunk {
  seq: number;
  offset: number;
  length: number;
  id: ChunkId;
}

export interface StoredChunk {
  id: ChunkId;
  rawSize: number;
  storedSize: number;
  codecId: number;
  /** Backends that durably hold a copy. */
  backends: string[];
  /** For erasure-coded chunks: the shard index each backend (of `backends`) holds. */
  shards?: { backend: string; index: number }[];
  /** For erasure-coded chunks: bytes of each shard object (what a shard copy occupies on its backend). */
  shardBytes?: number;
  /**
   * A chunk written into a pack (whose StoredChunk is recorded in the same call): it has no
   * backends of its own. A chunk that already has an ok copy of its own stays as it is.
   */
  pack?: { id: ChunkId; offset: number };
}

/** A pack most of whose bytes no chunk uses any more (sparsePacks), with the chunks still in it. */
export interface SparsePack {
  /** The pack as a chunk (its copies, stored size). */
  pack: ChunkRecord;
  /** Stored bytes of the chunks still in it. */
  liveBytes: number;
  /** The chunks still in it, in pack order: where each one's envelope is, and what it is. */
  members: { id: ChunkId; offset: number; storedSize: number; rawSize: number; codecId: number }[];
}

/** A version commitFiles made, with its stored size (its distinct chunks, one copy), as stat reports it. */
export interface CommittedFile {
  version: VersionRecord;
  storedSize: number;
}

/** One file of a batched commit (commitFiles): its name, size, codec and ordered chunk list. */
export interface FileCommit {
  name: string;
  size: number;
  codec: string;
  chunks: StagedChunk[];
  /** The local file's stamp (see LatestVersion.sourceStamp), kept with the version. */
  sourceStamp?: string;
  /** VersionRecord.attributes of the version (the S3 API's small objects, committed as a group). */
  attributes?: string;
}

/** A name's latest version as a put of many files checks it: what it was put from, and its chunks. */
export interface LatestVersion {
  version: VersionRecord;
  /** Stored size of its distinct chunks (one copy). */
  storedSize: number;
  /** The stamp of the local file it was put from, if it was (an opaque digest the engine makes). */
  sourceStamp?: string;
  chunks: StagedChunk[];
}

/**
 * Result of claiming a chunk for an upload session:
 * - 'present': the chunk has at least one ok (durably written) copy, committed or not; the upload
 *   references it without writing, and its claim keeps gc away from it.
 * - 'write': the caller must write the chunk (new, or no healthy copy), then call recordStored.
 * - 'busy': gc is deleting this chunk right now; claim again shortly.
 */
export type ClaimResult = 'present' | 'write' | 'busy';

export interface CodecUsage {
  codecId: number;
  chunks: number;
  rawBytes: number;
  storedBytes: number;
}

export interface RepositoryStats {
  files: number;
  versions: number;
  /** Sum of the sizes of all versions (what users put in). */
  logicalBytes: number;
  /** Sum of the raw sizes of distinct referenced chunks (after dedup, before compression). */
  uniqueBytes: number;
  /** Sum of the stored sizes of distinct referenced chunks (one copy). */
  storedBytes: number;
  /** Sum over copies of stored sizes (what the backends hold). */
  physicalBytes: number;
  /** Referenced chunks. */
  chunks: number;
  /** Chunks no version references any more, and their stored size (one copy): what gc frees. */
  reclaimableChunks: number;
  reclaimableBytes: number;
  perCodec: CodecUsage[];
  perBackend: { backend: string; copies: number; bytes: number; missing: number; corrupt: number }[];
}

export interface GarbageChunk {
  id: ChunkId;
  /** Backends recorded as holding copies; uncommitted chunks may have none recorded. */
  backends: string[];
  /** A chunk inside a pack: it has no object of its own (forgetting it releases the pack). */
  inPack?: boolean;
}

export interface ListFilesOptions {
  prefix?: string;
  /** Return names strictly after this one (pagination cursor). */
  after?: string;
  limit?: number;
}

/** What a resumable upload was begun with; kept in metadata so any orchestrator can continue it. */
export interface ResumableUploadOptions {
  codec: string;
  level?: number;
  /** Attributes the completed version gets (VersionRecord.attributes; schema version 7). */
  attributes?: string;
}

export interface UploadPart {
  /** Part number, 1-based. */
  part: number;
  size: number;
  chunkCount: number;
  createdAt: number;
  /** What the front end recorded with the part (the S3 API: the MD5 of its bytes; schema version 7). */
  etag?: string;
}

/** A resumable upload in progress, as ListMultipartUploads shows it. */
export interface ResumableUploadSummary {
  sessionId: string;
  name: string;
  startedAt: number;
}

/** One chunk of a part: offset is relative to the start of the part. */
export interface PartChunk {
  offset: number;
  length: number;
  id: ChunkId;
}

export interface ResumableUpload {
  sessionId: string;
  name: string;
  codec: string;
  level?: number;
  /** As begun with (ResumableUploadOptions.attributes). */
  attributes?: string;
  startedAt: number;
  heartbeatAt: number;
  /** Parts stored so far, by part number. */
  parts: UploadPart[];
}

/** Access counters of one file name (kept after the file is deleted; rows are per name, not per version). */
export interface FileAccess {
  name: string;
  uploads: number;
  downloads: number;
  bytesIn: number;
  bytesOut: number;
  /** Last upload or download, ms since epoch. */
  lastAccessAt: number;
}

export interface UsageTotals {
  uploads: number;
  downloads: number;
  bytesIn: number;
  bytesOut: number;
}

/** A point of the repository's size history (recorded by servers after writes; charted by the web UI). */
export interface StatsSample {
  at: number;
  files: number;
  logicalBytes: number;
  uniqueBytes: number;
  storedBytes: number;
  physicalBytes: number;
}

export interface MetadataStore {
  /** Create or upgrade the schema. Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // --- uploads -------------------------------------------------------------------------------
  beginUpload(name: string): Promise<{ sessionId: string }>;
  /** Keep a session alive; sessions whose heartbeat is older than gc's timeout are considered dead. */
  heartbeat(sessionId: string): Promise<void>;
  /** Claim chunks for a session (atomically w.r.t. gc). Returns one result per distinct id. */
  claimChunks(sessionId: string, ids: ChunkId[]): Promise<Map<ChunkId, ClaimResult>>;
  /** Record chunks the session wrote durably (sizes, codec, copies). */
  recordStored(sessionId: string, chunks: StoredChunk[]): Promise<void>;
  /** Append entries of the version's ordered chunk list (seq ascending across calls). */
  stageChunks(sessionId: string, entries: StagedChunk[]): Promise<void>;
  /**
   * Make the version visible in one transaction: new version number = latest + 1, refcounts
   * incremented, staged list moved, session removed. Fails with COMMIT_REFUSED (and changes
   * nothing) if any staged chunk has no recorded copy, or if the staged list does not tile
   * [0, size): seq 0..n-1 without gaps, each offset the sum of the lengths before it, lengths
   * adding up to size. Commits streamed and resumable sessions alike (for resumable ones the
   * engine stages the list it builds from the parts).
   */
  commitUpload(sessionId: string, info: { name: string; size: number; codec: string; attributes?: string }): Promise<VersionRecord>;
  /**
   * commitUpload for many files in one transaction, in order (a name given twice gets two
   * versions): each file's chunk list is checked as commitUpload checks a staged one, and if any
   * file fails the check nothing is committed. Ends the session. Returns one version per file.
   */
  commitFiles(sessionId: string, files: FileCommit[]): Promise<CommittedFile[]>;
  /**
   * A new version of `target` with the chunk list and size of an existing version (S3 CopyObject):
   * no chunk bytes move, each chunk gains the references a commit would add. `attributes` replace
   * the source's when given, else the source's are kept. FileNotFoundError when the source is gone.
   */
  copyVersion(sourceVersionId: number, target: string, attributes?: string): Promise<VersionRecord>;
  /** Drop a session, its claims, staged entries and parts. Chunks it wrote become gc candidates. */
  abortUpload(sessionId: string): Promise<void>;

  // --- resumable (multipart) uploads -----------------------------------------------------------
  // A resumable upload is a session whose data arrives as numbered parts, in any order and
  // possibly more than once; each part is chunked on its own. Chunks are claimed and recorded with
  // claimChunks/recordStored as for streamed uploads; stagePart then records the part's chunk list.
  // Completion: the engine reads the parts' lists (partChunks), re-chunks around part boundaries
  // so the result equals the chunking of the whole stream, stages it and calls commitUpload.
  beginResumableUpload(name: string, options: ResumableUploadOptions): Promise<{ sessionId: string }>;
  /** The resumable session with its parts, or undefined (unknown, expired, committed or a streamed session). */
  getResumableUpload(sessionId: string): Promise<ResumableUpload | undefined>;
  /**
   * Record (or replace, when the part is sent again) a part's chunk list and refresh the heartbeat.
   * The chunks must tile the part (offsets 0, l1, l1 + l2, … adding up to `size`), else UsageError.
   * Fails with DcsError('UPLOAD_NOT_FOUND') when the session is gone (or is a streamed one), and
   * with DcsError('COMMIT_REFUSED') when a chunk has no recorded ok copy (commitUpload's rule).
   */
  stagePart(sessionId: string, part: number, size: number, chunks: PartChunk[], etag?: string): Promise<void>;
  /**
   * Resumable uploads in progress (begun, not committed, aborted or collected) whose name starts
   * with `prefix`, ordered by name (byte order) then session id, after the (name, sessionId)
   * position `after` when given, at most `limit` (default 1000).
   */
  listResumableUploads(options?: { prefix?: string; after?: { name: string; sessionId: string }; limit?: number }): Promise<ResumableUploadSummary[]>;
  /** A part's chunk list in order (offsets relative to the part); [] when the part was not stored. */
  partChunks(sessionId: string, part: number): Promise<PartChunk[]>;
  /** Drop the session's staged list (a completion that failed midway starts over). */
  unstageAll(sessionId: string): Promise<void>;

  // --- reads ---------------------------------------------------------------------------------
  /** The given version (1-based), or the latest when version is undefined. */
  getVersion(name: string, version?: number): Promise<VersionRecord | undefined>;
  listVersions(name: string): Promise<VersionRecord[]>;
  /** The latest version of each of these names that exists, with its source stamp and chunk list. */
  latestVersions(names: string[]): Promise<Map<string, LatestVersion>>;
  /** Files in name order (latest version of each). */
  listFiles(options?: ListFilesOptions): AsyncIterable<FileSummary>;
  /** Chunks of a version in order; with fromOffset, starts at the chunk containing that offset. */
  versionChunks(versionId: number, fromOffset?: number): AsyncIterable<VersionChunk>;
  getChunk(id: ChunkId): Promise<ChunkRecord | undefined>;
  /**
   * All committed chunks that are stored objects (whole chunks and packs, not the chunks inside
   * packs) in id order, in pages (memory bounded by page size): what verify, repair and rebalance walk.
   */
  chunks(options?: { after?: ChunkId; pageSize?: number }): AsyncIterable<ChunkRecord>;
  /** Which of the given ids have a chunk row (any state). */
  existingChunks(ids: ChunkId[]): Promise<Set<ChunkId>>;

  // --- deletes -------------------------------------------------------------------------------
  /** Delete one version, or all versions when version is undefined; decrements refcounts. Returns versions removed. */
  deleteFile(name: string, version?: number): Promise<number>;

  // --- renames (metadata only) ---------------------------------------------------------------
  /**
   * Rename a file, or move a folder when both end in "/" (every name under `from` to the same
   * name under `to`), atomically; FILE_EXISTS when a target exists. Returns names moved.
   */
  renameNames(from: string, to: string): Promise<number>;
  /** A new latest version of `name` with the chunks of `version` (no chunk is rewritten). */
  restoreVersion(name: string, version: number): Promise<VersionRecord>;

  // --- copies --------------------------------------------------------------------------------
  setCopyState(id: ChunkId, backend: string, state: CopyState): Promise<void>;
  /** Record a new (ok) copy, or mark an existing one ok; `shard` is the erasure shard index it holds. */
  addCopy(id: ChunkId, backend: string, shard?: number): Promise<void>;
  removeCopy(id: ChunkId, backend: string): Promise<void>;

  // --- gc ------------------------------------------------------------------------------------
  /**
   * Remove streamed sessions whose heartbeat is older than cutoff (ms epoch), and resumable ones
   * whose heartbeat is older than resumableCutoff (default: cutoff); returns how many.
   */
  expireSessions(cutoff: number, resumableCutoff?: number): Promise<number>;
  /**
   * Atomically mark up to `limit` chunks with refcount 0 and no claim by a live session as being
   * deleted (claims of those chunks answer 'busy' until forgetGarbage). Chunks already 'deleting'
   * (left by a gc that died midway) are returned again, so they are never stuck. Returns them.
   * `among`: only chunks of these ids (what a completed multipart upload left unreferenced).
   */
  markGarbage(limit: number, among?: readonly ChunkId[]): Promise<GarbageChunk[]>;
  /**
   * Live packs whose chunks still in them hold less than `maxLiveFraction` of the pack's stored
   * size, in id order after `after`, at most `limit`: what gc rewrites (repacks) so the space of
   * deleted small files comes back. A chunk moves to a new pack by recordStored (StoredChunk.pack).
   */
  sparsePacks(options: { maxLiveFraction: number; limit: number; after?: ChunkId }): Promise<SparsePack[]>;
  /**
   * Delete the rows of chunks marked by markGarbage once their objects are gone; each forgotten
   * chunk inside a pack releases its reference on the pack (a pack no chunk is in is garbage).
   */
  forgetGarbage(ids: ChunkId[]): Promise<void>;
  /**
   * Return chunks marked by markGarbage to 'live' when their objects could not all be deleted
   * (a backend was unreachable); the next gc tries again. Copies already deleted were removed
   * with removeCopy, so claims see only copies that still exist.
   */
  unmarkGarbage(ids: ChunkId[]): Promise<void>;

  // --- stats ---------------------------------------------------------------------------------
  stats(): Promise<RepositoryStats>;

  // --- analytics -----------------------------------------------------------------------------
  // Uploads are counted by commitUpload in its own transaction (bytes in = version size); a
  // copyVersion counts one upload of the target with no bytes in (no bytes arrived).
  /** Count one download (or ranged read) of `name` that sent `bytes` bytes. */
  recordDownload(name: string, bytes: number): Promise<void>;
  usageTotals(): Promise<UsageTotals>;
  /** Files that still exist, most downloaded first (ties: most recently accessed). */
  topFiles(limit: number): Promise<FileAccess[]>;
  /** Access counters of one name, or undefined if never accessed. */
  fileAccess(name: string): Promise<FileAccess | undefined>;
  recordStatsSample(sample: StatsSample): Promise<void>;
  /** Samples in time order, at or after `since`, the most recent `limit` of them (default 1000). */
  statsHistory(options?: { since?: number; limit?: number }): Promise<StatsSample[]>;

  // --- browser sessions ----------------------------------------------------------------------
  /** Record a session; drops expired ones and those made for another token (revoked by a token change). */
  createWebSession(session: WebSession): Promise<void>;
  /** The session exists, was made for this token and has not expired. */
  webSessionValid(idHash: string, tokenFingerprint: string): Promise<boolean>;
  /** End a session (sign-out); unknown ids are ignored. */
  revokeWebSession(idHash: string): Promise<void>;

  // --- share links ---------------------------------------------------------------------------
  /** Record a link (dropping expired ones). */
  createShareLink(link: ShareLinkSpec): Promise<ShareLink>;
  /** Count a download through a live link and return it; undefined when expired, used up, revoked or unknown. */
  useShareLink(idHash: string): Promise<ShareLink | undefined>;
  /** A live link, without counting a download. */
  shareLink(idHash: string): Promise<ShareLink | undefined>;
  /** Links not expired, newest first (of one name when given). */
  listShareLinks(name?: string): Promise<ShareLink[]>;
  /** Revoke a link; false when there was none. */
  revokeShareLink(idHash: string): Promise<boolean>;

  // --- S3 buckets and access keys (schema version 7) -------------------------------------------
  /** Record a bucket (versioning 'Unversioned'); false when one of that name exists. */
  createBucket(name: string): Promise<boolean>;
  getBucket(name: string): Promise<S3Bucket | undefined>;
  /** Every bucket, in name order (byte order). */
  listBuckets(): Promise<S3Bucket[]>;
  /**
   * Delete a bucket only while no file name starts with `${name}/` (checked in the same
   * transaction, so a concurrent commit under the bucket either lands first and blocks the
   * deletion, or sees the bucket gone).
   */
  deleteBucket(name: string): Promise<S3BucketDeletion>;
  /** Set a bucket's versioning status; false when there is no such bucket. */
  setBucketVersioning(name: string, status: Exclude<S3Versioning, 'Unversioned'>): Promise<boolean>;
  /** Record an access key; DcsError('CONFLICT') when its id exists. */
  createAccessKey(key: S3AccessKeySpec): Promise<S3AccessKey>;
  /** A key that exists and is not revoked. */
  getAccessKey(id: string): Promise<S3AccessKey | undefined>;
  /** Every key, revoked ones included, oldest first. */
  listAccessKeys(): Promise<S3AccessKey[]>;
  /** Revoke a key (kept, marked revoked); false when there is no live key of that id. */
  revokeAccessKey(id: string): Promise<boolean>;
}
