// Service- and bucket-level S3 operations: ListBuckets, Create/Head/DeleteBucket, bucket location
// and versioning, ListObjects (v1 and v2) and DeleteObjects. A bucket `b` holds the dcs names
// that start with `b/`; listing walks them in byte order with keyset paging, skipping over each
// common prefix instead of reading what is under it.
import { S3Error } from './s3-errors.ts';
import { etagOf } from './s3-attributes.ts';
import { checkGrant, listingParams, readSmallBody, requireBucket, sendXml, type S3Context, type S3Request } from './s3-request.ts';
import { parseXml, xmlDocument, type XmlElement, type XmlValue } from './xml.ts';
import { deleteObject, isDeleteMarker, versionIdOf } from './s3-versions.ts';
import { listMultipartUploads } from './s3-multipart.ts';
import type { FileSummary } from '../../repository/repository.ts';

const OWNER = { ID: 'dcs', DisplayName: 'dcs' };
/** Sorts after every character a key can hold next: listing resumes after all keys under a prefix. */
const AFTER_ALL = '\u{10FFFF}';
const MAX_DELETE_OBJECTS = 1000;

/** S3's bucket naming rules (general purpose buckets). */
export function validBucketName(name: string): boolean {
  return /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name) && !name.startsWith('xn--') && !name.endsWith('-s3alias');
}

const iso = (ms: number): string => new Date(ms).toISOString();

export async function bucketOperation(ctx: S3Context, r: S3Request): Promise<void> {
  const { method, bucket, query } = r;
  if (bucket === '') {
    if (method !== 'GET') throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.');
    return listBuckets(ctx, r);
  }
  const unsupported = ['acl', 'policy', 'lifecycle', 'cors', 'tagging', 'encryption', 'object-lock', 'replication', 'website', 'logging', 'notification', 'accelerate', 'requestPayment', 'ownershipControls', 'publicAccessBlock', 'intelligent-tiering', 'inventory', 'metrics', 'analytics'];
  const sub = unsupported.find((s) => query.has(s));
  if (method === 'GET' && query.has('location')) return location(ctx, r);
  if (query.has('versioning')) return versioning(ctx, r);
  if (method === 'POST' && query.has('delete')) return deleteObjects(ctx, r);
  if (method === 'GET' && query.has('uploads')) return listMultipartUploads(ctx, r);
  if (method === 'GET' && query.has('versions')) return listObjectVersions(ctx, r);
  if (sub !== undefined) throw new S3Error('NotImplemented', `The bucket subresource ?${sub} is not implemented by dcs (see docs/s3.md).`);
  switch (method) {
    case 'PUT':
      return createBucket(ctx, r);
    case 'HEAD':
      checkGrant(r, 'read', bucket);
      await requireBucket(ctx, bucket);
      r.res.statusCode = 200;
      r.res.setHeader('x-amz-bucket-region', ctx.region);
      r.res.end();
      return;
    case 'DELETE':
      return deleteBucket(ctx, r);
    case 'GET':
      return query.get('list-type') === '2' ? listObjects(ctx, r, 2) : listObjects(ctx, r, 1);
    default:
      throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
}

async function listBuckets(ctx: S3Context, r: S3Request): Promise<void> {
  const all = await ctx.repo.s3.listBuckets();
  // A key confined to one bucket sees only that one.
  const visible = r.accessKey.bucket === undefined ? all : all.filter((b) => b.name === r.accessKey.bucket);
  sendXml(r.res, 200, xmlDocument('ListAllMyBucketsResult', { Owner: OWNER, Buckets: { Bucket: visible.map((b) => ({ Name: b.name, CreationDate: iso(b.createdAt) })) } }, true));
}

async function createBucket(ctx: S3Context, r: S3Request): Promise<void> {
  const { bucket } = r;
  if (r.accessKey.bucket !== undefined || r.accessKey.readOnly) throw new S3Error('AccessDenied', 'Access Denied: only an unrestricted read-write access key creates buckets.');
  if (!validBucketName(bucket)) throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', { BucketName: bucket });
  // CreateBucketConfiguration (LocationConstraint) says where; dcs has one place. Read and check it all the same.
  const body = await readSmallBody(r, 64 * 1024);
  if (body.trim() !== '') {
    const config = parseXml(body, 'CreateBucketConfiguration');
    const wanted = config.LocationConstraint;
    if (typeof wanted === 'string' && wanted !== '' && wanted !== ctx.region) {
      throw new S3Error('InvalidArgument', `The location constraint ${wanted} is not this endpoint's region ${ctx.region}.`);
    }
  }
  if (!(await ctx.repo.s3.createBucket(bucket))) throw new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: bucket });
  r.res.statusCode = 200;
  r.res.setHeader('location', `/${bucket}`);
  r.res.end();
}

