// What the BlobStore wrappers (faults, resilience, metrics) share, kept below all of them so that
// no wrapper imports another: the names of the five operations, and the errors the resilience
// layer raises (which metrics names as kinds and callers may test for). See docs/resilience.md.
import { BackendError } from '../core/errors.ts';

/** The BlobStore operations, as named in errors, fault settings and metric labels. */
export type Operation = 'put' | 'get' | 'head' | 'delete' | 'list';

export const OPERATIONS: readonly Operation[] = ['put', 'get', 'head', 'delete', 'list'];

/** The breaker is open: the backend failed repeatedly, calls fail fast until a probe succeeds. */
export class CircuitOpenError extends BackendError {
  constructor(backend: string, operation: string) {
    super(backend, operation, 'circuit breaker is open after repeated failures (failing fast until a probe succeeds)', true);
  }
}

/** One attempt took longer than the per-attempt timeout; it was aborted. */
export class BackendTimeoutError extends BackendError {
  readonly timeoutMs: number;
  constructor(backend: string, operation: string, timeoutMs: number) {
    super(backend, operation, `timed out after ${timeoutMs} ms`, true);
    this.timeoutMs = timeoutMs;
  }
}

/** The concurrency limit and its queue are full. */
export class BackendOverloadedError extends BackendError {
  constructor(backend: string, operation: string, limit: number, queue: number) {
    super(backend, operation, `too many concurrent requests (${limit} running, ${queue} queued)`, true);
  }
}
