// A BlobStore that is a storage node: every operation is one RPC to its StorageService. The
// placement layer treats each node as one backend, so replicas land on distinct nodes.
import { createClient, type Client } from '@connectrpc/connect';
import type { BlobInfo, BlobStore, BlobStoreCapabilities, GetOptions, OperationOptions } from '../storage/blob-store.ts';
import { validateKey } from '../storage/keys.ts';
import { StorageService } from './gen/dcs/v1/storage_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from './gen/grpc/health/v1/health_pb.js';
import { RPC_READ_MAX_BYTES } from './limits.ts';
import { fromConnectError } from './rpc-errors.ts';
import { createTransport, type ClientOptions } from './transport.ts';

export class RemoteBlobStore implements BlobStore {
  readonly name: string;
  readonly capabilities: BlobStoreCapabilities = { rangedReads: true, atomicPut: true, maxObjectSize: RPC_READ_MAX_BYTES - 1024 };
  readonly url: string;
  readonly #client: Client<typeof StorageService>;
  readonly #health: Client<typeof Health>;
  readonly #timeoutMs: number;
  readonly #close: () => void;

  constructor(name: string, url: string, options: ClientOptions = {}) {
    this.name = name;
    this.url = url;
    const { transport, close } = createTransport(url, options);
    this.#client = createClient(StorageService, transport);
    this.#health = createClient(Health, transport);
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

  async put(key: string, data: Uint8Array, options?: OperationOptions): Promise<void> {
    validateKey(key);
    await this.#call('put', undefined, () => this.#client.putObject({ key, data }, this.#opts(options)));
  }

  async get(key: string, options?: GetOptions): Promise<Uint8Array> {
    validateKey(key);
    const range = options?.range ? { offset: BigInt(options.range.offset), length: BigInt(options.range.length) } : {};
    const res = await this.#call('get', key, () => this.#client.getObject({ key, ...range }, this.#opts(options)));
    // protobuf hands back a Buffer view; callers get a plain Uint8Array like from every other store.
    return new Uint8Array(res.data.buffer, res.data.byteOffset, res.data.byteLength);
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
