// Google Cloud Storage BlobStore over the official @google-cloud/storage client (JSON API).
//
// URL: gs://BUCKET[/PREFIX]. Loaded lazily by the registry, so users who never configure GCS never
// load the SDK.
//
// Credentials come from the client's standard chain, never from dcs.yaml: the file named by
// GOOGLE_APPLICATION_CREDENTIALS (service-account key or workload-identity config), gcloud's
// application-default credentials (`gcloud auth application-default login`), or the metadata
// server on GCE/GKE/Cloud Run. To use a real bucket: grant the identity roles/storage.objectAdmin
// on the bucket, make sure STORAGE_EMULATOR_HOST is NOT set, and configure `gs://BUCKET/PREFIX`.
// When STORAGE_EMULATOR_HOST is set, the client talks to that host without credentials; the tests
// point it at an in-process fake (test/helpers/fake-gcs.ts). See docs/backends-gcs.md.
//
// Requests made (one HTTP request per operation, except list: one per page):
//   put    POST   /upload/storage/v1/b/B/o?uploadType=multipart&name=N   (file.save, resumable: false)
//   get    GET    /storage/v1/b/B/o/N?alt=media   [Range: bytes=a-b]      (file.download)
//   head   GET    /storage/v1/b/B/o/N                                     (file.getMetadata)
//   delete DELETE /storage/v1/b/B/o/N                                     (file.delete, 404 ignored)
//   list   GET    /storage/v1/b/B/o?prefix=P&maxResults=M[&pageToken=T]   (bucket.getFiles, one page at a time)
//
// Retries are NOT done here: the SDK's own retry is switched off (autoRetry: false) because
// retry, timeouts and circuit breaking are wrappers composed around every store (DESIGN.md). This
// store only classifies failures: BackendError.retryable is true for 408/429/5xx, connection
// resets, timeouts and checksum mismatches in transit; false for other 4xx (auth, bad request).
import { Storage, type Bucket, type File, type FileMetadata, type StorageOptions } from '@google-cloud/storage';
import { BackendError, BlobNotFoundError, ConfigError, DcsError } from '../core/errors.ts';
import type { BlobInfo, BlobStore, BlobStoreCapabilities, GetOptions, OperationOptions } from './blob-store.ts';
import { NETWORK_ERROR_CODES, normalizePrefix, parseLocation, readEmptyRange, unknownParam, unlessAbsent } from './cloud-store.ts';
import { validateKey } from './keys.ts';

export interface GcsBlobStoreOptions {
  /** Backend name (as recorded in metadata). */
  name: string;
  bucket: string;
  /** Object name prefix ('' or 'a/b'); a trailing '/' is implied. */
  prefix?: string;
  /** Deadline of one operation (one list page) in ms, default 60 s; then a retryable BackendError. */
  timeoutMs?: number;
  /** Objects per list page (GCS maximum and default: 1000). */
  pageSize?: number;
  /** Extra client options (projectId, keyFilename, apiEndpoint, ...); a given Storage instance wins. */
  clientOptions?: StorageOptions;
  storage?: Storage;
}

const RETRYABLE_CODES = new Set([
  ...NETWORK_ERROR_CODES,
  'ESOCKETTIMEDOUT',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  // The SDK's integrity checks: bytes changed in transit (upload object is deleted by the SDK).
  'FILE_NO_UPLOAD',
  'CONTENT_DOWNLOAD_MISMATCH',
]);

/** GCS answers 404 both for a missing object and a missing bucket; only the message tells them apart. */
function isBucketMissing(err: unknown): boolean {
  const m = (err as { message?: unknown })?.message;
  return typeof m === 'string' && /bucket does not exist/i.test(m);
}

