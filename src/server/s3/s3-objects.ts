// Object-level S3 operations: PutObject (streamed, every payload form of payload.ts), CopyObject
// (metadata only: the chunks are shared), GetObject and HeadObject (Range, conditional headers,
// stored headers and user metadata), DeleteObject. The object `key` of bucket `b` is the dcs file
// `b/key`; a PUT is visible only once committed, with its ETag (the MD5 of its bytes) in the same
// commit. In a bucket without versioning a PUT replaces the object: older versions are removed.
import { RangeNotSatisfiableError } from '../../core/errors.ts';
import type { VersionRecord } from '../../repository/repository.ts';
import { writeBody } from '../http-files.ts';
import { header, parseRangeHeader } from '../http-util.ts';
import { S3Error } from './s3-errors.ts';
import { etagOf, parseAttributes, STORED_HEADERS, type ObjectAttributes } from './s3-attributes.ts';
import { bodyBytes, checkGrant, requestPayload, requireBucket, sendXml, type S3Context, type S3Request } from './s3-request.ts';
import { xmlDocument } from './xml.ts';
import { SMALL_OBJECT_MAX } from './group-commit.ts';
import { abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listParts, uploadPart, uploadPartCopy } from './s3-multipart.ts';
import { percentDecode } from '../../core/input/utf8.ts';
import { deleteObject, dropOlderVersions, nameOf, objectExists, resolveObject, versionHeader } from './s3-versions.ts';

/** S3's limit on key length, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
/** Everything x-amz-meta-* may hold together (S3: 2 KB). */
const MAX_META_BYTES = 2048;

function checkKey(key: string): void {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw new S3Error('KeyTooLongError', 'Your key is too long', { MaxSizeAllowed: String(MAX_KEY_BYTES) });
  if (!key.isWellFormed() || key.includes('\0')) throw new S3Error('InvalidArgument', 'Object keys are UTF-8 text without NUL characters.');
}

/** The headers and user metadata a PUT stores. */
function storedAttributes(r: S3Request): Omit<ObjectAttributes, 'etag'> {
  const headers: NonNullable<ObjectAttributes['headers']> = {};
  for (const h of STORED_HEADERS) {
    let v = header(r.req, h);
    // aws-chunked is how the body travelled, not how the object is encoded.
    if (h === 'content-encoding' && v !== undefined) v = v.split(',').map((s) => s.trim()).filter((s) => s !== 'aws-chunked').join(', ') || undefined;
    if (v !== undefined) headers[h] = v;
  }
  const meta: Record<string, string> = {};
  let metaBytes = 0;
  for (const [k, v] of Object.entries(r.req.headers)) {
    if (!k.startsWith('x-amz-meta-') || v === undefined) continue;
    const value = Array.isArray(v) ? v.join(',') : v;
    metaBytes += k.length - 'x-amz-meta-'.length + Buffer.byteLength(value);
    meta[k.slice('x-amz-meta-'.length)] = value;
  }
  if (metaBytes > MAX_META_BYTES) throw new S3Error('InvalidArgument', `Your metadata headers exceed the maximum allowed metadata size (${MAX_META_BYTES} bytes).`);
  return { ...(Object.keys(headers).length > 0 ? { headers } : {}), ...(Object.keys(meta).length > 0 ? { meta } : {}) };
}

