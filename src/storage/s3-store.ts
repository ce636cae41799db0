// S3 (and S3-compatible) BlobStore over the official AWS SDK v3. Credentials come only from the
// SDK's default provider chain (environment, shared config/SSO, container and instance roles) —
// never from dcs.yaml. Objects above a threshold go up as multipart uploads (lib-storage Upload);
// S3 makes a PUT (or a completed multipart upload) visible atomically, so readers never see a
// partial object. Retries and timeouts are wrappers composed at construction (DESIGN.md), so the
// SDK's own retry loop is off by default (maxAttempts 1) and errors say whether a retry may help.
import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
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
/** S3's smallest part (all but the last). */
export const S3_MIN_PART_SIZE = 5 * MiB;

export interface S3StoreOptions {
  name: string;
  bucket: string;
  /** Key prefix inside the bucket ("team/dcs" → objects under team/dcs/…). */
  prefix?: string;
  region?: string;
  /** Endpoint of an S3-compatible store (MinIO, Ceph, s3rver, …). */
  endpoint?: string;
  /** Path-style addressing (http://host/bucket/key), which most S3-compatible stores need. */
  forcePathStyle?: boolean;
  /** Objects of at least this many bytes are uploaded in parts. Default 16 MiB. */
  multipartThreshold?: number;
  /** Part size for multipart uploads, at least 5 MiB. Default 8 MiB. */
  partSize?: number;
  /** Parts uploaded at once per object. Default 4. */
  partConcurrency?: number;
  /** SDK attempts per request; 1 (default) leaves retrying to the retry wrapper. */
  maxAttempts?: number;
}

export class S3BlobStore implements BlobStore {
  readonly name: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly capabilities: BlobStoreCapabilities = { rangedReads: true, atomicPut: true, maxObjectSize: 5 * 1024 * MiB * 1024 };
  readonly #client: S3Client;
  readonly #threshold: number;
  readonly #partSize: number;
  readonly #partConcurrency: number;

  constructor(options: S3StoreOptions) {
    this.name = options.name;
    this.bucket = options.bucket;
    this.prefix = normalizePrefix(options.prefix);
    this.#partSize = options.partSize ?? 8 * MiB;
    if (this.#partSize < S3_MIN_PART_SIZE) throw new ConfigError(`S3 part size must be at least 5 MiB (got ${this.#partSize})`);
    this.#threshold = Math.max(options.multipartThreshold ?? 16 * MiB, 1);
    this.#partConcurrency = options.partConcurrency ?? 4;
    const config: S3ClientConfig = {
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? false,
      followRegionRedirects: true,
      maxAttempts: options.maxAttempts ?? 1,
      // Since SDK 3.729 the client adds a CRC32 checksum to every upload by default, sending
      // streamed bodies with `Content-Encoding: aws-chunked` and the checksum as a trailer.
      // S3-compatible servers that do not speak aws-chunked (s3rver, older MinIO/Ceph) store that
      // framing as the object's bytes, i.e. corrupt objects. WHEN_REQUIRED sends checksums only
      // for operations that require them; integrity of our objects is covered by Content-MD5 on
      // single PUTs and by the envelope checksum every chunk carries.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    if (options.endpoint !== undefined) config.endpoint = options.endpoint;
    this.#client = new S3Client(config);
  }

  #key(key: string): string {
    return this.prefix + validateKey(key);
  }

  #fail(err: unknown, operation: string, key?: string, options?: OperationOptions): Error {
    return abortedError(this.name, operation, options, err) ?? translateS3Error(err, this.name, operation, this.bucket, key);
  }

