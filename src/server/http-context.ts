// What the HTTP API handlers share: the repository they serve and the limits.
import type { LocalRepository } from '../repository/repository.ts';
import type { SecretVault } from './s3/access-keys.ts';

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
  repo: LocalRepository;
  limits: HttpLimits;
  /** Whether requests need a token (the UI shows a login screen then). */
  authEnabled: boolean;
  /** The S3 API's endpoint (when served) and the vault new access keys are sealed in (opened on first use). */
  s3?: { endpoint?: string; region: string; vault(): Promise<SecretVault> };
}
