// A BlobStore that is a storage node. Object bytes (put, get) travel on the node's data plane as
// raw HTTP/1.1 bodies (storage-data-plane.ts); head, delete, list and the health check are RPCs to
// its StorageService. Both reach the same URL with the same token and TLS, and failures of either
// become the same dcs errors. The placement layer treats each node as one backend, so replicas land
// on distinct nodes.
import { createClient, type Client } from '@connectrpc/connect';
import { BackendError, BlobNotFoundError, UsageError } from '../core/errors.ts';
import type { BlobInfo, BlobStore, BlobStoreCapabilities, GetOptions, OperationOptions } from '../storage/blob-store.ts';
import { validateKey } from '../storage/keys.ts';
import { contentLength, DataPlaneClient, DataPlaneError, readExactly } from './data-plane.ts';
import { StorageService } from './gen/dcs/v1/storage_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from './gen/grpc/health/v1/health_pb.js';
import { fromConnectError } from './rpc-errors.ts';
import { objectPath, STORAGE_OBJECT_MAX_BYTES } from './storage-data-plane.ts';
import { createTransport, type ClientOptions } from './transport.ts';

export interface RemoteBlobStoreOptions extends ClientOptions {
  /**
   * How put and get move bytes: 'data-plane' (default, raw HTTP/1.1 bodies) or 'grpc'
   * (PutObject/GetObject, as before the data plane: for comparisons, bench/storage-node.ts).
   */
  bulk?: 'data-plane' | 'grpc';
}

export class RemoteBlobStore implements BlobStore {
  readonly name: string;
  readonly capabilities: BlobStoreCapabilities = { rangedReads: true, atomicPut: true, maxObjectSize: STORAGE_OBJECT_MAX_BYTES };
  readonly url: string;
  readonly #client: Client<typeof StorageService>;
  readonly #health: Client<typeof Health>;
  readonly #data: DataPlaneClient | undefined;
  readonly #timeoutMs: number;
  readonly #close: () => void;

  constructor(name: string, url: string, options: RemoteBlobStoreOptions = {}) {
    this.name = name;
    this.url = url;
    const { bulk, ...clientOptions } = options;
    const { transport, close } = createTransport(url, clientOptions);
    this.#client = createClient(StorageService, transport);
    this.#health = createClient(Health, transport);
    this.#data = bulk === 'grpc' ? undefined : new DataPlaneClient(url, clientOptions);
    this.#close = close;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
  }

