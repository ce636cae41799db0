// Errors of the stateless helper services an orchestrator calls (chunkers, compressors): the
// service could not be reached, refused the call, or answered something that breaks the protocol.
// The message always names the service, so an operator knows which process to look at.
import { Code, ConnectError } from '@connectrpc/connect';
import { DcsError } from '../core/errors.ts';

export class RemoteServiceError extends DcsError {
  readonly role: 'chunker' | 'compressor';
  readonly url: string;
  constructor(role: 'chunker' | 'compressor', url: string, message: string, options?: { cause?: unknown }) {
    super('REMOTE_SERVICE', `${role} ${url}: ${message}`, options);
    this.role = role;
    this.url = url;
  }
}

/** A ConnectError as a RemoteServiceError; anything else is returned unchanged. */
export function remoteServiceError(role: 'chunker' | 'compressor', url: string, err: unknown): unknown {
  if (err instanceof RemoteServiceError || !(err instanceof ConnectError)) return err;
  return new RemoteServiceError(role, url, `${err.rawMessage} (${Code[err.code] ?? err.code})`, { cause: err });
}
