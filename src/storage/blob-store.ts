// The BlobStore contract: a handful of whole-object operations that every backend (fs, memory,
// S3, GCS, Azure, remote storage node) implements and that wrappers (retry, timeout, breaker,
// metrics, faults) decorate. Objects are bounded (at most one chunk envelope), so put/get take and
// return whole byte arrays. Every implementation passes test/conformance/blob-store.ts.

export interface BlobInfo {
  key: string;
  size: number;
  /** Last modification time (ms since epoch), when the backend knows it. */
  modifiedAt?: number;
}

export interface ByteRange {
  offset: number;
  /** Number of bytes; reads past the end return what exists. */
  length: number;
}

export interface OperationOptions {
  signal?: AbortSignal;
}

export interface GetOptions extends OperationOptions {
  range?: ByteRange;
}

/** What a store supports, declared as data rather than discovered by errors. */
export interface BlobStoreCapabilities {
  /** get honours `range` without reading the whole object. */
  rangedReads: boolean;
  /** A reader never sees a partially written object. */
  atomicPut: boolean;
  /** Largest object accepted, in bytes. */
  maxObjectSize: number;
}

export interface BlobStore {
  /** Backend name as recorded in metadata and shown in messages. */
  readonly name: string;
  readonly capabilities: BlobStoreCapabilities;
  /**
   * Durably store an object (replacing any existing one). Resolves only once durable. Once the
   * promise has settled successfully the store neither keeps nor reads `data` (callers free it;
   * the conformance suite's no-aliasing test checks the keeping part).
   */
  put(key: string, data: Uint8Array, options?: OperationOptions): Promise<void>;
  /** Read an object or a range of it. Throws BlobNotFoundError when absent. */
  get(key: string, options?: GetOptions): Promise<Uint8Array>;
  /** Size and time of an object, or undefined when absent. */
  head(key: string, options?: OperationOptions): Promise<BlobInfo | undefined>;
  /** Delete an object; deleting an absent object is not an error. */
  delete(key: string, options?: OperationOptions): Promise<void>;
  /** Objects whose key starts with prefix, in ascending key order, streamed page by page. */
  list(prefix: string, options?: OperationOptions): AsyncIterable<BlobInfo>;
  /** Release resources (connections, handles). */
  close?(): Promise<void>;
}

/** Object keys of the on-storage format (DESIGN.md): chunks/<first 2 hex>/<64 hex id>. */
export function chunkKey(id: string): string {
  return `chunks/${id.slice(0, 2)}/${id}`;
}

export const CHUNK_PREFIX = 'chunks/';

/** The chunk id of a chunk object key, or undefined for any other key. */
export function chunkIdFromKey(key: string): string | undefined {
  const m = /^chunks\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(key);
  return m && m[2]!.startsWith(m[1]!) ? m[2] : undefined;
}
