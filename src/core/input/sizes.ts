// Numbers a request carries: version numbers, byte counts, part numbers. Front ends turn their
// syntax into numbers (and gRPC's 0 into "unset"); these checks give every front end the same
// limits and messages.
import { UsageError } from '../errors.ts';

/** Parts of one resumable upload are numbered 1..MAX_PARTS (as S3's multipart uploads). */
export const MAX_PARTS = 100_000;

export function checkVersion(version: number): number {
  if (!Number.isSafeInteger(version) || version < 1) throw new UsageError(`version must be a positive integer, got ${version}`);
  return version;
}

/** A byte count (a declared or expected size). */
export function checkByteCount(what: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`${what} must be a whole number of bytes, got ${n}`);
  return n;
}

export function checkPartNumber(part: number): number {
  if (!Number.isSafeInteger(part) || part < 1 || part > MAX_PARTS) throw new UsageError(`part number must be 1 to ${MAX_PARTS}, got ${part}`);
  return part;
}
