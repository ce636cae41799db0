// The MetadataStore over SQL (Kysely), for SQLite and PostgreSQL alike: each method picks its
// transaction and calls the queries, which are grouped by what they serve (files-versions.ts,
// chunks-copies.ts, upload-sessions.ts, analytics.ts, renames.ts, share-links.ts, s3-registry.ts).
// What differs between the databases is the SqlDialect (sql-dialect.ts), made by sqlite-store.ts
// and postgres-store.ts, which also open them.
//
// Concurrency. SQLite: every write runs in one BEGIN IMMEDIATE transaction, so there is one writer
// at a time per database file (other processes queue on the busy timeout). PostgreSQL: many
// orchestrators write at once under READ COMMITTED; what keeps that correct:
// - Row locks on `chunks` are always taken in id order (SELECT … ORDER BY id FOR …) before a
//   statement changes several chunk rows, and a transaction locks sessions, then files, then chunks,
//   so lock waits cannot form a cycle. Should PostgreSQL still report a deadlock or serialization
//   failure (40P01/40001), the whole transaction is retried (SqlDialect.write).
// - claimChunks vs markGarbage: a claim takes FOR KEY SHARE on each chunk row, and inserts its claim
//   while holding it. markGarbage takes FOR UPDATE SKIP LOCKED on candidates (skipping rows a claim
//   or commit holds), then re-checks "refcount = 0 and no claim" in a second statement: that
//   statement's snapshot is taken after the locks were granted, so it sees every claim committed
//   before them, and no new claim can be inserted while gc holds them. A claim that waited on gc's
//   lock reads the row's new state ('deleting') and answers 'busy'.
// - commitUpload locks the file row (inserted if missing), so commits of one name are serialised and
//   latest + 1 never repeats (UNIQUE (file_id, version_no) backs this up). Refcounts change by
//   `refcount ± n` on locked rows, so overlapping commits and deletes add up exactly; a CHECK keeps
//   them from going negative. A resumable session is committed the same way (the engine stages
//   the list it builds from the parts); stagePart holds the session FOR NO KEY UPDATE (its heartbeat),
//   and stageChunks/unstageAll FOR KEY SHARE, so none of them can slip in beside a commit or an
//   expiry of the session.
// - copyVersion locks the target's file row, then the source version's chunks (id order), and only
//   then reads the source: while it exists it holds a reference on each chunk, so gc cannot mark
//   them; a delete that got there first makes the copy fail (FileNotFoundError), referencing nothing.
// - deleteBucket locks the bucket row FOR UPDATE, then checks for files under `bucket/` and deletes.
// - Access counters change by `+ n` in one upsert, after all other locks (file_access rows last).
// - Streams (listFiles, versionChunks, chunks) page with keysets (name, seq, id), one query a page.
import type { ChunkId } from '../core/chunk-id.ts';
import * as analytics from './analytics.ts';
import * as chunksCopies from './chunks-copies.ts';
import * as filesVersions from './files-versions.ts';
import * as renames from './renames.ts';
import * as s3Registry from './s3-registry.ts';
import type { S3AccessKey, S3AccessKeySpec, S3Bucket, S3BucketDeletion, S3Versioning } from './s3-registry.ts';
import * as shareLinks from './share-links.ts';
import type { ShareLink, ShareLinkSpec } from './share-links.ts';
import type {
  ChunkRecord,
  ClaimResult,
  CommittedFile,
  CopyState,
  FileAccess,
  FileCommit,
  FileSummary,
  GarbageChunk,
  LatestVersion,
  ListFilesOptions,
  MetadataStore,
  PartChunk,
  RepositoryStats,
  ResumableUpload,
  ResumableUploadOptions,
  ResumableUploadSummary,
  SparsePack,
  StagedChunk,
  StatsSample,
  StoredChunk,
  UsageTotals,
  VersionChunk,
  VersionRecord,
} from './metadata-store.ts';
import type { Db, SqlDialect } from './sql-dialect.ts';
import * as uploadSessions from './upload-sessions.ts';
import * as webSessions from './web-sessions.ts';
import type { WebSession } from './web-sessions.ts';

