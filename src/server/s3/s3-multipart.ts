// S3 multipart uploads on dcs's resumable uploads: CreateMultipartUpload begins one (with the
// object's headers and metadata), UploadPart and UploadPartCopy store parts in any order and again
// (each part's MD5 recorded with it), CompleteMultipartUpload checks the part list as S3 does and
// commits the named parts (re-chunked at their boundaries, so the object dedups exactly like one
// streamed PUT of the same bytes), Abort drops it, ListParts and ListMultipartUploads show them.
import { createHash } from 'node:crypto';
import { DcsError } from '../../core/errors.ts';
import type { ResumableUpload } from '../../repository/repository.ts';
import { header } from '../http-util.ts';
import { S3Error } from './s3-errors.ts';
import type { ObjectAttributes } from './s3-attributes.ts';
import { checkGrant, listingParams, readSmallBody, requestPayload, requireBucket, sendXml, type S3Context, type S3Request } from './s3-request.ts';
import { parseXml, xmlDocument, type XmlElement } from './xml.ts';
import { nameOf, resolveObject } from './s3-versions.ts';

/** S3's rules: parts 1..10000, each at most 5 GiB, all but the last at least 5 MiB. */
export const MAX_PART_NUMBER = 10_000;
export const MAX_PART_BYTES = 5 * 1024 ** 3;
export const MIN_PART_BYTES = 5 * 1024 * 1024;
const OWNER = { ID: 'dcs', DisplayName: 'dcs' };

/** The upload a request names, which must be of this bucket and key. */
async function upload(ctx: S3Context, r: S3Request): Promise<ResumableUpload> {
  const id = r.query.get('uploadId') ?? '';
  try {
    const u = await ctx.repo.resumable.get(id);
    if (u.name === nameOf(r.bucket, r.key)) return u;
  } catch (err) {
    if (!(err instanceof DcsError && err.code === 'UPLOAD_NOT_FOUND')) throw err;
  }
  throw new S3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: id });
}

function partNumberOf(r: S3Request): number {
  const text = r.query.get('partNumber') ?? '';
  const n = Number(text);
  if (!/^\d{1,5}$/.test(text) || n < 1 || n > MAX_PART_NUMBER) throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: text });
  return n;
}

export async function createMultipartUpload(ctx: S3Context, r: S3Request, stored: Omit<ObjectAttributes, 'etag'>): Promise<void> {
  checkGrant(r, 'write', r.bucket, r.key);
  await requireBucket(ctx, r.bucket);
  await readSmallBody(r, 64 * 1024);
  const u = await ctx.repo.resumable.begin({ name: nameOf(r.bucket, r.key), attributes: JSON.stringify(stored) });
  sendXml(r.res, 200, xmlDocument('InitiateMultipartUploadResult', { Bucket: r.bucket, Key: r.key, UploadId: u.sessionId }, true));
}

export async function uploadPart(ctx: S3Context, r: S3Request): Promise<void> {
  checkGrant(r, 'write', r.bucket, r.key);
  const part = partNumberOf(r);
  const u = await upload(ctx, r);
  const payload = requestPayload(r, MAX_PART_BYTES);
  await ctx.repo.resumable.uploadPart(u.sessionId, part, payload.body, { etag: () => payload.md5(), ...(payload.expectedSize === undefined ? {} : { sizeHint: payload.expectedSize }) });
  r.res.statusCode = 200;
  r.res.setHeader('etag', `"${payload.md5()}"`);
  const checksum = payload.checksum();
  if (checksum) r.res.setHeader(`x-amz-checksum-${checksum.algorithm}`, checksum.value);
  r.res.end();
}

