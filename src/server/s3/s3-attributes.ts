// What the S3 API keeps with a version (VersionRecord.attributes, one JSON text): the ETag, the
// headers S3 stores and returns, user metadata, and the checksum the client sent. Versions stored
// another way (dcs put, the HTTP API) have none: they get an ETag of the form S3 uses for
// multipart objects ("…-1"), which clients know is not an MD5 of the bytes.
import { createHash } from 'node:crypto';
import type { ChecksumAlgorithm } from './digests.ts';

/** Headers S3 stores with an object and returns on GET and HEAD (lower-case names). */
export const STORED_HEADERS = ['content-type', 'content-disposition', 'content-encoding', 'content-language', 'cache-control', 'expires'] as const;

export interface ObjectAttributes {
  /** Hex MD5 of the bytes (single PUT), or the multipart form `md5-of-md5s-N`. */
  etag: string;
  headers?: Partial<Record<(typeof STORED_HEADERS)[number], string>>;
  /** x-amz-meta-* without the prefix, names lower-case. */
  meta?: Record<string, string>;
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
  /** A multipart object's part sizes, in order (GET and HEAD ?partNumber=N). */
  parts?: number[];
  /** An S3 delete marker (s3-versions.ts): an empty version that makes the key read as absent. */
  deleteMarker?: true;
}

export function parseAttributes(text: string | undefined): ObjectAttributes | undefined {
  if (text === undefined) return undefined;
  try {
    const a = JSON.parse(text) as ObjectAttributes;
    return typeof a.etag === 'string' ? a : undefined;
  } catch {
    return undefined;
  }
}

/** The quoted ETag of a version: its attributes' one, else one derived from what identifies the version. */
export function etagOf(v: { name: string; version: number; createdAt: number; attributes?: string }): string {
  const a = parseAttributes(v.attributes);
  if (a) return `"${a.etag}"`;
  return `"${createHash('md5').update(`${v.name}\0${v.version}\0${v.createdAt}`).digest('hex')}-1"`;
}
