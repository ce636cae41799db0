// Stored file names, as every request carries them. They are arbitrary UTF-8 strings (spaces,
// unicode, newlines, '..', '/abs'): names, never paths. The only rules: valid UTF-8 (no lone
// surrogates: utf8.ts turns invalid request bytes into those), not empty, no NUL, at most
// MAX_NAME_BYTES. Checked where a request enters the repository API, so the CLI, HTTP and gRPC
// refuse the same names with the same message.
import { UsageError } from '../errors.ts';

export const MAX_NAME_BYTES = 4096;

export const NAME_NOT_UTF8 = 'file name must be valid UTF-8 (it holds an invalid byte sequence or a lone surrogate)';

export function validateName(name: string): string {
  if (name.length === 0) throw new UsageError('file name must not be empty');
  if (!name.isWellFormed()) throw new UsageError(NAME_NOT_UTF8);
  if (name.includes('\0')) throw new UsageError('file name must not contain NUL bytes');
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw new UsageError(`file name longer than ${MAX_NAME_BYTES} bytes`);
  return name;
}
