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

/** Recent read latencies of one backend: where the hedged-read delay comes from. */
export interface ReadLatency {
  /** Wait this long for a read before asking another copy: the p95 of recent reads, or fallbackMs while there are too few. */
  hedgeDelayMs(fallbackMs?: number): number;
}

/**
 * Besides the five operations, a store may offer the optional members below; a store that has
 * nothing to offer omits them. Every wrapper passes through what it does not own (passThrough),
 * so callers ask the outermost store and never look inside a stack of wrappers.
 */
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
  /**
   * Prepare the location (create the directory or container, check the bucket), once: by `dcs
   * init`, or when a cluster adopts empty backends. Never implicit on use.
   */
  init?(): Promise<void>;
  /**
   * False while this backend is known to be failing (its circuit breaker is open and no probe is
   * due yet): placement skips it for writes and reads try it last. Offered by the resilience wrapper.
   */
  isAvailable?(): boolean;
  /** Latencies of recent successful gets (the resilience wrapper records them). */
  readonly latency?: ReadLatency;
  /** Ask the backend itself whether it serves (storage nodes: the gRPC health protocol), within timeoutMs. */
  checkHealth?(timeoutMs: number): Promise<boolean>;
  /** Release resources (connections, handles). */
  close?(): Promise<void>;
}

/** The optional members of BlobStore, which a wrapper passes through unless it implements them. */
export type OptionalMembers = Pick<BlobStore, 'init' | 'isAvailable' | 'latency' | 'checkHealth' | 'close'>;

/** The optional members `inner` offers, bound to it: spread them into a wrapper first, then override what the wrapper owns. */
export function passThrough(inner: BlobStore): OptionalMembers {
  return {
    ...(inner.init ? { init: inner.init.bind(inner) } : {}),
    ...(inner.isAvailable ? { isAvailable: inner.isAvailable.bind(inner) } : {}),
    ...(inner.latency ? { latency: inner.latency } : {}),
    ...(inner.checkHealth ? { checkHealth: inner.checkHealth.bind(inner) } : {}),
    ...(inner.close ? { close: inner.close.bind(inner) } : {}),
  };
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