/** UploadPartCopy: a part made of (a range of) an existing object's bytes, read back and re-chunked (dedup stores none of them again). */
export async function uploadPartCopy(ctx: S3Context, r: S3Request, source: { bucket: string; key: string; versionId?: string }): Promise<void> {
  checkGrant(r, 'read', source.bucket, source.key);
  checkGrant(r, 'write', r.bucket, r.key);
  const part = partNumberOf(r);
  const u = await upload(ctx, r);
  await requireBucket(ctx, source.bucket);
  const from = await resolveObject(ctx, r, source.bucket, source.key, source.versionId, 'copy');
  const rangeText = header(r.req, 'x-amz-copy-source-range');
  let range: { start: number; end: number } | undefined;
  if (rangeText !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeText.trim());
    if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= from.size) throw new S3Error('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', { ArgumentName: 'x-amz-copy-source-range' });
    range = { start: Number(m[1]), end: Number(m[2]) };
  }
  if ((range ? range.end - range.start + 1 : from.size) > MAX_PART_BYTES) throw new S3Error('InvalidRequest', 'The specified copy source is larger than the maximum allowable size for a copy source: 5368709120');
  const d = await ctx.repo.download(from.name, { version: from.version, ...(range ? { range } : {}) });
  const md5 = createHash('md5');
  async function* hashed(): AsyncGenerator<Uint8Array> {
    for await (const piece of d.body) {
      md5.update(piece);
      yield piece;
    }
  }
  let etag: string | undefined;
  await ctx.repo.resumable.uploadPart(u.sessionId, part, hashed(), { etag: () => (etag ??= md5.digest('hex')), sizeHint: d.length });
  sendXml(r.res, 200, xmlDocument('CopyPartResult', { ETag: `"${etag}"`, LastModified: new Date(ctx.now()).toISOString() }, true));
}

export async function completeMultipartUpload(ctx: S3Context, r: S3Request, afterCommit: (version: { version: number; createdAt: number; name: string }) => Promise<void>): Promise<void> {
  checkGrant(r, 'write', r.bucket, r.key);
  const u = await upload(ctx, r);
  const doc = parseXml(await readSmallBody(r, 4 * 1024 * 1024), 'CompleteMultipartUpload');
  const named = (doc.Part ?? []) as XmlElement[];
  if (!Array.isArray(named) || named.length === 0) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: it names no parts.');
  const stored = new Map(u.parts.map((p) => [p.part, p]));
  const digests: Buffer[] = [];
  const sizes: number[] = [];
  // Order first, over the whole list, as S3 reports it; then each part; then the sizes.
  const numbers = named.map((p) => {
    const number = Number(p.PartNumber);
    if (!Number.isInteger(number) || number < 1 || number > MAX_PART_NUMBER) throw new S3Error('InvalidPart', 'One or more of the specified parts could not be found.', { PartNumber: String(p.PartNumber) });
    return number;
  });
  numbers.forEach((n, i) => {
    if (i > 0 && n <= numbers[i - 1]!) throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.');
  });
  const parts = named.map((p, i) => {
    const part = stored.get(numbers[i]!);
    const etag = typeof p.ETag === 'string' ? p.ETag.trim().replace(/^"|"$/g, '') : undefined;
    if (!part || part.etag === undefined || (etag !== undefined && etag !== part.etag)) {
      throw new S3Error('InvalidPart', "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", { PartNumber: String(numbers[i]), ...(etag === undefined ? {} : { ETag: etag }) });
    }
    return { ...part, etag: part.etag };
  });
  parts.forEach((part, i) => {
    if (i < parts.length - 1 && part.size < MIN_PART_BYTES) throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', { PartNumber: String(part.part), ProposedSize: String(part.size), MinSizeAllowed: String(MIN_PART_BYTES) });
    digests.push(Buffer.from(part.etag, 'hex'));
    sizes.push(part.size);
  });
  const etag = `${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${named.length}`;
  const begun = u.attributes === undefined ? {} : (JSON.parse(u.attributes) as Omit<ObjectAttributes, 'etag'>);
  const attributes: ObjectAttributes = { ...begun, etag, parts: sizes };
  const report = await ctx.repo.resumable.complete(u.sessionId, { parts: named.map((p) => ({ part: Number(p.PartNumber) })), namedOnly: true, attributes: JSON.stringify(attributes) });
  await afterCommit(report.version);
  const location = `/${r.bucket}/${r.key.split('/').map(encodeURIComponent).join('/')}`;
  sendXml(r.res, 200, xmlDocument('CompleteMultipartUploadResult', { Location: location, Bucket: r.bucket, Key: r.key, ETag: `"${etag}"` }, true));
}

