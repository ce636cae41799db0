// dcs errors cross the wire as Connect/gRPC status codes plus the dcs error code in the
// `dcs-error` metadata entry, so a remote caller gets the same typed error (and the same one-line
// message and exit code) as an embedded one.
import { Code, ConnectError } from '@connectrpc/connect';
import { BackendError, BlobNotFoundError, DcsError, FileNotFoundError, UsageError } from '../core/errors.ts';

const CODE_FOR: Record<string, Code> = {
  USAGE: Code.InvalidArgument,
  CONFIG: Code.FailedPrecondition,
  FILE_NOT_FOUND: Code.NotFound,
  BLOB_NOT_FOUND: Code.NotFound,
  UNKNOWN_CODEC: Code.InvalidArgument,
  // INVALID_ARGUMENT as it always was on the wire; dcs-error tells it apart (HTTP's 416).
  RANGE_NOT_SATISFIABLE: Code.InvalidArgument,
  CHUNK_CORRUPT: Code.DataLoss,
  CHUNK_UNAVAILABLE: Code.Unavailable,
  BACKEND_ERROR: Code.Unavailable,
  INSUFFICIENT_BACKENDS: Code.Unavailable,
  SHUTTING_DOWN: Code.Unavailable,
  WRONG_PASSPHRASE: Code.PermissionDenied,
  PASSPHRASE_REQUIRED: Code.FailedPrecondition,
};

/** Server side: any thrown error → ConnectError. Unknown errors are not echoed in detail. */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof DcsError) {
    const e = new ConnectError(err.message, CODE_FOR[err.code] ?? Code.Unknown);
    e.metadata.set('dcs-error', err.code);
    return e;
  }
  return new ConnectError(`internal error: ${err instanceof Error ? err.message : String(err)}`, Code.Internal);
}

/** Run a handler body, translating its errors. */
export async function handled<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toConnectError(err);
  }
}

/** Client side: a ConnectError from a remote dcs service → the matching dcs error. */
export function fromConnectError(err: unknown, context: { backend?: string; operation?: string; key?: string; fileName?: string }): unknown {
  if (!(err instanceof ConnectError)) return err;
  const dcsCode = err.metadata.get('dcs-error');
  if (dcsCode === 'BLOB_NOT_FOUND' || (err.code === Code.NotFound && context.key !== undefined)) {
    return new BlobNotFoundError(context.key ?? '', context.backend ?? 'remote');
  }
  if (dcsCode === 'FILE_NOT_FOUND' && context.fileName !== undefined) return new FileNotFoundError(context.fileName);
  // The caller's mistake, with the code the server gave it (USAGE, UNKNOWN_CODEC, RANGE_NOT_SATISFIABLE).
  if (err.code === Code.InvalidArgument) return new UsageError(err.rawMessage, dcsCode ?? 'USAGE');
  if (context.backend !== undefined) {
    const transient = [Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted, Code.Internal, Code.Unknown].includes(err.code);
    return new BackendError(context.backend, context.operation ?? 'call', err.rawMessage, transient, { cause: err });
  }
  return new RemoteError(dcsCode ?? Code[err.code] ?? 'UNKNOWN', err.rawMessage);
}

/** An error reported by a remote orchestrator, carried with its original dcs code and message. */
export class RemoteError extends DcsError {}
