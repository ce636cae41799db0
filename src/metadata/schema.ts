// Table types for the typed query layer (Kysely): one schema, the same tables and columns on SQLite
// and PostgreSQL. Each database creates it with its own migrations (sqlite-migrations.ts,
// postgres-migrations.ts): the same steps under the same schema version numbers.
import type { ColumnType, Generated } from 'kysely';

export interface FilesTable {
  id: Generated<number>;
  name: string;
  created_at: number;
}

export interface VersionsTable {
  id: Generated<number>;
  file_id: number;
  version_no: number;
  size: number;
  chunk_count: number;
  /** Sum of the stored sizes of the version's distinct chunks (one copy), fixed at commit. */
  stored_size: number;
  codec: string;
  created_at: number;
  /**
   * Schema version 6: a digest of the local file a version was put from (path, size, times,
   * inode), so a put of the same unchanged file can reuse its chunk list without reading it.
   */
  source_stamp: ColumnType<string | null, string | null | undefined, string | null>;
  /** Schema version 7: what a front end keeps with the version (the S3 API's JSON), opaque here. */
  attributes: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface VersionChunksTable {
  version_id: number;
  seq: number;
  offset: number;
  length: number;
  chunk_id: string;
}

export type ChunkState = 'pending' | 'live' | 'deleting';

export interface ChunksTable {
  id: string;
  raw_size: number;
  stored_size: number;
  codec_id: number;
  refcount: number;
  state: ChunkState;
  created_at: number;
  /** Bytes of each erasure shard object of this chunk; null when stored as whole copies (schema version 4). */
  shard_bytes: ColumnType<number | null, number | null | undefined, number | null>;
  /**
   * Schema version 6: the pack (another chunk row, codec `pack`) whose object holds this chunk's
   * envelope, at pack_offset in the pack's payload; such a chunk has no copies of its own.
   */
  pack_id: ColumnType<string | null, string | null | undefined, string | null>;
  pack_offset: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface ChunkCopiesTable {
  chunk_id: string;
  backend: string;
  state: 'ok' | 'missing' | 'corrupt';
  checked_at: number | null;
  /** Erasure shard index this copy holds; null for a whole replica (schema version 2). */
  shard: number | null;
}

export type SessionKind = 'stream' | 'resumable';

export interface UploadSessionsTable {
  id: string;
  name: string;
  started_at: number;
  heartbeat_at: number;
  /** Schema version 3; sessions from before it are streamed. */
  kind: Generated<SessionKind>;
  /** JSON of ResumableUploadOptions (codec, level) for resumable sessions, else null. */
  options: string | null;
  /**
   * Schema version 7: the attributes a resumable session's version gets (ResumableUploadOptions.attributes,
   * opaque here); null when begun without, and for streamed sessions.
   */
  attributes: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface SessionClaimsTable {
  session_id: string;
  chunk_id: string;
}

export interface SessionChunksTable {
  session_id: string;
  seq: number;
  offset: number;
  length: number;
  chunk_id: string;
}

/** A stored part of a resumable upload (schema version 3). */
export interface UploadPartsTable {
  session_id: string;
  part: number;
  size: number;
  chunk_count: number;
  created_at: number;
  /** Schema version 7: what the front end recorded with the part (the S3 API: its MD5), or null. */
  etag: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A part's ordered chunk list; offsets are relative to the part. */
export interface UploadPartChunksTable {
  session_id: string;
  part: number;
  idx: number;
  offset: number;
  length: number;
  chunk_id: string;
}

/** Access counters per file name, kept after the file is deleted. */
export interface FileAccessTable {
  name: string;
  uploads: number;
  downloads: number;
  bytes_in: number;
  bytes_out: number;
  last_access_at: number;
}

export interface StatsHistoryTable {
  id: Generated<number>;
  at: number;
  files: number;
  logical_bytes: number;
  unique_bytes: number;
  stored_bytes: number;
  physical_bytes: number;
}

/** Signed-in browsers: the hash of each session id (never the id), its token and expiry. */
export interface WebSessionsTable {
  id_hash: string;
  token_fingerprint: string;
  created_at: number;
  expires_at: number;
}

/** Links that download one file without a token: the hash of each link's id, never the id. */
export interface ShareLinksTable {
  id_hash: string;
  name: string;
  /** Pinned version; null follows the latest. */
  version: number | null;
  created_at: number;
  expires_at: number;
  max_downloads: number | null;
  downloads: Generated<number>;
}

/** S3 buckets (schema version 7): a bucket is the name prefix `bucket/` plus its versioning status. */
export interface S3BucketsTable {
  name: string;
  created_at: number;
  versioning: ColumnType<'Unversioned' | 'Enabled' | 'Suspended', 'Unversioned' | 'Enabled' | 'Suspended' | undefined, 'Enabled' | 'Suspended'>;
}

/** S3 access keys (schema version 7): the secret sealed, revoked keys kept with their time. */
export interface S3AccessKeysTable {
  id: string;
  sealed_secret: string;
  /** INTEGER 0/1 on SQLite, BOOLEAN on PostgreSQL (which reads the 0/1 written); reads as either. */
  read_only: ColumnType<number | boolean, 0 | 1, 0 | 1>;
  bucket: string | null;
  prefix: string | null;
  created_at: number;
  revoked_at: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface SchemaMigrationsTable {
  version: number;
  applied_at: number;
}

export interface Database {
  files: FilesTable;
  versions: VersionsTable;
  version_chunks: VersionChunksTable;
  chunks: ChunksTable;
  chunk_copies: ChunkCopiesTable;
  upload_sessions: UploadSessionsTable;
  session_claims: SessionClaimsTable;
  session_chunks: SessionChunksTable;
  upload_parts: UploadPartsTable;
  upload_part_chunks: UploadPartChunksTable;
  file_access: FileAccessTable;
  stats_history: StatsHistoryTable;
  web_sessions: WebSessionsTable;
  share_links: ShareLinksTable;
  s3_buckets: S3BucketsTable;
  s3_access_keys: S3AccessKeysTable;
  schema_migrations: SchemaMigrationsTable;
}

/** One step of a database's schema; versions count up from 1 and are recorded in schema_migrations. */
export interface Migration {
  version: number;
  description: string;
  statements: string[];
}
