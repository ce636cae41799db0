// What a failed upload tells the user: why, in words, and whether trying again can help. The
// network, 408, 429 and the server's 5xx are worth another try (uploads.ts retries the network,
// 502, 503, 504, 408 and 429 by itself; the others get a Retry button). A request the server
// refuses as such — a bad name or codec (400), too large (413), … — fails the same way every
// time: no Retry, and the reason says what to change.
import { ApiError, errorMessage } from './api.ts';

export interface UploadFailure {
  message: string;
  /** Whether Retry (the same upload again) can succeed. */
  retryable: boolean;
  /** Retry starts the upload over rather than resuming it (the server forgot the upload). */
  startsOver?: boolean;
}

/** Answers that will not change on retry. 409 is not one: an unfinished multipart upload or gc can clear it. */
const PERMANENT = new Set([400, 403, 405, 411, 413, 414, 415, 422, 431]);

/** The server's own message, unless the answer did not come from dcs (a proxy's HTML page). */
function serverSaid(err: ApiError): string | undefined {
  return err.code.startsWith('HTTP_') ? undefined : err.message.replace(/\.$/, '');
}

export function describeUploadFailure(err: unknown, mode: 'single' | 'multipart'): UploadFailure {
  if (!(err instanceof ApiError)) return { message: errorMessage(err), retryable: true };
  const said = serverSaid(err);
  if (PERMANENT.has(err.status)) {
    if (err.status === 413) {
      return {
        message: `Not stored: the file is too large for the server${said ? ` (${said})` : ', or for a proxy in front of it'}. Trying again will not help; ask whoever runs the server to raise the limit.`,
        retryable: false,
      };
    }
    if (err.status === 414 || err.status === 431) {
      return { message: 'Not stored: the file name (with its folder) is too long for the server. Upload it under a shorter name or folder.', retryable: false };
    }
    if (err.status === 403) return { message: `Not stored: the server does not allow this upload${said ? ` (${said})` : ''}.`, retryable: false };
    return {
      message: `Not stored: the server refused the upload${said ? ` — ${said}` : ` (HTTP ${err.status})`}. Trying again will not help; change the name, folder or compression and upload it again.`,
      retryable: false,
    };
  }
  if (err.status === 404 && mode === 'multipart') {
    return { message: `The server no longer has this upload (${errorMessage(err)}): Retry starts it over.`, retryable: true, startsOver: true };
  }
  if (err.status >= 500) return { message: `The server could not store it this time (${errorMessage(err)}). Try again in a moment.`, retryable: true };
  return { message: errorMessage(err), retryable: true };
}
