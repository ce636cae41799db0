// Table types for the typed query layer (Kysely). One schema for SQLite now and PostgreSQL later.
import type { Generated } from 'kysely';

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
}

export interface ChunkCopiesTable {
  chunk_id: string;
  backend: string;
  state: 'ok' | 'missing' | 'corrupt';
  checked_at: number | null;
  /** Erasure shard index this copy holds; null for a whole replica (schema version 2). */
  shard: number | null;
}

export interface UploadSessionsTable {
  id: string;
  name: string;
  started_at: number;
  heartbeat_at: number;
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
  schema_migrations: SchemaMigrationsTable;
}