export class SqlMetadataStore implements MetadataStore {
  readonly #db: Db;
  readonly #d: SqlDialect;
  readonly #now: () => number;

  constructor(db: Db, dialect: SqlDialect, now: () => number = () => Date.now()) {
    this.#db = db;
    this.#d = dialect;
    this.#now = now;
  }

  #write<T>(fn: (trx: Db) => Promise<T>): Promise<T> {
    return this.#d.write(this.#db, fn);
  }

  async migrate(): Promise<void> {
    await this.#d.migrate(this.#db, this.#now());
  }

  async close(): Promise<void> {
    await this.#db.destroy();
  }

  // --- uploads -------------------------------------------------------------------------------

  async beginUpload(name: string): Promise<{ sessionId: string }> {
    return { sessionId: await uploadSessions.insertSession(this.#db, name, this.#now()) };
  }

  async heartbeat(sessionId: string): Promise<void> {
    await uploadSessions.touchSession(this.#db, sessionId, this.#now());
  }

  async claimChunks(sessionId: string, ids: ChunkId[]): Promise<Map<ChunkId, ClaimResult>> {
    const distinct = [...new Set(ids)].sort();
    if (distinct.length === 0) return new Map();
    return this.#write(async (trx) => {
      await uploadSessions.requireSession(this.#d, trx, sessionId, 'key share');
      return chunksCopies.claimChunks(this.#d, trx, sessionId, distinct, this.#now());
    });
  }

  async recordStored(sessionId: string, stored: StoredChunk[]): Promise<void> {
    if (stored.length === 0) return;
    const sorted = [...stored].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    await this.#write(async (trx) => {
      await uploadSessions.requireSession(this.#d, trx, sessionId, 'key share');
      await chunksCopies.recordStored(this.#d, trx, sorted, this.#now());
    });
  }

  async stageChunks(sessionId: string, entries: StagedChunk[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#write(async (trx) => {
      await uploadSessions.requireSession(this.#d, trx, sessionId, 'key share');
      await uploadSessions.stageChunks(this.#d, trx, sessionId, entries);
    });
  }

  async commitUpload(sessionId: string, info: { name: string; size: number; codec: string; attributes?: string }): Promise<VersionRecord> {
    return this.#write(async (trx) => {
      await uploadSessions.requireSession(this.#d, trx, sessionId, 'update');
      return filesVersions.commitStaged(this.#d, trx, sessionId, info, this.#now());
    });
  }

  async commitFiles(sessionId: string, files: FileCommit[]): Promise<CommittedFile[]> {
    return this.#write(async (trx) => {
      await uploadSessions.requireSession(this.#d, trx, sessionId, 'update');
      return filesVersions.commitFiles(this.#d, trx, sessionId, files, this.#now());
    });
  }

  copyVersion(sourceVersionId: number, target: string, attributes?: string): Promise<VersionRecord> {
    return this.#write((trx) => renames.copyVersion(this.#d, trx, sourceVersionId, target, attributes, this.#now()));
  }

  async abortUpload(sessionId: string): Promise<void> {
    await this.#write((trx) => uploadSessions.dropSession(this.#d, trx, sessionId));
  }

  // --- resumable uploads ---------------------------------------------------------------------

  async beginResumableUpload(name: string, options: ResumableUploadOptions): Promise<{ sessionId: string }> {
    return { sessionId: await uploadSessions.insertSession(this.#db, name, this.#now(), options) };
  }

  getResumableUpload(sessionId: string): Promise<ResumableUpload | undefined> {
    return uploadSessions.resumableUpload(this.#db, sessionId);
  }

  async stagePart(sessionId: string, part: number, size: number, partChunks: PartChunk[], etag?: string): Promise<void> {
    uploadSessions.checkPart(part, size, partChunks);
    await this.#write((trx) => uploadSessions.stagePart(this.#d, trx, sessionId, part, size, partChunks, etag, this.#now()));
  }

  listResumableUploads(options?: { prefix?: string; after?: { name: string; sessionId: string }; limit?: number }): Promise<ResumableUploadSummary[]> {
    return uploadSessions.listResumableUploads(this.#db, options);
  }

  partChunks(sessionId: string, part: number): Promise<PartChunk[]> {
    return uploadSessions.partChunks(this.#db, sessionId, part);
  }

  async unstageAll(sessionId: string): Promise<void> {
    await this.#write((trx) => uploadSessions.unstageAll(this.#d, trx, sessionId));
  }

  // --- reads ---------------------------------------------------------------------------------

  getVersion(name: string, version?: number): Promise<VersionRecord | undefined> {
    return filesVersions.getVersion(this.#db, name, version);
  }

  listVersions(name: string): Promise<VersionRecord[]> {
    return filesVersions.listVersions(this.#db, name);
  }

  latestVersions(names: string[]): Promise<Map<string, LatestVersion>> {
    return filesVersions.latestVersions(this.#d, this.#db, names);
  }

  listFiles(options: ListFilesOptions = {}): AsyncIterable<FileSummary> {
    return filesVersions.listFiles(this.#db, options);
  }

  versionChunks(versionId: number, fromOffset?: number): AsyncIterable<VersionChunk> {
    return chunksCopies.versionChunks(this.#d, this.#db, versionId, fromOffset);
  }

  getChunk(id: ChunkId): Promise<ChunkRecord | undefined> {
    return chunksCopies.getChunk(this.#d, this.#db, id);
  }

  chunks(options: { after?: ChunkId; pageSize?: number } = {}): AsyncIterable<ChunkRecord> {
    return chunksCopies.liveChunks(this.#d, this.#db, options);
  }

  existingChunks(ids: ChunkId[]): Promise<Set<ChunkId>> {
    return chunksCopies.existingChunks(this.#d, this.#db, ids);
  }

  // --- deletes -------------------------------------------------------------------------------

  async deleteFile(name: string, version?: number): Promise<number> {
    return this.#write((trx) => filesVersions.deleteFile(this.#d, trx, name, version));
  }

  // --- renames -------------------------------------------------------------------------------

  renameNames(from: string, to: string): Promise<number> {
    return this.#write((trx) => renames.renameNames(this.#d, trx, from, to));
  }

  restoreVersion(name: string, version: number): Promise<VersionRecord> {
    return this.#write((trx) => renames.restoreVersion(this.#d, trx, name, version, this.#now()));
  }

  // --- copies --------------------------------------------------------------------------------

  async setCopyState(id: ChunkId, backend: string, state: CopyState): Promise<void> {
    await chunksCopies.setCopyState(this.#db, id, backend, state, this.#now());
  }

  async addCopy(id: ChunkId, backend: string, shard?: number): Promise<void> {
    await chunksCopies.addCopy(this.#db, id, backend, shard ?? null, this.#now());
  }

  async removeCopy(id: ChunkId, backend: string): Promise<void> {
    await chunksCopies.removeCopy(this.#db, id, backend);
  }

  // --- gc ------------------------------------------------------------------------------------

  async expireSessions(cutoff: number, resumableCutoff = cutoff): Promise<number> {
    return this.#write((trx) => uploadSessions.expireSessions(this.#d, trx, cutoff, resumableCutoff));
  }

  async markGarbage(limit: number, among?: readonly ChunkId[]): Promise<GarbageChunk[]> {
    return this.#write((trx) => chunksCopies.markGarbage(this.#d, trx, limit, among));
  }

  sparsePacks(options: { maxLiveFraction: number; limit: number; after?: ChunkId }): Promise<SparsePack[]> {
    return chunksCopies.sparsePacks(this.#d, this.#db, options);
  }

  async forgetGarbage(ids: ChunkId[]): Promise<void> {
    if (ids.length === 0) return;
    const sorted = [...new Set(ids)].sort();
    await this.#write((trx) => chunksCopies.forgetGarbage(this.#d, trx, sorted));
  }

  async unmarkGarbage(ids: ChunkId[]): Promise<void> {
    if (ids.length === 0) return;
    const sorted = [...new Set(ids)].sort();
    await this.#write((trx) => chunksCopies.unmarkGarbage(this.#d, trx, sorted));
  }

  // --- stats ---------------------------------------------------------------------------------

  stats(): Promise<RepositoryStats> {
    return this.#d.snapshot(this.#db, (db) => analytics.repositoryStats(db));
  }

  // --- analytics -----------------------------------------------------------------------------

  async recordDownload(name: string, bytes: number): Promise<void> {
    await analytics.countAccess(this.#db, name, { downloads: 1, bytesOut: bytes }, this.#now());
  }

  usageTotals(): Promise<UsageTotals> {
    return analytics.usageTotals(this.#db);
  }

  topFiles(limit: number): Promise<FileAccess[]> {
    return analytics.topFiles(this.#db, limit);
  }

  fileAccess(name: string): Promise<FileAccess | undefined> {
    return analytics.fileAccess(this.#db, name);
  }

  async recordStatsSample(sample: StatsSample): Promise<void> {
    await this.#write((trx) => analytics.insertStatsSample(trx, sample));
  }

  statsHistory(options?: { since?: number; limit?: number }): Promise<StatsSample[]> {
    return analytics.statsHistory(this.#db, options);
  }

  // --- browser sessions ----------------------------------------------------------------------

  async createWebSession(session: WebSession): Promise<void> {
    await this.#write((trx) => webSessions.insertWebSession(trx, session, this.#now()));
  }

  webSessionValid(idHash: string, tokenFingerprint: string): Promise<boolean> {
    return webSessions.webSessionValid(this.#db, idHash, tokenFingerprint, this.#now());
  }

  async revokeWebSession(idHash: string): Promise<void> {
    await this.#write((trx) => webSessions.deleteWebSession(trx, idHash));
  }

  // --- share links ---------------------------------------------------------------------------

  createShareLink(link: ShareLinkSpec): Promise<ShareLink> {
    return this.#write((trx) => shareLinks.insertShareLink(trx, link, this.#now()));
  }

  useShareLink(idHash: string): Promise<ShareLink | undefined> {
    return this.#write((trx) => shareLinks.countShareDownload(trx, idHash, this.#now()));
  }

  shareLink(idHash: string): Promise<ShareLink | undefined> {
    return shareLinks.liveShareLink(this.#db, idHash, this.#now());
  }

  listShareLinks(name?: string): Promise<ShareLink[]> {
    return shareLinks.listShareLinks(this.#db, this.#now(), name);
  }

  revokeShareLink(idHash: string): Promise<boolean> {
    return this.#write((trx) => shareLinks.deleteShareLink(trx, idHash));
  }

  // --- S3 buckets and access keys ------------------------------------------------------------

  createBucket(name: string): Promise<boolean> {
    return this.#write((trx) => s3Registry.insertBucket(trx, name, this.#now()));
  }

  getBucket(name: string): Promise<S3Bucket | undefined> {
    return s3Registry.getBucket(this.#db, name);
  }

  listBuckets(): Promise<S3Bucket[]> {
    return s3Registry.listBuckets(this.#db);
  }

  deleteBucket(name: string): Promise<S3BucketDeletion> {
    return this.#write((trx) => s3Registry.deleteBucket(this.#d, trx, name));
  }

  setBucketVersioning(name: string, status: Exclude<S3Versioning, 'Unversioned'>): Promise<boolean> {
    return this.#write((trx) => s3Registry.setBucketVersioning(trx, name, status));
  }

  createAccessKey(key: S3AccessKeySpec): Promise<S3AccessKey> {
    return this.#write((trx) => s3Registry.insertAccessKey(trx, key, this.#now()));
  }

  getAccessKey(id: string): Promise<S3AccessKey | undefined> {
    return s3Registry.liveAccessKey(this.#db, id);
  }

  listAccessKeys(): Promise<S3AccessKey[]> {
    return s3Registry.listAccessKeys(this.#db);
  }

  revokeAccessKey(id: string): Promise<boolean> {
    return this.#write((trx) => s3Registry.revokeAccessKey(trx, id, this.#now()));
  }
}
