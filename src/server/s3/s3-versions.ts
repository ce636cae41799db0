// How S3 versioning maps onto dcs's versions. A version id is the dcs version number ("null" in a
// bucket that never had versioning). A delete marker is an empty dcs version whose attributes say
// so: in a bucket with versioning Enabled, a DeleteObject without versionId adds one instead of
// removing anything, the key then reads as absent, and removing the marker by its version id brings
// the object back — the protection against accidental deletes that users enable versioning for.
import { FileNotFoundError } from '../../core/errors.ts';
import type { S3Bucket, VersionRecord } from '../../repository/repository.ts';
import { S3Error } from './s3-errors.ts';
import { parseAttributes, type ObjectAttributes } from './s3-attributes.ts';
import type { S3Context, S3Request } from './s3-request.ts';

export const nameOf = (bucket: string, key: string): string => `${bucket}/${key}`;

/** MD5 of no bytes: a marker's ETag field, so that its attributes parse as any object's. */
const EMPTY_MD5 = 'd41d8cd98f00b204e9800998ecf8427e';
const MARKER_ATTRIBUTES = JSON.stringify({ etag: EMPTY_MD5, deleteMarker: true } satisfies ObjectAttributes);

export function isDeleteMarker(v: { attributes?: string | undefined }): boolean {
  // The cheap test first: listings ask this of every entry.
  return v.attributes !== undefined && v.attributes.includes('"deleteMarker"') && parseAttributes(v.attributes)?.deleteMarker === true;
}

/** The version id S3 clients see for a dcs version of a key in this bucket. */
export function versionIdOf(bucket: S3Bucket, v: { version: number }): string {
  return bucket.versioning === 'Unversioned' ? 'null' : String(v.version);
}

export function versionHeader(r: S3Request, bucket: S3Bucket, v: VersionRecord): void {
  if (bucket.versioning !== 'Unversioned') r.res.setHeader('x-amz-version-id', String(v.version));
}

function versionNumber(versionId: string | undefined): number | undefined {
  const version = versionId === undefined || versionId === 'null' ? undefined : Number(versionId);
  if (version !== undefined && (!Number.isSafeInteger(version) || version < 1)) throw new S3Error('NoSuchVersion', 'The specified version does not exist.');
  return version;
}

/**
 * The object version a request reads (versionId, or the latest), as S3 answers: NoSuchKey when the
 * key has none or its latest is a delete marker (with x-amz-delete-marker), MethodNotAllowed when
 * versionId names a marker, and for a copy source InvalidRequest.
 */
export async function resolveObject(ctx: S3Context, r: S3Request | undefined, bucket: string, key: string, versionId: string | undefined, use: 'read' | 'copy' = 'read'): Promise<VersionRecord> {
  const version = versionNumber(versionId);
  let found: VersionRecord;
  try {
    found = await ctx.repo.resolveVersion(nameOf(bucket, key), version);
  } catch (err) {
    if (err instanceof FileNotFoundError) throw version === undefined ? new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key }) : new S3Error('NoSuchVersion', 'The specified version does not exist.', { Key: key, VersionId: String(version) });
    throw err;
  }
  if (!isDeleteMarker(found)) return found;
  if (r !== undefined && use === 'read') {
    r.res.setHeader('x-amz-delete-marker', 'true');
    r.res.setHeader('x-amz-version-id', String(found.version));
    if (version !== undefined) r.res.setHeader('last-modified', new Date(found.createdAt).toUTCString());
  }
  if (version === undefined) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: key });
  if (use === 'copy') throw new S3Error('InvalidRequest', 'The source of a copy request may not specifically refer to a delete marker by version id.');
  throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: r?.method ?? 'GET', ResourceType: 'DeleteMarker' });
}

/** Whether the key reads as present (a latest version that is not a delete marker). */
export async function objectExists(ctx: S3Context, bucket: string, key: string): Promise<boolean> {
  try {
    return !isDeleteMarker(await ctx.repo.resolveVersion(nameOf(bucket, key)));
  } catch (err) {
    if (err instanceof FileNotFoundError) return false;
    throw err;
  }
}

/** What a DeleteObject did, as its response and DeleteObjects' Deleted entry report it. */
export interface DeleteOutcome {
  /** The version removed, or the delete marker added. */
  versionId?: string;
  deleteMarker: boolean;
}

/**
 * DeleteObject. With versionId: that version goes (a delete marker too). Without, in a bucket with
 * versioning Enabled: a delete marker becomes the latest version and every version is kept (as S3
 * does, even for a key that has none). Otherwise every version goes. A missing key is not an error.
 */
export async function deleteObject(ctx: S3Context, bucket: S3Bucket, key: string, versionId?: string): Promise<DeleteOutcome> {
  const name = nameOf(bucket.name, key);
  const version = versionNumber(versionId);
  if (version === undefined && bucket.versioning === 'Enabled') {
    const { version: marker } = await ctx.smallObjects.commit({ name, data: new Uint8Array(0), attributes: MARKER_ATTRIBUTES });
    return { versionId: String(marker.version), deleteMarker: true };
  }
  let wasMarker = false;
  if (version !== undefined) {
    try {
      wasMarker = isDeleteMarker(await ctx.repo.resolveVersion(name, version));
    } catch (err) {
      if (!(err instanceof FileNotFoundError)) throw err;
      return { versionId: String(version), deleteMarker: false };
    }
  }
  try {
    await ctx.repo.remove(name, version === undefined ? {} : { version });
  } catch (err) {
    if (!(err instanceof FileNotFoundError)) throw err;
  }
  return { ...(versionId === undefined ? {} : { versionId }), deleteMarker: wasMarker };
}

/** In a bucket that does not keep versions, a new version replaces the older ones (as S3 overwrites). */
export async function dropOlderVersions(ctx: S3Context, bucket: S3Bucket, name: string, kept: { version: number }): Promise<void> {
  // Version 1 has none older (the common case: a new key needs no look-up).
  if (bucket.versioning === 'Enabled' || kept.version === 1) return;
  for (const v of await ctx.repo.versions(name)) {
    if (v.version < kept.version) await ctx.repo.remove(name, { version: v.version }).catch((err: unknown) => {
      // Already gone (a concurrent overwrite removed it): nothing left to do.
      if (!(err instanceof FileNotFoundError)) throw err;
    });
  }
}
