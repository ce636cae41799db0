// Azure Blob Storage BlobStore over @azure/storage-blob (block blobs). Credentials come from the
// environment only: AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT + AZURE_STORAGE_KEY
// (a StorageSharedKeyCredential against the account URL). DefaultAzureCredential (managed
// identity, az login, workload identity) would need @azure/identity, which is not a dependency.
// A single-shot Put Blob or a Put Block List commit makes an object visible atomically. As with
// S3, the SDK's own retries are off by default (retries are a wrapper, DESIGN.md) and errors say
// whether a retry may help.
import { createHash } from 'node:crypto';
import { BlobServiceClient, StorageSharedKeyCredential, type ContainerClient, type StoragePipelineOptions } from '@azure/storage-blob';
import { BackendError, BlobNotFoundError, ConfigError } from '../core/errors.ts';
import type { BlobInfo, BlobStore, BlobStoreCapabilities, GetOptions, OperationOptions } from './blob-store.ts';
import {
  abortedError,
  abortOption,
  byteCountParam,
  checkBodyLength,
  endpointParam,
  NETWORK_ERROR_CODES,
  normalizePrefix,
  parseLocation,
  readEmptyRange,
  unknownParam,
  unlessAbsent,
} from './cloud-store.ts';
import { validateKey } from './keys.ts';

const MiB = 1024 * 1024;

export type AzureCredentials = { connectionString: string } | { accountUrl: string; account: string; key: string };

export interface AzureStoreOptions {
  name: string;
  container: string;
  /** Name prefix inside the container ("team/dcs" → blobs under team/dcs/…). */
  prefix?: string;
  credentials: AzureCredentials;
  /** Objects of at least this many bytes are uploaded as staged blocks. Default 16 MiB (at most 256 MiB). */
  multipartThreshold?: number;
  /** Block size for staged uploads. Default 8 MiB. */
  blockSize?: number;
  /** Blocks uploaded at once per object. Default 4. */
  blockConcurrency?: number;
  /** SDK tries per request; 1 (default) leaves retrying to the retry wrapper. */
  maxTries?: number;
}

export class AzureBlobStore implements BlobStore {
  readonly name: string;
  readonly container: string;
  readonly prefix: string;
  readonly capabilities: BlobStoreCapabilities = { rangedReads: true, atomicPut: true, maxObjectSize: 50_000 * 4000 * MiB };
  readonly #client: ContainerClient;
  readonly #threshold: number;
  readonly #blockSize: number;
  readonly #blockConcurrency: number;

  constructor(options: AzureStoreOptions) {
    this.name = options.name;
    this.container = options.container;
    this.prefix = normalizePrefix(options.prefix, 'blob name prefix');
    this.#threshold = Math.min(Math.max(options.multipartThreshold ?? 16 * MiB, 1), 256 * MiB);
    this.#blockSize = options.blockSize ?? 8 * MiB;
    this.#blockConcurrency = options.blockConcurrency ?? 4;
    const pipeline: StoragePipelineOptions = { retryOptions: { maxTries: options.maxTries ?? 1 } };
    const c = options.credentials;
    let service: BlobServiceClient;
    try {
      service =
        'connectionString' in c
          ? BlobServiceClient.fromConnectionString(c.connectionString, pipeline)
          : new BlobServiceClient(c.accountUrl, new StorageSharedKeyCredential(c.account, c.key), pipeline);
    } catch (err) {
      throw new ConfigError(`backend ${options.name}: invalid Azure storage credentials: ${(err as Error).message}`, { cause: err });
    }
    this.#client = service.getContainerClient(options.container);
  }