  /**
   * Resolve credentials through the SDK's default chain now, so that missing credentials are a
   * configuration error at open rather than a failure of the first upload.
   */
  async resolveCredentials(): Promise<void> {
    try {
      await this.#client.config.credentials();
    } catch (err) {
      throw new ConfigError(
        `backend ${this.name}: no AWS credentials found (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a shared config, or run with an instance/container role): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  /** Check that the bucket exists and the credentials reach it (run by `dcs init`). */
  async init(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      throw this.#fail(err, 'init');
    }
  }

  async put(key: string, data: Uint8Array, options: OperationOptions = {}): Promise<void> {
    const Key = this.#key(key);
    try {
      if (data.length >= this.#threshold) {
        const upload = new Upload({
          client: this.#client,
          params: { Bucket: this.bucket, Key, Body: data },
          partSize: this.#partSize,
          queueSize: this.#partConcurrency,
          leavePartsOnError: false,
        });
        const onAbort = (): void => void upload.abort().catch(() => {});
        options.signal?.addEventListener('abort', onAbort, { once: true });
        try {
          await upload.done();
        } finally {
          options.signal?.removeEventListener('abort', onAbort);
        }
      } else {
        const ContentMD5 = createHash('md5').update(data).digest('base64');
        await this.#client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: data, ContentLength: data.length, ContentMD5 }), abortOption(options));
      }
    } catch (err) {
      throw this.#fail(err, 'put', key, options);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const Key = this.#key(key);
    const range = options.range;
    if (range && range.length <= 0) return readEmptyRange(this, key, options);
    try {
      const res = await this.#client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key, ...(range ? { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {}) }),
        abortOption(options),
      );
      const bytes = res.Body ? await res.Body.transformToByteArray() : new Uint8Array(0);
      checkBodyLength(this.name, key, bytes.length, res.ContentLength);
      return bytes;
    } catch (err) {
      if (err instanceof BackendError) throw err;
      // A range that starts at or past the end (or any range of an empty object): nothing to read.
      if (range && statusOf(err) === 416) return new Uint8Array(0);
      throw this.#fail(err, 'get', key, options);
    }
  }

  async head(key: string, options: OperationOptions = {}): Promise<BlobInfo | undefined> {
    const Key = this.#key(key);
    return unlessAbsent(
      async () => {
        const res = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }), abortOption(options));
        return { key, size: res.ContentLength ?? 0, ...(res.LastModified ? { modifiedAt: res.LastModified.getTime() } : {}) };
      },
      (err) => this.#fail(err, 'head', key, options),
      undefined,
    );
  }

  async delete(key: string, options: OperationOptions = {}): Promise<void> {
    const Key = this.#key(key);
    // S3 answers 204 for absent keys too.
    await unlessAbsent(
      () => this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }), abortOption(options)),
      (err) => this.#fail(err, 'delete', key, options),
      undefined,
    );
  }

  async *list(prefix: string, options: OperationOptions = {}): AsyncIterable<BlobInfo> {
    let token: string | undefined;
    do {
      let res;
      try {
        res = await this.#client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ...(token ? { ContinuationToken: token } : {}) }),
          abortOption(options),
        );
      } catch (err) {
        throw this.#fail(err, 'list', undefined, options);
      }
      // S3 returns keys in ascending UTF-8 binary order, which is the order the contract asks for.
      for (const obj of res.Contents ?? []) {
        if (obj.Key === undefined || !obj.Key.startsWith(this.prefix)) continue;
        yield { key: obj.Key.slice(this.prefix.length), size: obj.Size ?? 0, ...(obj.LastModified ? { modifiedAt: obj.LastModified.getTime() } : {}) };
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }

  async close(): Promise<void> {
    this.#client.destroy();
  }
}

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  $response?: { statusCode?: number };
}

function statusOf(err: unknown): number | undefined {
  const e = err as SdkErrorShape | undefined;
  return e?.$metadata?.httpStatusCode ?? e?.$response?.statusCode;
}

/** Network-level failures worth retrying (the request may not have reached S3, or the answer was lost). */
const TRANSIENT_CODES = new Set([...NETWORK_ERROR_CODES, 'UND_ERR_SOCKET']);
const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'RequestThrottled', 'ServiceUnavailable']);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalError']);
const AUTH = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'AccountProblem']);

/** The one place that turns SDK errors into the storage error contract. */
export function translateS3Error(err: unknown, backend: string, operation: string, bucket: string, key?: string): Error {
  if (err instanceof BackendError || err instanceof BlobNotFoundError) return err;
  const e = (err ?? {}) as SdkErrorShape;
  const status = statusOf(err);
  const name = e.name ?? '';
  const code = e.code ?? '';
  const detail = e.message && e.message !== name && e.message !== 'UnknownError' ? e.message : name || `HTTP ${status ?? '?'}`;
  if (name === 'NoSuchBucket') return new BackendError(backend, operation, `bucket ${bucket} does not exist`, false, { cause: err });
  if (name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && operation !== 'init' && operation !== 'list')) {
    if (key !== undefined) return new BlobNotFoundError(key, backend);
  }
  if (status === 404 && operation === 'init') return new BackendError(backend, operation, `bucket ${bucket} does not exist`, false, { cause: err });
  if (name === 'CredentialsProviderError') {
    return new BackendError(backend, operation, `no AWS credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or run with an instance role): ${detail}`, false, { cause: err });
  }
  if (AUTH.has(name) || status === 401 || status === 403) {
    return new BackendError(backend, operation, `access denied to bucket ${bucket} (check the AWS credentials and their permissions): ${detail}`, false, { cause: err });
  }
  if (THROTTLING.has(name) || status === 429 || status === 503) return new BackendError(backend, operation, `throttled: ${detail}`, true, { cause: err });
  if (status !== undefined && status >= 500) return new BackendError(backend, operation, `server error ${status}: ${detail}`, true, { cause: err });
  if (TRANSIENT_NAMES.has(name) || TRANSIENT_CODES.has(code) || TRANSIENT_CODES.has(name)) {
    return new BackendError(backend, operation, `${code || name}: ${detail}`, true, { cause: err });
  }
  // Errors without an HTTP status are network-level (the SDK wraps few of them): reset
  // connections and the like, which are transient unless they are configuration problems.
  if (status === undefined && /socket hang up|ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|network|timeout/i.test(`${code} ${detail}`)) {
    return new BackendError(backend, operation, detail, true, { cause: err });
  }
  return new BackendError(backend, operation, status === undefined ? detail : `HTTP ${status}: ${detail}`, false, { cause: err });
}

const CREDENTIALS_HINT = 'use AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the AWS shared config';

/**
 * `s3://BUCKET[/PREFIX][?region=R&endpoint=URL&path_style=true&multipart_threshold=BYTES&part_size=BYTES]`
 * (the registry passes everything after `s3:`). Malformed URLs are ConfigErrors.
 */
export function parseS3Url(name: string, rest: string): S3StoreOptions {
  const url = `s3:${rest}`;
  const { bucket, prefix, params } = parseLocation(url, rest, 's3://BUCKET[/PREFIX][?region=…&endpoint=…&path_style=true]');
  if (!/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`invalid S3 bucket name ${JSON.stringify(bucket)} in ${JSON.stringify(url)} (3-63 lowercase letters, digits, dots, hyphens)`);
  }
  const options: S3StoreOptions = { name, bucket };
  if (prefix !== '') options.prefix = prefix;
  for (const [key, value] of params) {
    switch (key) {
      case 'region':
        if (!/^[a-z0-9-]+$/.test(value)) throw new ConfigError(`invalid region ${JSON.stringify(value)} in ${JSON.stringify(url)}`);
        options.region = value;
        break;
      case 'endpoint':
        options.endpoint = endpointParam(value, url, CREDENTIALS_HINT);
        break;
      case 'path_style':
        if (value !== 'true' && value !== 'false') throw new ConfigError(`path_style must be true or false in ${JSON.stringify(url)}`);
        options.forcePathStyle = value === 'true';
        break;
      case 'multipart_threshold':
        options.multipartThreshold = byteCountParam(key, value, url);
        break;
      case 'part_size':
        options.partSize = byteCountParam(key, value, url);
        if (options.partSize < S3_MIN_PART_SIZE) throw new ConfigError(`part_size must be at least 5 MiB (5242880) in ${JSON.stringify(url)}`);
        break;
      default:
        throw unknownParam(key, url, ['region', 'endpoint', 'path_style', 'multipart_threshold', 'part_size'], CREDENTIALS_HINT);
    }
  }
  return options;
}

/** Registry entry: parse the URL and resolve credentials from the SDK's default chain. */
export async function openS3BlobStore(name: string, rest: string): Promise<S3BlobStore> {
  const store = new S3BlobStore(parseS3Url(name, rest));
  try {
    await store.resolveCredentials();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