export async function abortMultipartUpload(ctx: S3Context, r: S3Request): Promise<void> {
  checkGrant(r, 'write', r.bucket, r.key);
  const u = await upload(ctx, r);
  await ctx.repo.resumable.abort(u.sessionId);
  r.res.statusCode = 204;
  r.res.end();
}

export async function listParts(ctx: S3Context, r: S3Request): Promise<void> {
  checkGrant(r, 'read', r.bucket, r.key);
  const u = await upload(ctx, r);
  const marker = Number(r.query.get('part-number-marker') ?? '0');
  const maxText = r.query.get('max-parts');
  const max = maxText === undefined ? 1000 : Math.min(Number(maxText), 1000);
  if (!Number.isInteger(marker) || marker < 0 || !Number.isInteger(max) || max < 0) throw new S3Error('InvalidArgument', 'part-number-marker and max-parts must be non-negative integers.');
  const after = u.parts.filter((p) => p.part > marker && p.etag !== undefined).sort((a, b) => a.part - b.part);
  const page = after.slice(0, max);
  const truncated = after.length > page.length;
  sendXml(
    r.res,
    200,
    xmlDocument(
      'ListPartsResult',
      {
        Bucket: r.bucket,
        Key: r.key,
        UploadId: u.sessionId,
        PartNumberMarker: marker,
        ...(truncated ? { NextPartNumberMarker: page.at(-1)!.part } : {}),
        MaxParts: max,
        IsTruncated: truncated,
        Part: page.map((p) => ({ PartNumber: p.part, LastModified: new Date(p.createdAt).toISOString(), ETag: `"${p.etag}"`, Size: p.size })),
        Initiator: OWNER,
        Owner: OWNER,
        StorageClass: 'STANDARD',
      },
      true,
    ),
  );
}

export async function listMultipartUploads(ctx: S3Context, r: S3Request): Promise<void> {
  const { prefix, maxKeys: max } = listingParams(r);
  await requireBucket(ctx, r.bucket);
  const keyMarker = r.query.get('key-marker');
  const idMarker = r.query.get('upload-id-marker');
  const base = `${r.bucket}/`;
  // key-marker alone: uploads of keys after it; with upload-id-marker: after that upload of that key.
  const after = keyMarker === undefined || keyMarker === '' ? undefined : { name: base + keyMarker, sessionId: idMarker ?? '\u{10FFFF}' };
  const found = await ctx.repo.resumable.list({ prefix: base + prefix, ...(after ? { after } : {}), limit: max + 1 });
  const page = found.slice(0, max);
  const truncated = found.length > max;
  const last = page.at(-1);
  sendXml(
    r.res,
    200,
    xmlDocument(
      'ListMultipartUploadsResult',
      {
        Bucket: r.bucket,
        KeyMarker: keyMarker ?? '',
        UploadIdMarker: idMarker ?? '',
        ...(truncated && last ? { NextKeyMarker: last.name.slice(base.length), NextUploadIdMarker: last.sessionId } : {}),
        Prefix: prefix,
        MaxUploads: max,
        IsTruncated: truncated,
        Upload: page.map((u) => ({ Key: u.name.slice(base.length), UploadId: u.sessionId, Initiator: OWNER, Owner: OWNER, StorageClass: 'STANDARD', Initiated: new Date(u.startedAt).toISOString() })),
      },
      true,
    ),
  );
}