/** One place that turns SDK/HTTP failures into the storage error contract. */
export function translateGcsError(err: unknown, backend: string, operation: string, key?: string): Error {
  if (err instanceof DcsError) return err;
  // An abort requested by the caller is passed through unchanged (it is not a backend failure).
  if (err instanceof DOMException && err.name === 'AbortError') return err;
  const e = err as { code?: unknown; message?: unknown; name?: unknown; type?: unknown; response?: { status?: unknown } };
  const message = typeof e?.message === 'string' && e.message.length > 0 ? e.message.split('\n')[0]! : String(err);
  const status = typeof e?.code === 'number' && e.code >= 100 && e.code < 600 ? e.code : typeof e?.response?.status === 'number' ? e.response.status : undefined;
  if (status !== undefined) {
    if (status === 404) {
      if (isBucketMissing(err)) return new BackendError(backend, operation, `bucket does not exist: ${message}`, false, { cause: err });
      if (key !== undefined && (operation === 'get' || operation === 'head')) return new BlobNotFoundError(key, backend);
      return new BackendError(backend, operation, `not found (bucket missing?): ${message}`, false, { cause: err });
    }
    if (status === 401 || status === 403) {
      return new BackendError(backend, operation, `permission denied (HTTP ${status}; check the credentials and the bucket's IAM roles): ${message}`, false, { cause: err });
    }
    const retryable = status === 408 || status === 429 || status >= 500;
    return new BackendError(backend, operation, `HTTP ${status}: ${message}`, retryable, { cause: err });
  }
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code !== undefined && RETRYABLE_CODES.has(code)) return new BackendError(backend, operation, `${code}: ${message}`, true, { cause: err });
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.type === 'request-timeout' || /timed? ?out|socket hang up/i.test(message)) {
    return new BackendError(backend, operation, `timeout: ${message}`, true, { cause: err });
  }
  if (/default credentials|could not load the credentials|invalid_grant/i.test(message)) {
    return new BackendError(backend, operation, `no usable Google credentials (set GOOGLE_APPLICATION_CREDENTIALS or run on GCP): ${message}`, false, { cause: err });
  }
  return new BackendError(backend, operation, message, false, { cause: err });
}

const BUCKET_RE = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;

/** Parse the location part of gs://BUCKET[/PREFIX] (`rest` is what follows "gs:"). */
export function parseGcsLocation(rest: string): { bucket: string; prefix: string } {
  const url = `gs:${rest}`;
  const { bucket, prefix, params } = parseLocation(url, rest, 'gs://BUCKET or gs://BUCKET/PREFIX', 'object prefix');
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) {
    throw new ConfigError(
      `invalid bucket name ${JSON.stringify(bucket)} in ${JSON.stringify(url)} (3-222 characters: lowercase letters, digits, '-', '_', '.'; starting and ending with a letter or digit)`,
    );
  }
  for (const [key] of params) throw unknownParam(key, url, [], 'use GOOGLE_APPLICATION_CREDENTIALS or application-default credentials');
  return { bucket, prefix };
}

/** Registry entry point: gs://BUCKET[/PREFIX]. */
export function openGcsBlobStore(name: string, rest: string): GcsBlobStore {
  return new GcsBlobStore({ name, ...parseGcsLocation(rest) });
}

/**
 * Settle with the operation, or reject when the caller's signal aborts or the deadline passes.
 * The SDK can cancel neither: its `timeout` option is silently ignored by the node-fetch 3 it uses
 * (measured: a server that never answers hangs every call), and it takes no AbortSignal. So the
 * deadline is enforced here and an abandoned request finishes (or dies with its socket) in the
 * background.
 */
async function bounded<T>(start: () => Promise<T>, signal: AbortSignal | undefined, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  signal?.throwIfAborted(); // nothing is sent once the caller has given up
  const promise = start();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => finish(() => reject(signal!.reason));
    const timer = setTimeout(() => finish(() => reject(onTimeout())), timeoutMs);
    let done = false;
    const finish = (settle: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => finish(() => resolve(v)),
      (err: unknown) => finish(() => reject(err)),
    );
  });
}

/** A plain Uint8Array over a Buffer's bytes (copied when the Buffer is a slice of a shared pool). */
function plainBytes(buf: Buffer): Uint8Array {
  return buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength ? new Uint8Array(buf.buffer, 0, buf.byteLength) : new Uint8Array(buf);
}

function infoOf(key: string, metadata: FileMetadata): BlobInfo {
  const info: BlobInfo = { key, size: Number(metadata.size ?? 0) };
  const modified = metadata.updated ? Date.parse(metadata.updated) : Number.NaN;
  if (Number.isFinite(modified)) info.modifiedAt = modified;
  return info;
}

