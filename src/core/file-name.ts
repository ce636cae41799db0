// Stored file names are arbitrary UTF-8 strings (spaces, unicode, newlines, '..', '/abs'): they are
// names, never paths. The only rules: not empty, no NUL, at most MAX_NAME_BYTES. Every entry point
// (CLI, gRPC, HTTP) applies the same check.
import { UsageError } from './errors.ts';

export const MAX_NAME_BYTES = 4096;

export function validateName(name: string): string {
  if (name.length === 0) throw new UsageError('file name must not be empty');
  if (name.includes('\0')) throw new UsageError('file name must not contain NUL bytes');
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) throw new UsageError(`file name longer than ${MAX_NAME_BYTES} bytes`);
  return name;
}