  #blob(key: string): string {
    return this.prefix + validateKey(key);
  }

  #fail(err: unknown, operation: string, key?: string, options?: OperationOptions): Error {
    return abortedError(this.name, operation, options, err) ?? translateAzureError(err, this.name, operation, this.container, key);
  }

  /** Create the container when it does not exist yet (run by `dcs init`). */
  async init(): Promise<void> {
    try {
      await this.#client.createIfNotExists();
    } catch (err) {
      throw this.#fail(err, 'init');
    }
  }

  async put(key: string, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    const blob = this.#client.getBlockBlobClient(this.#blob(key));
    const abort = abortOption(options);
    try {
      if (data.length >= this.#threshold) {
        await blob.uploadData(data, { blockSize: this.#blockSize, concurrency: this.#blockConcurrency, maxSingleShotSize: 1, ...abort });
      } else {
        // Content-MD5 on the request: the service rejects a body damaged on the way.
        const transactionalContentMD5 = createHash('md5').update(data).digest();
        await blob.upload(data, data.length, { transactionalContentMD5, ...abort });
      }
    } catch (err) {
      throw this.#fail(err, 'put', key, options);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const blob = this.#client.getBlobClient(this.#blob(key));
    const range = options.range;
    if (range && range.length <= 0) return readEmptyRange(this, key, options);
    try {
      const res = await blob.download(range?.offset ?? 0, range?.length, abortOption(options));
      const chunks: Buffer[] = [];
      if (res.readableStreamBody) for await (const c of res.readableStreamBody) chunks.push(c as Buffer);
      const bytes = Buffer.concat(chunks);
      checkBodyLength(this.name, key, bytes.length, res.contentLength);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    } catch (err) {
      if (err instanceof BackendError) throw err;
      // A range that starts at or past the end (or any range of an empty blob): nothing to read.
      if (range && (err as { statusCode?: number }).statusCode === 416) return new Uint8Array(0);
      throw this.#fail(err, 'get', key, options);
    }
  }

  async head(key: string, options: OperationOptions = {}): Promise<BlobInfo | undefined> {
    const blob = this.#client.getBlobClient(this.#blob(key));
    return unlessAbsent(
      async () => {
        const p = await blob.getProperties(abortOption(options));
        return { key, size: p.contentLength ?? 0, ...(p.lastModified ? { modifiedAt: p.lastModified.getTime() } : {}) };
      },
      (err) => this.#fail(err, 'head', key, options),
      undefined,
    );
  }

  async delete(key: string, options: OperationOptions = {}): Promise<void> {
    const blob = this.#client.getBlobClient(this.#blob(key));
    await unlessAbsent(
      () => blob.deleteIfExists(abortOption(options)),
      (err) => this.#fail(err, 'delete', key, options),
      undefined,
    );
  }

  async *list(prefix: string, options: OperationOptions = {}): AsyncIterable<BlobInfo> {
    // Azure lists blob names in ascending lexicographic order, page by page.
    const pages = this.#client.listBlobsFlat({ prefix: this.prefix + prefix, ...abortOption(options) }).byPage({ maxPageSize: 5000 });
    const it = pages[Symbol.asyncIterator]();
    for (;;) {
      let page;
      try {
        page = await it.next();
      } catch (err) {
        throw this.#fail(err, 'list', undefined, options);
      }
      if (page.done) return;
      for (const item of page.value.segment.blobItems) {
        if (!item.name.startsWith(this.prefix)) continue;
        yield {
          key: item.name.slice(this.prefix.length),
          size: item.properties.contentLength ?? 0,
          ...(item.properties.lastModified ? { modifiedAt: item.properties.lastModified.getTime() } : {}),
        };
      }
    }
  }

  async close(): Promise<void> {
    // The SDK keeps no handles beyond Node's pooled sockets, which do not hold the process open.
  }
}

interface AzureErrorShape {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
  details?: { errorCode?: string };
}

const TRANSIENT_CODES = new Set([...NETWORK_ERROR_CODES, 'REQUEST_SEND_ERROR']);
const AUTH = new Set(['AuthenticationFailed', 'AuthorizationFailure', 'AuthorizationPermissionMismatch', 'InvalidAuthenticationInfo', 'NoAuthenticationInformation']);
const THROTTLING = new Set(['ServerBusy', 'OperationTimedOut', 'InternalError']);

/** The one place that turns Azure SDK errors into the storage error contract. */
export function translateAzureError(err: unknown, backend: string, operation: string, container: string, key?: string): Error {
  if (err instanceof BackendError || err instanceof BlobNotFoundError) return err;
  const e = (err ?? {}) as AzureErrorShape;
  const status = e.statusCode;
  const code = e.details?.errorCode ?? e.code ?? '';
  const detail = (e.message ?? String(err)).split('\n')[0]!;
  if (code === 'ContainerNotFound') return new BackendError(backend, operation, `container ${container} does not exist`, false, { cause: err });
  if (status === 404 || code === 'BlobNotFound') {
    if (key !== undefined) return new BlobNotFoundError(key, backend);
    return new BackendError(backend, operation, `container ${container} does not exist`, false, { cause: err });
  }
  if (AUTH.has(code) || status === 401 || status === 403) {
    return new BackendError(backend, operation, `access denied to container ${container} (check AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT/AZURE_STORAGE_KEY): ${detail}`, false, {
      cause: err,
    });
  }
  if (THROTTLING.has(code) || status === 429 || status === 503) return new BackendError(backend, operation, `throttled: ${detail}`, true, { cause: err });
  if (status !== undefined && status >= 500) return new BackendError(backend, operation, `server error ${status}: ${detail}`, true, { cause: err });
  if (status === 408 || TRANSIENT_CODES.has(code) || e.name === 'TimeoutError') return new BackendError(backend, operation, `${code || e.name}: ${detail}`, true, { cause: err });
  if (status === undefined && /socket hang up|ECONNRESET|ECONNREFUSED|ETIMEDOUT|timeout/i.test(detail)) return new BackendError(backend, operation, detail, true, { cause: err });
  return new BackendError(backend, operation, status === undefined ? detail : `HTTP ${status}: ${detail}`, false, { cause: err });
}

/** Credentials from the environment, or a ConfigError naming what to set. */
export function azureCredentialsFromEnv(env: NodeJS.ProcessEnv, endpoint: string | undefined, url: string): AzureCredentials {
  const connectionString = env.AZURE_STORAGE_CONNECTION_STRING;
  if (connectionString) return { connectionString };
  const account = env.AZURE_STORAGE_ACCOUNT;
  const key = env.AZURE_STORAGE_KEY;
  if (account && key) return { account, key, accountUrl: endpoint ?? `https://${account}.blob.core.windows.net` };
  throw new ConfigError(
    `backend ${JSON.stringify(url)}: no Azure credentials: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY (secrets never go in dcs.yaml)`,
  );
}

const CREDENTIALS_HINT = 'set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT/AZURE_STORAGE_KEY';

/**
 * `azure://CONTAINER[/PREFIX][?endpoint=URL&multipart_threshold=BYTES&block_size=BYTES]` (the
 * registry passes everything after `azure:`); `endpoint` is the account URL when it is not
 * https://ACCOUNT.blob.core.windows.net (Azurite, sovereign clouds).
 */
export function parseAzureUrl(name: string, rest: string, env: NodeJS.ProcessEnv = process.env): AzureStoreOptions {
  const url = `azure:${rest}`;
  const { bucket: container, prefix, params } = parseLocation(url, rest, 'azure://CONTAINER[/PREFIX]', 'blob name prefix');
  if (!/^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$/.test(container)) {
    throw new ConfigError(`invalid Azure container name ${JSON.stringify(container)} in ${JSON.stringify(url)} (3-63 lowercase letters, digits, single hyphens)`);
  }
  let endpoint: string | undefined;
  const extra: Partial<AzureStoreOptions> = {};
  for (const [key, value] of params) {
    switch (key) {
      case 'endpoint':
        endpoint = endpointParam(value, url, CREDENTIALS_HINT);
        break;
      case 'multipart_threshold':
        extra.multipartThreshold = byteCountParam(key, value, url);
        break;
      case 'block_size':
        extra.blockSize = byteCountParam(key, value, url);
        break;
      default:
        throw unknownParam(key, url, ['endpoint', 'multipart_threshold', 'block_size'], CREDENTIALS_HINT);
    }
  }
  return { name, container, ...(prefix ? { prefix } : {}), ...extra, credentials: azureCredentialsFromEnv(env, endpoint, url) };
}

export async function openAzureBlobStore(name: string, rest: string): Promise<AzureBlobStore> {
  return new AzureBlobStore(parseAzureUrl(name, rest));
}
