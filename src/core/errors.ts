// Typed errors shared by every layer. The CLI prints `message` as one line for any DcsError
// (a user-facing problem) and a stack trace for anything else (a bug).

export class DcsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * Bad command-line or API input: unknown codec, bad level, bad range, missing argument. Every front
 * end reports it as the caller's mistake (exit 2, HTTP 4xx, gRPC INVALID_ARGUMENT with the code);
 * subclasses carry a more specific code.
 */
export class UsageError extends DcsError {
  constructor(message: string, code = 'USAGE') {
    super(code, message);
  }
}

export class ConfigError extends DcsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIG', message, options);
  }
}

export class RepositoryNotFoundError extends DcsError {
  readonly path: string;
  constructor(path: string) {
    super('REPO_NOT_FOUND', `no dcs repository at ${path} (run 'dcs init' first, or pass --repo / set DCS_REPO)`);
    this.path = path;
  }
}

export class RepositoryExistsError extends DcsError {
  readonly path: string;
  constructor(path: string) {
    super('REPO_EXISTS', `a dcs repository already exists at ${path}`);
    this.path = path;
  }
}

export class WrongPassphraseError extends DcsError {
  constructor() {
    super('WRONG_PASSPHRASE', 'wrong passphrase: the repository key could not be unlocked');
  }
}

export class PassphraseRequiredError extends DcsError {
  constructor() {
    super('PASSPHRASE_REQUIRED', 'this repository is encrypted: set DCS_PASSPHRASE or run in a terminal to be asked');
  }
}

export class UnknownCodecError extends UsageError {
  readonly codec: string | number;
  /** `known`: the names a caller may choose from (the codec registry's, plus auto). */
  constructor(codec: string | number, known: readonly string[]) {
    super(`unknown codec ${JSON.stringify(codec)} (known: ${known.join(', ')})`, 'UNKNOWN_CODEC');
    this.codec = codec;
  }
}

/** A byte range that starts at or beyond the end of the file (HTTP 416). */
export class RangeNotSatisfiableError extends UsageError {
  /** Size of the file the range was asked of. */
  readonly size: number;
  constructor(message: string, size: number) {
    super(message, 'RANGE_NOT_SATISFIABLE');
    this.size = size;
  }
}

export class FileNotFoundError extends DcsError {
  readonly fileName: string;
  readonly version: number | undefined;
  constructor(fileName: string, version?: number) {
    super(
      'FILE_NOT_FOUND',
      version === undefined
        ? `no such file in repository: ${JSON.stringify(fileName)}`
        : `no version ${version} of ${JSON.stringify(fileName)}`,
    );
    this.fileName = fileName;
    this.version = version;
  }
}

/** A stored object failed a check: bad magic/header, checksum, authentication, or chunk id. */
export class ChunkCorruptError extends DcsError {
  readonly chunkId: string;
  readonly reason: string;
  readonly backend: string | undefined;
  constructor(chunkId: string, reason: string, backend?: string) {
    super('CHUNK_CORRUPT', `chunk ${chunkId.slice(0, 16)}… is corrupt${backend ? ` on backend ${backend}` : ''}: ${reason}`);
    this.chunkId = chunkId;
    this.reason = reason;
    this.backend = backend;
  }
}

/** No copy of a chunk could be read and verified. */
export class ChunkUnavailableError extends DcsError {
  readonly chunkId: string;
  readonly fileName: string | undefined;
  readonly failures: readonly { backend: string; reason: string }[];
  constructor(chunkId: string, fileName: string | undefined, failures: readonly { backend: string; reason: string }[]) {
    const where = failures.length > 0 ? failures.map((f) => `${f.backend}: ${f.reason}`).join('; ') : 'no copies recorded';
    super(
      'CHUNK_UNAVAILABLE',
      `${fileName === undefined ? '' : `cannot read ${JSON.stringify(fileName)}: `}chunk ${chunkId.slice(0, 16)}… has no healthy copy (${where})`,
    );
    this.chunkId = chunkId;
    this.fileName = fileName;
    this.failures = failures;
  }
}

/** A storage object does not exist. Never retried. */
export class BlobNotFoundError extends DcsError {
  readonly key: string;
  readonly backend: string;
  constructor(key: string, backend: string) {
    super('BLOB_NOT_FOUND', `object ${key} not found on backend ${backend}`);
    this.key = key;
    this.backend = backend;
  }
}

/** A backend operation failed. `retryable` marks transient failures (timeouts, resets, 5xx, throttling). */
export class BackendError extends DcsError {
  readonly backend: string;
  readonly operation: string;
  readonly retryable: boolean;
  constructor(backend: string, operation: string, message: string, retryable: boolean, options?: { cause?: unknown }) {
    super('BACKEND_ERROR', `backend ${backend}: ${operation} failed: ${message}`, options);
    this.backend = backend;
    this.operation = operation;
    this.retryable = retryable;
  }
}

/** Not enough backends accepted a write to satisfy the redundancy policy. */
export class InsufficientBackendsError extends DcsError {
  constructor(message: string) {
    super('INSUFFICIENT_BACKENDS', message);
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The operating system's code of a failed call (`ENOENT`, `EACCES`…), if `err` carries one. */
export function errnoCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}
