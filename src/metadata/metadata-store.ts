// The MetadataStore contract: everything dcs knows about files, versions, chunks and copies.
// SQLite implements it now, PostgreSQL later; both must pass test/conformance/metadata-store.ts.
//
// Commit protocol (DESIGN.md invariant 1): an upload opens a session, claims the chunks it will
// reference (which protects them from gc), writes new chunks to storage, records them, stages its
// ordered chunk list, and only then commits — one transaction makes the version visible.
import type { ChunkId } from '../core/chunk-id.ts';

export type CopyState = 'ok' | 'missing' | 'corrupt';

export interface CopyRecord {
  backend: string;
  state: CopyState;
  /** When verify/repair/read last confirmed the state (ms since epoch), or undefined if never checked. */
  checkedAt?: number;
  /** Erasure shard index this copy holds (object `chunks/ab/<id>.<shard>`); absent: a whole replica. */
  shard?: number;
}

export interface ChunkRecord {
  id: ChunkId;
  rawSize: number;
  storedSize: number;
  codecId: number;
  refcount: number;
  copies: CopyRecord[];
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
  /** Sum of the raw sizes of distinct live chunks (after dedup, before compression). */
  uniqueBytes: number;
  /** Sum of the stored sizes of distinct live chunks (one copy). */
  storedBytes: number;
  /** Sum over copies of stored sizes (what the backends hold). */
  physicalBytes: number;
  chunks: number;
  perCodec: CodecUsage[];
  perBackend: { backend: string; copies: number; bytes: number; missing: number; corrupt: number }[];
}

export interface GarbageChunk {
  id: ChunkId;
  /** Backends recorded as holding copies; uncommitted chunks may have none recorded. */
  backends: string[];
}

export interface ListFilesOptions {
  prefix?: string;
  /** Return names strictly after this one (pagination cursor). */
  after?: string;
  limit?: number;
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
   * incremented, staged list moved, session removed. Fails (and changes nothing) if any staged
   * chunk has no recorded copy.
   */
  commitUpload(sessionId: string, info: { name: string; size: number; codec: string }): Promise<VersionRecord>;
  /** Drop a session, its claims and staged entries. Chunks it wrote become gc candidates. */
  abortUpload(sessionId: string): Promise<void>;

  // --- reads ---------------------------------------------------------------------------------
  /** The given version (1-based), or the latest when version is undefined. */
  getVersion(name: string, version?: number): Promise<VersionRecord | undefined>;
  listVersions(name: string): Promise<VersionRecord[]>;
  /** Files in name order (latest version of each). */
  listFiles(options?: ListFilesOptions): AsyncIterable<FileSummary>;
  /** Chunks of a version in order; with fromOffset, starts at the chunk containing that offset. */
  versionChunks(versionId: number, fromOffset?: number): AsyncIterable<VersionChunk>;
  getChunk(id: ChunkId): Promise<ChunkRecord | undefined>;
  /** All committed chunks in id order, in pages (memory bounded by page size). */
  chunks(options?: { after?: ChunkId; pageSize?: number }): AsyncIterable<ChunkRecord>;
  /** Which of the given ids have a chunk row (any state). */
  existingChunks(ids: ChunkId[]): Promise<Set<ChunkId>>;

  // --- deletes -------------------------------------------------------------------------------
  /** Delete one version, or all versions when version is undefined; decrements refcounts. Returns versions removed. */
  deleteFile(name: string, version?: number): Promise<number>;

  // --- copies --------------------------------------------------------------------------------
  setCopyState(id: ChunkId, backend: string, state: CopyState): Promise<void>;
  /** Record a new (ok) copy, or mark an existing one ok; `shard` is the erasure shard index it holds. */
  addCopy(id: ChunkId, backend: string, shard?: number): Promise<void>;
  removeCopy(id: ChunkId, backend: string): Promise<void>;

  // --- gc ------------------------------------------------------------------------------------
  /** Remove sessions whose heartbeat is older than cutoff (ms epoch); returns how many. */
  expireSessions(cutoff: number): Promise<number>;
  /**
   * Atomically mark up to `limit` chunks with refcount 0 and no claim by a live session as being
   * deleted (claims of those chunks answer 'busy' until forgetGarbage). Chunks already 'deleting'
   * (left by a gc that died midway) are returned again, so they are never stuck. Returns them.
   */
  markGarbage(limit: number): Promise<GarbageChunk[]>;
  /** Delete the rows of chunks marked by markGarbage once their objects are gone. */
  forgetGarbage(ids: ChunkId[]): Promise<void>;
  /**
   * Return chunks marked by markGarbage to 'live' when their objects could not all be deleted
   * (a backend was unreachable); the next gc tries again. Copies already deleted were removed
   * with removeCopy, so claims see only copies that still exist.
   */
  unmarkGarbage(ids: ChunkId[]): Promise<void>;

  // --- stats ---------------------------------------------------------------------------------
  stats(): Promise<RepositoryStats>;
}