export class GcsBlobStore implements BlobStore {
  readonly name: string;
  readonly bucketName: string;
  /** '' or a prefix ending in '/'. */
  readonly prefix: string;
  // Single-request uploads hold the whole object in memory, which the BlobStore contract already
  // does (put takes a whole Uint8Array). 2 GiB matches the other stores' Uint8Array bound.
  readonly capabilities: BlobStoreCapabilities = { rangedReads: true, atomicPut: true, maxObjectSize: 2 ** 31 - 1 };
  readonly #bucket: Bucket;
  readonly #pageSize: number;
  readonly #timeoutMs: number;

  constructor(options: GcsBlobStoreOptions) {
    this.name = options.name;
    this.bucketName = options.bucket;
    this.prefix = normalizePrefix(options.prefix, 'object prefix');
    this.#pageSize = options.pageSize ?? 1000;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
    const storage =
      options.storage ??
      new Storage({
        ...options.clientOptions,
        timeout: this.#timeoutMs,
        // Retrying is the job of the retry wrapper (DESIGN.md); doubled retries multiply latency.
        retryOptions: { autoRetry: false, ...options.clientOptions?.retryOptions },
      });
    this.#bucket = storage.bucket(options.bucket);
  }

  #bounded<T>(operation: string, start: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    return bounded(start, signal, this.#timeoutMs, () => new BackendError(this.name, operation, `timeout: no answer within ${this.#timeoutMs} ms`, true));
  }

  #file(key: string): File {
    return this.#bucket.file(this.prefix + validateKey(key));
  }

  async put(key: string, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    const file = this.#file(key);
    try {
      // One multipart request (metadata + bytes), not a resumable session: objects are at most one
      // chunk envelope (a few MiB), and a failed small upload is cheaper to redo whole than to
      // resume — a resumable upload costs an extra round trip to open the session. The crc32c of
      // the sent bytes is checked against the one GCS computed for the stored object. GCS object
      // writes are atomic: readers see the old object or the new one, never a partial one.
      const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      await this.#bounded('put', () => file.save(body, { resumable: false, validation: 'crc32c', contentType: 'application/octet-stream' }), options.signal);
    } catch (err) {
      throw translateGcsError(err, this.name, 'put', key);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const file = this.#file(key);
    const range = options.range;
    try {
      if (range === undefined) {
        // Whole-object reads are checked against GCS's crc32c (x-goog-hash) by the SDK.
        const [buf] = await this.#bounded('get', () => file.download({ validation: 'crc32c' }), options.signal);
        return plainBytes(buf);
      }
      if (range.length <= 0) return await readEmptyRange(this, key, options);
      // Ranged reads cannot be integrity-checked by the SDK; chunk ids verify the bytes upstream.
      const [buf] = await this.#bounded('get', () => file.download({ start: range.offset, end: range.offset + range.length - 1 }), options.signal);
      return plainBytes(buf);
    } catch (err) {
      // A range starting at or past the end: the object exists, the read is empty (as in fs/memory).
      if (range !== undefined && (err as { code?: unknown })?.code === 416) return new Uint8Array(0);
      throw translateGcsError(err, this.name, 'get', key);
    }
  }

  async head(key: string, options: OperationOptions = {}): Promise<BlobInfo | undefined> {
    const file = this.#file(key);
    return unlessAbsent(
      async () => infoOf(key, (await this.#bounded('head', () => file.getMetadata(), options.signal))[0]),
      (err) => translateGcsError(err, this.name, 'head', key),
      undefined,
    );
  }

  async delete(key: string, options: OperationOptions = {}): Promise<void> {
    const file = this.#file(key);
    try {
      await this.#bounded('delete', () => file.delete({ ignoreNotFound: true }), options.signal);
    } catch (err) {
      throw translateGcsError(err, this.name, 'delete', key);
    }
  }

  /** GCS lists in lexicographic (UTF-8 byte) order, which is ascending key order for our keys. */
  async *list(prefix: string, options: OperationOptions = {}): AsyncIterable<BlobInfo> {
    let pageToken: string | undefined;
    do {
      let files: File[];
      let next: { pageToken?: string } | undefined;
      try {
        const query = { prefix: this.prefix + prefix, autoPaginate: false, maxResults: this.#pageSize, ...(pageToken ? { pageToken } : {}) };
        [files, next] = await this.#bounded('list', () => this.#bucket.getFiles(query), options.signal);
      } catch (err) {
        throw translateGcsError(err, this.name, 'list');
      }
      for (const f of files) yield infoOf(f.name.slice(this.prefix.length), f.metadata);
      pageToken = next?.pageToken;
    } while (pageToken);
  }
}