  async #call<T>(operation: string, key: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw fromConnectError(err, { backend: this.name, operation, ...(key === undefined ? {} : { key }) });
    }
  }

  #opts(options?: OperationOptions): { signal?: AbortSignal; timeoutMs: number } {
    return { timeoutMs: this.#timeoutMs, ...(options?.signal ? { signal: options.signal } : {}) };
  }

  /**
   * One data-plane request under the store's deadline (the whole call, like a gRPC deadline) and
   * the caller's signal, its failures as the errors the RPC would have given.
   */
  async #transfer<T>(operation: 'put' | 'get', key: string, signal: AbortSignal | undefined, fn: (data: DataPlaneClient, signal: AbortSignal) => Promise<T>): Promise<T> {
    const deadline = AbortSignal.timeout(this.#timeoutMs);
    try {
      return await fn(this.#data!, signal ? AbortSignal.any([signal, deadline]) : deadline);
    } catch (err) {
      if (signal?.aborted) throw new BackendError(this.name, operation, 'the operation was aborted', false, { cause: err });
      if (deadline.aborted) throw new BackendError(this.name, operation, `no answer within ${this.#timeoutMs} ms`, true, { cause: err });
      throw this.#dataError(err, operation, key);
    }
  }

  #dataError(err: unknown, operation: 'put' | 'get', key: string): Error {
    if (err instanceof DataPlaneError) {
      if (err.code === 'BLOB_NOT_FOUND') return new BlobNotFoundError(key, this.name);
      // The caller's mistake (a key or range the node refuses), as the RPC's INVALID_ARGUMENT gave it.
      if (err.status === 400 || err.status === 411 || err.status === 416) return new UsageError(err.message, err.code);
      // 5xx: the node or its disk failed; transient like the RPC's UNAVAILABLE and INTERNAL. Other
      // answers (401 token, 413 too large, 404 from a node without a data plane) will not change on retry.
      const why = err.status === 404 ? `${err.message} (a storage node without the data plane: an older dcs?)` : err.message;
      return new BackendError(this.name, operation, why, err.status >= 500, { cause: err });
    }
    // A connection refused, reset or timed out, or a body cut short: the node is gone or restarting.
    const message = err instanceof Error ? err.message : String(err);
    return new BackendError(this.name, operation, message, true, { cause: err });
  }

  async put(key: string, data: Uint8Array, options?: OperationOptions): Promise<void> {
    validateKey(key);
    if (!this.#data) {
      await this.#call('put', undefined, () => this.#client.putObject({ key, data }, this.#opts(options)));
      return;
    }
    await this.#transfer('put', key, options?.signal, async (client, signal) => {
      const res = await client.call({ method: 'PUT', path: objectPath(key), body: data, signal });
      // 204 has no body; reading to its end returns the connection to the keep-alive pool.
      res.resume();
    });
  }

  async get(key: string, options?: GetOptions): Promise<Uint8Array> {
    validateKey(key);
    if (this.#data) return this.#transfer('get', key, options?.signal, (client, signal) => this.#dataGet(client, key, options?.range, signal));
    const range = options?.range ? { offset: BigInt(options.range.offset), length: BigInt(options.range.length) } : {};
    const res = await this.#call('get', key, () => this.#client.getObject({ key, ...range }, this.#opts(options)));
    // protobuf hands back a Buffer view; callers get a plain Uint8Array like from every other store.
    return new Uint8Array(res.data.buffer, res.data.byteOffset, res.data.byteLength);
  }

  async #dataGet(client: DataPlaneClient, key: string, range: GetOptions['range'], signal: AbortSignal): Promise<Uint8Array> {
    // HTTP cannot ask for zero bytes: ask for one and return none (a missing object still fails).
    // A length running past any real object (MAX_SAFE_INTEGER: "to the end") is an open range.
    const last = range ? range.offset + Math.max(range.length, 1) - 1 : 0;
    const header = range ? `bytes=${range.offset}-${Number.isSafeInteger(last + 1) ? last : ''}` : undefined;
    let res;
    try {
      res = await client.call({ method: 'GET', path: objectPath(key), signal, ...(header ? { headers: { range: header } } : {}) });
    } catch (err) {
      // A range that starts at or past the end: BlobStore's answer is "no bytes".
      if (range && err instanceof DataPlaneError && err.status === 416) return new Uint8Array(0);
      throw err;
    }
    const data = await readExactly(res, contentLength(res));
    if (!range) return data;
    // 206 with the range (at most `length` bytes); a server that ignored Range sent all of it (200).
    const start = res.statusCode === 206 ? 0 : range.offset;
    return data.subarray(Math.min(start, data.length), Math.min(start + range.length, data.length));
  }

  async head(key: string, options?: OperationOptions): Promise<BlobInfo | undefined> {
    validateKey(key);
    const res = await this.#call('head', undefined, () => this.#client.headObject({ key }, this.#opts(options)));
    if (!res.info) return undefined;
    return { key: res.info.key, size: Number(res.info.size), ...(res.info.modifiedAtMs > 0n ? { modifiedAt: Number(res.info.modifiedAtMs) } : {}) };
  }

  async delete(key: string, options?: OperationOptions): Promise<void> {
    validateKey(key);
    await this.#call('delete', undefined, () => this.#client.deleteObject({ key }, this.#opts(options)));
  }

  /**
   * The node's answer to the standard gRPC health check: serving, within the timeout. This is
   * BlobStore's optional checkHealth: wrappers pass it through to the storage-node monitor.
   */
  async checkHealth(timeoutMs: number): Promise<boolean> {
    try {
      const r = await this.#health.check({ service: StorageService.typeName }, { timeoutMs });
      return r.status === HealthCheckResponse_ServingStatus.SERVING;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.#data?.close();
    this.#close();
  }

  async *list(prefix: string, options?: OperationOptions): AsyncIterable<BlobInfo> {
    try {
      for await (const page of this.#client.listObjects({ prefix }, options?.signal ? { signal: options.signal } : {})) {
        for (const o of page.objects) yield { key: o.key, size: Number(o.size), ...(o.modifiedAtMs > 0n ? { modifiedAt: Number(o.modifiedAtMs) } : {}) };
      }
    } catch (err) {
      throw fromConnectError(err, { backend: this.name, operation: 'list' });
    }
  }
}
