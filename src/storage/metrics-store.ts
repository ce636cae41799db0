// Metrics around one backend, as a BlobStore wrapper: operations, errors by kind, latency and bytes,
// exported to Prometheus (prom-client, labels backend and op) and kept as a plain snapshot
// (`stats()`) for `dcs stats` and `dcs verify` output. The repository places it outermost, around
// the resilience wrapper (STYLE.md's order), so it sees what the engine sees: one operation per
// call, retries included in its latency, and calls refused by an open breaker or timed out
// counted under their own error kinds.
import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { BackendError, BlobNotFoundError, UsageError } from '../core/errors.ts';
import { passThrough, type BlobInfo, type BlobStore, type GetOptions, type OperationOptions } from './blob-store.ts';
import { BackendTimeoutError, CircuitOpenError, OPERATIONS, type Operation } from './operations.ts';

export type ErrorKind = 'not_found' | 'transient' | 'timeout' | 'circuit_open' | 'permanent' | 'invalid' | 'aborted' | 'other';

export interface OperationStats {
  count: number;
  errors: number;
  /** Bytes sent to the backend (put). */
  bytesWritten: number;
  /** Bytes received from the backend (get). */
  bytesRead: number;
  totalMs: number;
  maxMs: number;
}

export interface BackendStats {
  backend: string;
  operations: Record<Operation, OperationStats>;
  errors: Partial<Record<ErrorKind, number>>;
}

export interface MeteredStore extends BlobStore {
  /** A copy of the counters so far. */
  stats(): BackendStats;
}

export function errorKind(err: unknown): ErrorKind {
  if (err instanceof BlobNotFoundError) return 'not_found';
  if (err instanceof CircuitOpenError) return 'circuit_open';
  if (err instanceof BackendTimeoutError) return 'timeout';
  if (err instanceof BackendError) return err.retryable ? 'transient' : 'permanent';
  if (err instanceof UsageError) return 'invalid';
  if (err instanceof Error && err.name === 'AbortError') return 'aborted';
  return 'other';
}

interface Instruments {
  ops: Counter<'backend' | 'op'>;
  errors: Counter<'backend' | 'op' | 'kind'>;
  seconds: Histogram<'backend' | 'op'>;
  written: Counter<'backend' | 'op'>;
  read: Counter<'backend' | 'op'>;
}

// Several backends share one registry: create each metric once, then reuse it.
function instruments(registry: Registry): Instruments {
  const counter = <L extends string>(name: string, help: string, labelNames: L[]): Counter<L> =>
    (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
  const seconds =
    (registry.getSingleMetric('dcs_backend_operation_duration_seconds') as Histogram<'backend' | 'op'> | undefined) ??
    new Histogram({
      name: 'dcs_backend_operation_duration_seconds',
      help: 'Backend operation latency (retries included), by backend and operation',
      labelNames: ['backend', 'op'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
  return {
    ops: counter('dcs_backend_operations_total', 'Backend operations, by backend and operation', ['backend', 'op']),
    errors: counter('dcs_backend_errors_total', 'Failed backend operations, by backend, operation and error kind', ['backend', 'op', 'kind']),
    seconds,
    written: counter('dcs_backend_written_bytes_total', 'Bytes sent to backends, by backend and operation', ['backend', 'op']),
    read: counter('dcs_backend_read_bytes_total', 'Bytes received from backends, by backend and operation', ['backend', 'op']),
  };
}

/** Count every operation of `inner`; export to `registry` when given. */
export function withMetrics(inner: BlobStore, registry?: Registry): MeteredStore {
  const backend = inner.name;
  const metrics = registry ? instruments(registry) : undefined;
  const ops = Object.fromEntries(
    OPERATIONS.map((op) => [op, { count: 0, errors: 0, bytesWritten: 0, bytesRead: 0, totalMs: 0, maxMs: 0 }]),
  ) as Record<Operation, OperationStats>;
  const errors: Partial<Record<ErrorKind, number>> = {};

  const begin = (op: Operation): ((outcome: { error?: unknown; written?: number; read?: number }) => void) => {
    const start = performance.now();
    return ({ error, written = 0, read = 0 }) => {
      const ms = performance.now() - start;
      const s = ops[op];
      s.count++;
      s.totalMs += ms;
      s.maxMs = Math.max(s.maxMs, ms);
      s.bytesWritten += written;
      s.bytesRead += read;
      const labels = { backend, op };
      metrics?.ops.inc(labels);
      metrics?.seconds.observe(labels, ms / 1000);
      if (written) metrics?.written.inc(labels, written);
      if (read) metrics?.read.inc(labels, read);
      if (error !== undefined) {
        const kind = errorKind(error);
        s.errors++;
        errors[kind] = (errors[kind] ?? 0) + 1;
        metrics?.errors.inc({ backend, op, kind });
      }
    };
  };

  const measure = async <T>(op: Operation, fn: () => Promise<T>, written?: number, readOf?: (value: T) => number): Promise<T> => {
    const done = begin(op);
    try {
      const value = await fn();
      done({ written, read: readOf?.(value) ?? 0 });
      return value;
    } catch (error) {
      done({ error });
      throw error;
    }
  };

  return {
    // Breaker availability, read latency, init, health checks and close belong to the stores
    // inside: passed through, not counted.
    ...passThrough(inner),
    name: backend,
    capabilities: inner.capabilities,
    stats() {
      return {
        backend,
        operations: Object.fromEntries(OPERATIONS.map((op) => [op, { ...ops[op] }])) as Record<Operation, OperationStats>,
        errors: { ...errors },
      };
    },
    put: (key: string, data: Uint8Array, options?: OperationOptions) => measure('put', () => inner.put(key, data, options), data.length),
    get: (key: string, options?: GetOptions) => measure('get', () => inner.get(key, options), 0, (d) => d.length),
    head: (key: string, options?: OperationOptions) => measure('head', () => inner.head(key, options)),
    delete: (key: string, options?: OperationOptions) => measure('delete', () => inner.delete(key, options)),
    // One listing is one operation; its latency covers the whole iteration.
    async *list(prefix: string, options?: OperationOptions): AsyncIterable<BlobInfo> {
      const done = begin('list');
      let error: unknown;
      try {
        yield* inner.list(prefix, options);
      } catch (err) {
        error = err;
        throw err;
      } finally {
        done(error === undefined ? {} : { error });
      }
    },
  };
}
