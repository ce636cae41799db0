// What the HTTP API handlers share: the open repository, the limits, and a hook for writes.
import type { Repository } from '../repository/repository.ts';
import type { BackendState } from './backend-probe.ts';

export interface HttpLimits {
  /** Part size the server tells clients to use for resumable uploads. */
  partSize: number;
  maxPartBytes: number;
  /** Largest streamed upload (PUT /api/v1/files/{name}). */
  maxUploadBytes: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  partSize: 64 * 1024 * 1024,
  maxPartBytes: 256 * 1024 * 1024,
  maxUploadBytes: 1024 ** 4,
};

export interface ApiContext {
  repo: Repository;
  limits: HttpLimits;
  /** Whether requests need a token (the UI shows a login screen then). */
  authEnabled: boolean;
  /** Whether each backend answers right now (probed, cached for a few seconds). */
  backends(): Promise<Map<string, BackendState>>;
  /** Files changed: the size history takes a sample soon. */
  changed(): void;
}