export async function objectOperation(ctx: S3Context, r: S3Request): Promise<void> {
  const { method, query } = r;
  checkKey(r.key);
  if (method === 'POST' && query.has('uploads')) return createMultipartUpload(ctx, r, storedAttributes(r));
  if (query.has('uploadId')) {
    switch (method) {
      case 'PUT': {
        const source = header(r.req, 'x-amz-copy-source');
        return source === undefined ? uploadPart(ctx, r) : uploadPartCopy(ctx, r, parseCopySource(source));
      }
      case 'POST':
        return completeMultipartUpload(ctx, r, async (v) => dropOlderVersions(ctx, await requireBucket(ctx, r.bucket), v.name, v));
      case 'DELETE':
        return abortMultipartUpload(ctx, r);
      case 'GET':
        return listParts(ctx, r);
      default:
        throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.');
    }
  }
  const sub = ['acl', 'tagging', 'retention', 'legal-hold', 'torrent', 'restore', 'select', 'attributes'].find((s) => query.has(s));
  if (sub !== undefined) throw new S3Error('NotImplemented', `The object subresource ?${sub} is not implemented by dcs (see docs/s3.md).`);
  switch (method) {
    case 'PUT':
      return header(r.req, 'x-amz-copy-source') === undefined ? putObject(ctx, r) : copyObject(ctx, r);
    case 'GET':
    case 'HEAD':
      return getObject(ctx, r);
    case 'DELETE': {
      checkGrant(r, 'write', r.bucket, r.key);
      const outcome = await deleteObject(ctx, await requireBucket(ctx, r.bucket), r.key, query.get('versionId'));
      if (outcome.versionId !== undefined) r.res.setHeader('x-amz-version-id', outcome.versionId);
      if (outcome.deleteMarker) r.res.setHeader('x-amz-delete-marker', 'true');
      r.res.statusCode = 204;
      r.res.end();
      return;
    }
    default:
      throw new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
}

async function putObject(ctx: S3Context, r: S3Request): Promise<void> {
  checkGrant(r, 'write', r.bucket, r.key);
  const bucket = await requireBucket(ctx, r.bucket);
  const name = nameOf(r.bucket, r.key);
  // If-None-Match: * — write only if the object does not exist (S3's conditional write).
  if (header(r.req, 'if-none-match')?.trim() === '*' && (await objectExists(ctx, r.bucket, r.key))) throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
  const stored = storedAttributes(r);
  const payload = requestPayload(r, ctx.maxPutBytes);
  const attributesOf = (): string => {
    const checksum = payload.checksum();
    return JSON.stringify({ etag: payload.md5(), ...stored, ...(checksum ? { checksum } : {}) } satisfies ObjectAttributes);
  };
  let result: { version: VersionRecord };
  if (payload.expectedSize !== undefined && payload.expectedSize <= SMALL_OBJECT_MAX) {
    // A small object: read whole (and checked), then committed with the others arriving now.
    result = await ctx.smallObjects.commit({ name, data: await bodyBytes(payload.body), attributes: attributesOf() });
  } else {
    result = await ctx.repo.upload(payload.body, {
      name,
      ...(payload.expectedSize === undefined ? {} : { sizeHint: payload.expectedSize }),
      attributes: attributesOf,
    });
  }
  await dropOlderVersions(ctx, bucket, name, result.version);
  r.res.statusCode = 200;
  r.res.setHeader('etag', `"${payload.md5()}"`);
  const checksum = payload.checksum();
  if (checksum) r.res.setHeader(`x-amz-checksum-${checksum.algorithm}`, checksum.value);
  versionHeader(r, bucket, result.version);
  r.res.end();
}

/** RFC 7232 as S3 applies it: If-Match / If-Unmodified-Since → 412, If-None-Match / If-Modified-Since → 304. */
function preconditions(get: (name: string) => string | undefined, etag: string, modifiedMs: number, names: { match: string; noneMatch: string; modifiedSince: string; unmodifiedSince: string }): 'ok' | 'not-modified' | 'failed' {
  const lastModified = Math.floor(modifiedMs / 1000) * 1000;
  const matches = (list: string): boolean => list.trim() === '*' || list.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
  const date = (v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  };
  const ifMatch = get(names.match);
  if (ifMatch !== undefined && !matches(ifMatch)) return 'failed';
  const unmodified = date(get(names.unmodifiedSince));
  if (ifMatch === undefined && unmodified !== undefined && lastModified > unmodified) return 'failed';
  const ifNoneMatch = get(names.noneMatch);
  if (ifNoneMatch !== undefined && matches(ifNoneMatch)) return 'not-modified';
  const modified = date(get(names.modifiedSince));
  if (ifNoneMatch === undefined && modified !== undefined && lastModified <= modified) return 'not-modified';
  return 'ok';
}

/** Response header overrides a GET may ask for (response-content-type=…), as S3 allows on signed requests. */
const OVERRIDES = { 'response-content-type': 'content-type', 'response-content-language': 'content-language', 'response-expires': 'expires', 'response-cache-control': 'cache-control', 'response-content-disposition': 'content-disposition', 'response-content-encoding': 'content-encoding' } as const;

async function getObject(ctx: S3Context, r: S3Request): Promise<void> {
  checkGrant(r, 'read', r.bucket, r.key);
  const bucket = await requireBucket(ctx, r.bucket);
  const version = await resolveObject(ctx, r, r.bucket, r.key, r.query.get('versionId'));
  const attrs = parseAttributes(version.attributes);
  const partRange = partRangeOf(r, attrs, version.size);
  const etag = etagOf(version);
  const { res } = r;
  const outcome = preconditions((n) => header(r.req, n), etag, version.createdAt, { match: 'if-match', noneMatch: 'if-none-match', modifiedSince: 'if-modified-since', unmodifiedSince: 'if-unmodified-since' });
  res.setHeader('etag', etag);
  res.setHeader('last-modified', new Date(version.createdAt).toUTCString());
  versionHeader(r, bucket, version);
  if (outcome === 'failed') throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' });
  if (outcome === 'not-modified') {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader('accept-ranges', 'bytes');
  res.setHeader('content-type', attrs?.headers?.['content-type'] ?? 'binary/octet-stream');
  for (const [h, v] of Object.entries(attrs?.headers ?? {})) if (h !== 'content-type') res.setHeader(h, v);
  for (const [k, v] of Object.entries(attrs?.meta ?? {})) res.setHeader(`x-amz-meta-${k}`, v);
  for (const [param, h] of Object.entries(OVERRIDES)) {
    const v = r.query.get(param);
    if (v !== undefined) res.setHeader(h, v);
  }
  const rangeHeader = header(r.req, 'range');
  if (partRange && rangeHeader !== undefined) throw new S3Error('InvalidRequest', 'Cannot specify both Range header and partNumber query parameter.');
  const range = partRange ?? parseRangeHeader(rangeHeader);
  if (attrs?.parts) res.setHeader('x-amz-mp-parts-count', String(attrs.parts.length));
  const d = await ctx.repo.download(nameOf(r.bucket, r.key), { version: version.version, range }).catch((err: unknown) => {
    if (err instanceof RangeNotSatisfiableError) {
      res.setHeader('content-range', `bytes */${version.size}`);
      throw new S3Error('InvalidRange', 'The requested range is not satisfiable', { RangeRequested: rangeHeader ?? '', ActualObjectSize: String(version.size) });
    }
    throw err;
  });
  if (range) {
    res.statusCode = 206;
    res.setHeader('content-range', `bytes ${d.start}-${d.start + d.length - 1}/${version.size}`);
  } else {
    res.statusCode = 200;
    // The whole object's checksum, where the client asks for it (a range has none of its own).
    if (attrs?.checksum && header(r.req, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED') res.setHeader(`x-amz-checksum-${attrs.checksum.algorithm}`, attrs.checksum.value);
  }
  res.setHeader('content-length', d.length);
  if (r.method === 'HEAD' || d.length === 0) {
    res.end();
    return;
  }
  await writeBody(res, d.body);
}

/** GET/HEAD ?partNumber=N: the bytes of part N of a multipart object (an object of one PUT has part 1 only). */
function partRangeOf(r: S3Request, attrs: ObjectAttributes | undefined, size: number): { start: number; end: number } | undefined {
  const text = r.query.get('partNumber');
  if (text === undefined) return undefined;
  const n = Number(text);
  const sizes = attrs?.parts ?? [size];
  if (!/^\d{1,5}$/.test(text) || n < 1 || n > sizes.length) throw new S3Error('InvalidPart', `The object has ${sizes.length} part${sizes.length === 1 ? '' : 's'}; part ${text} does not exist.`);
  const start = sizes.slice(0, n - 1).reduce((a, b) => a + b, 0);
  return sizes[n - 1] === 0 ? undefined : { start, end: start + sizes[n - 1]! - 1 };
}

function parseCopySource(value: string): { bucket: string; key: string; versionId?: string } {
  const q = value.indexOf('?');
  const path = percentDecode(q < 0 ? value : value.slice(0, q)).replace(/^\//, '');
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey');
  const versionId = q < 0 ? undefined : new URLSearchParams(value.slice(q + 1)).get('versionId') ?? undefined;
  return { bucket: path.slice(0, slash), key: path.slice(slash + 1), ...(versionId === undefined ? {} : { versionId }) };
}

async function copyObject(ctx: S3Context, r: S3Request): Promise<void> {
  const source = parseCopySource(header(r.req, 'x-amz-copy-source')!);
  checkGrant(r, 'read', source.bucket, source.key);
  checkGrant(r, 'write', r.bucket, r.key);
  checkKey(source.key);
  await requireBucket(ctx, source.bucket);
  const bucket = await requireBucket(ctx, r.bucket);
  const from = await resolveObject(ctx, r, source.bucket, source.key, source.versionId, 'copy');
  const etag = etagOf(from);
  const outcome = preconditions((n) => header(r.req, n), etag, from.createdAt, {
    match: 'x-amz-copy-source-if-match',
    noneMatch: 'x-amz-copy-source-if-none-match',
    modifiedSince: 'x-amz-copy-source-if-modified-since',
    unmodifiedSince: 'x-amz-copy-source-if-unmodified-since',
  });
  if (outcome !== 'ok') throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'x-amz-copy-source-if-*' });
  const directive = (header(r.req, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') throw new S3Error('InvalidArgument', 'Unknown metadata directive.');
  const sourceAttrs = parseAttributes(from.attributes);
  const target = nameOf(r.bucket, r.key);
  if (target === from.name && directive === 'COPY' && source.versionId === undefined) {
    throw new S3Error('InvalidRequest', "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
  }
  // The ETag stays the source's: the bytes are the same. REPLACE takes this request's headers and metadata.
  const etagText = etag.replace(/"/g, '');
  const attributes = directive === 'REPLACE' ? JSON.stringify({ etag: etagText, ...storedAttributes(r), ...(sourceAttrs?.checksum ? { checksum: sourceAttrs.checksum } : {}) } satisfies ObjectAttributes) : (sourceAttrs ? undefined : JSON.stringify({ etag: etagText } satisfies ObjectAttributes));
  const copied = await ctx.repo.copy({ name: from.name, version: from.version }, target, attributes);
  await dropOlderVersions(ctx, bucket, target, copied);
  versionHeader(r, bucket, copied);
  if (source.versionId !== undefined) r.res.setHeader('x-amz-copy-source-version-id', source.versionId);
  sendXml(r.res, 200, xmlDocument('CopyObjectResult', { ETag: etag, LastModified: new Date(copied.createdAt).toISOString() }, true));
}
