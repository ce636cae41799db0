// What the cloud BlobStores (s3-store.ts, azure-store.ts, gcs-store.ts) have in common, so each of
// them keeps only its SDK calls and its own error translation: the URL shape
// SCHEME://BUCKET[/PREFIX][?PARAMS] and its shared parameters, key prefixes, the socket errors
// worth a retry, and what absent objects, empty ranges, short bodies and aborts turn into.
import { BackendError, BlobNotFoundError, ConfigError } from '../core/errors.ts';
import type { BlobStore, OperationOptions } from './blob-store.ts';
import { validateKey } from './keys.ts';

/**
 * The prefix every object name of a store starts with: '' or 'a/b/' (surrounding slashes dropped),
 * validated like a key so that it cannot escape the bucket. `what` names it in the error.
 */
export function normalizePrefix(prefix: string | undefined, what = 'key prefix'): string {
  const p = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  if (p === '') return '';
  try {
    validateKey(p);
  } catch {
    throw new ConfigError(`invalid ${what} ${JSON.stringify(prefix)}`);
  }
  return `${p}/`;
}

/**
 * Split what follows `SCHEME:` in `SCHEME://BUCKET[/PREFIX][?PARAMS]`. The bucket (or container)
 * is returned as written, for the store to check against its service's naming rules; the prefix
 * without surrounding slashes, checked like a key. Malformed locations are ConfigErrors that show
 * `expected`.
 */
export function parseLocation(url: string, rest: string, expected: string, prefixWhat = 'key prefix'): { bucket: string; prefix: string; params: URLSearchParams } {
  const m = /^\/\/([^/?#]+)(\/[^?#]*)?(?:\?([^#]*))?$/.exec(rest);
  if (!m) throw new ConfigError(`invalid backend URL ${JSON.stringify(url)} (expected ${expected})`);
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix !== '') {
    try {
      validateKey(prefix);
    } catch {
      throw new ConfigError(`invalid ${prefixWhat} ${JSON.stringify(prefix)} in ${JSON.stringify(url)} (no empty, '.' or '..' segments)`);
    }
  }
  return { bucket: m[1]!, prefix, params: new URLSearchParams(m[3] ?? '') };
}

/** A URL parameter that is a number of bytes. */
export function byteCountParam(key: string, value: string, url: string): number {
  if (!/^\d+$/.test(value)) throw new ConfigError(`${key} must be a number of bytes in ${JSON.stringify(url)}`);
  return Number(value);
}

/** The `endpoint` URL parameter: an http(s) URL without credentials in it (they come from the environment). */
export function endpointParam(value: string, url: string, credentialsHint: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`invalid endpoint ${JSON.stringify(value)} in ${JSON.stringify(url)} (expected http(s)://HOST[:PORT])`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(`endpoint must be http(s):// in ${JSON.stringify(url)}`);
  if (parsed.username || parsed.password) throw new ConfigError(`remove credentials from the endpoint in ${JSON.stringify(url)}; ${credentialsHint}`);
  return value;
}

/** An unknown URL parameter: a clear error, and a pointed one when it looks like a secret. */
export function unknownParam(key: string, url: string, known: readonly string[], credentialsHint: string): ConfigError {
  if (/key|secret|token|password|sig/i.test(key)) {
    return new ConfigError(`credentials never go in dcs.yaml: remove '${key}' from ${JSON.stringify(url)} and ${credentialsHint}`);
  }
  return new ConfigError(`unknown URL parameter '${key}' in ${JSON.stringify(url)} (known: ${known.length > 0 ? known.join(', ') : 'none'})`);
}

/**
 * Socket-level failures every SDK surfaces (the request may not have arrived, or its answer was
 * lost): worth a retry. Each store adds the codes its own SDK invents.
 */
export const NETWORK_ERROR_CODES: readonly string[] = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED'];

/**
 * head and delete answer for an absent object instead of failing: run `request`, translate its
 * failure, and return `absent` when that says the object does not exist.
 */
export async function unlessAbsent<T>(request: () => Promise<T>, translate: (err: unknown) => Error, absent: T): Promise<T> {
  try {
    return await request();
  } catch (err) {
    const e = translate(err);
    if (e instanceof BlobNotFoundError) return absent;
    throw e;
  }
}

/** A zero-length range cannot be sent as an HTTP Range: it reads nothing, but an absent object is still an error. */
export async function readEmptyRange(store: BlobStore, key: string, options: OperationOptions): Promise<Uint8Array> {
  if (!(await store.head(key, options))) throw new BlobNotFoundError(key, store.name);
  return new Uint8Array(0);
}

/** A body shorter than the length the service announced: the connection broke on the way (retryable). */
export function checkBodyLength(backend: string, key: string, received: number, announced: number | undefined): void {
  if (announced !== undefined && received !== announced) {
    throw new BackendError(backend, 'get', `short read of ${key}: ${received} of ${announced} bytes`, true);
  }
}

/** SDK request options that carry the caller's signal. */
export function abortOption(options: OperationOptions): { abortSignal?: AbortSignal } {
  return options.signal ? { abortSignal: options.signal } : {};
}

/**
 * The caller (or the per-attempt timeout) aborted the request, whatever error the SDK made of it:
 * not a failure of the backend, and not worth a retry. Undefined when nothing was aborted.
 */
export function abortedError(backend: string, operation: string, options: OperationOptions | undefined, cause: unknown): BackendError | undefined {
  const signal = options?.signal;
  if (!signal?.aborted) return undefined;
  const reason: unknown = signal.reason;
  return new BackendError(backend, operation, `aborted: ${reason instanceof Error ? reason.message : String(reason ?? 'signal')}`, false, { cause });
}