async function deleteBucket(ctx: S3Context, r: S3Request): Promise<void> {
  if (r.accessKey.bucket !== undefined || r.accessKey.readOnly) throw new S3Error('AccessDenied', 'Access Denied: only an unrestricted read-write access key deletes buckets.');
  const outcome = await ctx.repo.s3.deleteBucket(r.bucket);
  if (outcome === 'missing') throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: r.bucket });
  if (outcome === 'not-empty') throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', { BucketName: r.bucket });
  r.res.statusCode = 204;
  r.res.end();
}

async function location(ctx: S3Context, r: S3Request): Promise<void> {
  checkGrant(r, 'read', r.bucket);
  await requireBucket(ctx, r.bucket);
  // us-east-1 is the empty constraint, as AWS answers it.
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${ctx.region === 'us-east-1' ? '' : ctx.region}</LocationConstraint>`;
  sendXml(r.res, 200, xml);
}

async function versioning(ctx: S3Context, r: S3Request): Promise<void> {
  const bucket = await ctx.repo.s3.getBucket(r.bucket);
  if (!bucket) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: r.bucket });
  if (r.method === 'GET') {
    checkGrant(r, 'read', r.bucket);
    sendXml(r.res, 200, xmlDocument('VersioningConfiguration', bucket.versioning === 'Unversioned' ? {} : { Status: bucket.versioning }, true));
    return;
  }
  if (r.method !== 'PUT') throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.');
  if (r.accessKey.bucket !== undefined || r.accessKey.readOnly) throw new S3Error('AccessDenied', 'Access Denied: only an unrestricted read-write access key changes bucket versioning.');
  const config = parseXml(await readSmallBody(r, 64 * 1024), 'VersioningConfiguration');
  const status = config.Status;
  if (status !== 'Enabled' && status !== 'Suspended') throw new S3Error('MalformedXML', 'VersioningConfiguration Status must be Enabled or Suspended.');
  await ctx.repo.s3.setBucketVersioning(r.bucket, status);
  r.res.statusCode = 200;
  r.res.end();
}

interface Listing {
  contents: { key: string; file: FileSummary }[];
  prefixes: string[];
  truncated: boolean;
  /** Where the next page starts (exclusive), as a key position. */
  next?: string;
}

/**
 * Keys of `bucket` after `after` under `prefix`, at most maxKeys entries (keys and common prefixes
 * together, as S3 counts them). A common prefix is emitted once and the walk resumes after every
 * key under it, so a folder of a million keys costs one step. A key whose latest version is a
 * delete marker is not listed (nor makes a common prefix) unless `deleted` asks for it.
 */
async function listKeys(ctx: S3Context, bucket: string, o: { prefix: string; delimiter: string; after: string | undefined; maxKeys: number; deleted?: boolean }): Promise<Listing> {
  const base = `${bucket}/`;
  const out: Listing = { contents: [], prefixes: [], truncated: false };
  let after = o.after === undefined ? undefined : base + o.after;
  let count = 0;
  for (;;) {
    let resume: string | undefined;
    for await (const file of ctx.repo.list({ prefix: base + o.prefix, ...(after === undefined ? {} : { after }) })) {
      if (o.deleted !== true && isDeleteMarker(file)) continue;
      const key = file.name.slice(base.length);
      if (o.delimiter !== '') {
        const at = key.indexOf(o.delimiter, o.prefix.length);
        if (at >= 0) {
          const common = key.slice(0, at + o.delimiter.length);
          resume = base + common + AFTER_ALL;
          // Emitted on an earlier page (a v1 marker is the common prefix itself, or a key under it).
          if (o.after !== undefined && common <= o.after) break;
          if (count >= o.maxKeys) {
            out.truncated = true;
            return out;
          }
          out.prefixes.push(common);
          out.next = common + AFTER_ALL;
          count++;
          break;
        }
      }
      if (count >= o.maxKeys) {
        out.truncated = true;
        return out;
      }
      out.contents.push({ key, file });
      out.next = key;
      count++;
    }
    if (resume === undefined) return out;
    after = resume;
  }
}

const token = {
  encode: (position: string): string => Buffer.from(position, 'utf8').toString('base64url'),
  decode: (text: string): string => {
    const position = Buffer.from(text, 'base64url').toString('utf8');
    if (Buffer.from(position, 'utf8').toString('base64url') !== text) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect');
    return position;
  },
};

async function listObjects(ctx: S3Context, r: S3Request, version: 1 | 2): Promise<void> {
  const { query, bucket } = r;
  const { prefix, delimiter, encodingType, enc, maxKeys } = listingParams(r);
  await requireBucket(ctx, bucket);
  let after: string | undefined;
  const continuation = query.get('continuation-token');
  const startAfter = query.get('start-after');
  const marker = query.get('marker');
  if (version === 2) {
    if (continuation !== undefined) after = token.decode(continuation);
    else if (startAfter !== undefined && startAfter !== '') after = startAfter;
  } else if (marker !== undefined && marker !== '') after = marker;
  const listing = await listKeys(ctx, bucket, { prefix, delimiter, after, maxKeys });
  const contents: XmlValue[] = listing.contents.map(({ key, file }) => ({
    Key: enc(key),
    LastModified: iso(file.createdAt),
    ETag: etagOf(file),
    Size: file.size,
    ...(version === 1 || query.get('fetch-owner') === 'true' ? { Owner: OWNER } : {}),
    StorageClass: 'STANDARD',
  }));
  const common = listing.prefixes.map((p) => ({ Prefix: enc(p) }));
  const body: XmlElement =
    version === 2
      ? {
          Name: bucket,
          Prefix: enc(prefix),
          ...(delimiter ? { Delimiter: enc(delimiter) } : {}),
          MaxKeys: maxKeys,
          KeyCount: listing.contents.length + listing.prefixes.length,
          IsTruncated: listing.truncated,
          ...(continuation !== undefined ? { ContinuationToken: continuation } : {}),
          ...(listing.truncated && listing.next !== undefined ? { NextContinuationToken: token.encode(listing.next) } : {}),
          ...(startAfter !== undefined ? { StartAfter: enc(startAfter) } : {}),
          ...(encodingType ? { EncodingType: encodingType } : {}),
          Contents: contents,
          CommonPrefixes: common,
        }
      : {
          Name: bucket,
          Prefix: enc(prefix),
          Marker: enc(marker ?? ''),
          ...(listing.truncated && listing.next !== undefined ? { NextMarker: enc(listing.next.replace(AFTER_ALL, '')) } : {}),
          MaxKeys: maxKeys,
          ...(delimiter ? { Delimiter: enc(delimiter) } : {}),
          IsTruncated: listing.truncated,
          ...(encodingType ? { EncodingType: encodingType } : {}),
          Contents: contents,
          CommonPrefixes: common,
        };
  sendXml(r.res, 200, xmlDocument('ListBucketResult', body, true));
}

async function deleteObjects(ctx: S3Context, r: S3Request): Promise<void> {
  checkGrant(r, 'write', r.bucket);
  const b = await requireBucket(ctx, r.bucket);
  if (r.req.headers['content-md5'] === undefined && !Object.keys(r.req.headers).some((h) => h.startsWith('x-amz-checksum-') || h === 'x-amz-sdk-checksum-algorithm')) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5 (or an x-amz-checksum-* header).');
  }
  const doc = parseXml(await readSmallBody(r, 2 * 1024 * 1024), 'Delete');
  const objects = (doc.Object ?? []) as XmlElement[];
  if (!Array.isArray(objects) || objects.length > MAX_DELETE_OBJECTS) throw new S3Error('MalformedXML', `A DeleteObjects request names 1 to ${MAX_DELETE_OBJECTS} objects.`);
  const quiet = doc.Quiet === 'true';
  const deleted: XmlValue[] = [];
  const errors: XmlValue[] = [];
  for (const o of objects) {
    const key = typeof o.Key === 'string' ? o.Key : undefined;
    if (key === undefined || key === '') {
      errors.push({ Key: '', Code: 'MalformedXML', Message: 'An object has no Key.' });
      continue;
    }
    try {
      checkGrant(r, 'write', r.bucket, key);
      const versionId = typeof o.VersionId === 'string' ? o.VersionId : undefined;
      const outcome = await deleteObject(ctx, b, key, versionId);
      if (quiet) continue;
      if (versionId !== undefined) deleted.push({ Key: key, VersionId: versionId, ...(outcome.deleteMarker ? { DeleteMarker: true, DeleteMarkerVersionId: versionId } : {}) });
      else deleted.push({ Key: key, ...(outcome.deleteMarker ? { DeleteMarker: true, DeleteMarkerVersionId: outcome.versionId } : {}) });
    } catch (err) {
      const e = err instanceof S3Error ? err : new S3Error('InternalError', 'We encountered an internal error. Please try again.');
      errors.push({ Key: key, Code: e.code, Message: e.message });
    }
  }
  sendXml(r.res, 200, xmlDocument('DeleteResult', { Deleted: deleted, Error: errors }, true));
}

/**
 * ListObjectVersions: every version of each key, newest first, paged by key-marker and
 * version-id-marker. Version ids are dcs's version numbers; in a bucket that never had versioning
 * an object's one version is "null", as S3 shows it. Delete markers are listed as DeleteMarker
 * entries, in the same newest-first order and paging as the versions.
 */
async function listObjectVersions(ctx: S3Context, r: S3Request): Promise<void> {
  const { query, bucket } = r;
  const { prefix, delimiter, encodingType, enc, maxKeys } = listingParams(r);
  const b = await requireBucket(ctx, bucket);
  const keyMarker = query.get('key-marker') || undefined;
  const idMarker = query.get('version-id-marker') || undefined;
  // The marker's own key first, for its versions older than the marker (a page that ended mid-key).
  const versions: XmlValue[] = [];
  const markers: XmlValue[] = [];
  let truncated = false;
  let next: { key: string; id: string } | undefined;
  const emitKey = async (key: string, olderThan?: number): Promise<boolean> => {
    const all = (await ctx.repo.versions(`${bucket}/${key}`)).reverse();
    for (const [i, v] of all.entries()) {
      if (olderThan !== undefined && v.version >= olderThan) continue;
      if (versions.length + markers.length >= maxKeys) {
        truncated = true;
        return false;
      }
      const entry = { Key: enc(key), VersionId: versionIdOf(b, v), IsLatest: i === 0, LastModified: iso(v.createdAt) };
      if (isDeleteMarker(v)) markers.push({ ...entry, Owner: OWNER });
      else versions.push({ ...entry, ETag: etagOf(v), Size: v.size, Owner: OWNER, StorageClass: 'STANDARD' });
      next = { key, id: entry.VersionId };
    }
    return true;
  };
  let more = true;
  if (keyMarker !== undefined && idMarker !== undefined && idMarker !== 'null' && keyMarker.startsWith(prefix)) {
    const older = Number(idMarker);
    if (!Number.isSafeInteger(older)) throw new S3Error('InvalidArgument', 'Invalid version id specified');
    more = await emitKey(keyMarker, older);
  }
  const listing = more ? await listKeys(ctx, bucket, { prefix, delimiter, after: keyMarker, maxKeys: Math.max(maxKeys, 1), deleted: true }) : { contents: [], prefixes: [], truncated: false };
  for (const { key } of listing.contents) {
    if (!more) break;
    more = await emitKey(key);
  }
  if (more && listing.truncated) truncated = true;
  sendXml(
    r.res,
    200,
    xmlDocument(
      'ListVersionsResult',
      {
        Name: bucket,
        Prefix: enc(prefix),
        KeyMarker: enc(keyMarker ?? ''),
        VersionIdMarker: idMarker ?? '',
        ...(truncated && next ? { NextKeyMarker: enc(next.key), NextVersionIdMarker: next.id } : {}),
        MaxKeys: maxKeys,
        ...(delimiter ? { Delimiter: enc(delimiter) } : {}),
        IsTruncated: truncated,
        ...(encodingType ? { EncodingType: encodingType } : {}),
        Version: versions,
        DeleteMarker: markers,
        CommonPrefixes: more ? listing.prefixes.map((p) => ({ Prefix: enc(p) })) : [],
      },
      true,
    ),
  );
}
