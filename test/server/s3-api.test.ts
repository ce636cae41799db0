// The S3 API as a real client sees it: @aws-sdk/client-s3 (the official SDK, its default payload
// signing and checksums) against `startNode` with an S3 listener on loopback.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
  GetBucketVersioningCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';
import { pino } from 'pino';
import { initRepository } from '../../src/repository/init-repository.ts';
import { openRepository } from '../../src/repository/local-repository.ts';
import { createAccessKey, SecretVault } from '../../src/server/s3/access-keys.ts';
import { startNode, type RunningNode } from '../../src/server/node.ts';
import { NodeSha256 } from '../../src/server/s3/sigv4.ts';
import { tempDir } from '../helpers/cli.ts';
import { textBytes } from '../helpers/data.ts';
import { makeTestPki } from '../helpers/tls.ts';

const md5 = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

async function s3Error(p: Promise<unknown>): Promise<S3ServiceException> {
  try {
    await p;
  } catch (err) {
    if (err instanceof S3ServiceException) return err;
    throw err;
  }
  assert.fail('the request succeeded');
}

describe('S3 API with @aws-sdk/client-s3', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let node: RunningNode;
  let repoDir: string;
  let keys: { rw: { id: string; secret: string }; ro: { id: string; secret: string }; revoked: { id: string; secret: string } };
  const client = (k: { id: string; secret: string }, extra: Partial<ConstructorParameters<typeof S3Client>[0]> = {}): S3Client =>
    new S3Client({ endpoint: node.s3Url!, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: k.id, secretAccessKey: k.secret }, maxAttempts: 1, ...extra });

  before(async () => {
    ({ dir, cleanup } = await tempDir('dcs-s3-'));
    repoDir = join(dir, 'repo');
    await initRepository(repoDir, {});
    const repo = await openRepository(repoDir, { workers: 0 });
    const vault = await SecretVault.open(repoDir, {}, true);
    const rw = await createAccessKey(repo, vault);
    const ro = await createAccessKey(repo, vault, { readOnly: true });
    const revoked = await createAccessKey(repo, vault);
    await repo.s3.revokeAccessKey(revoked.id);
    await repo.close();
    keys = { rw, ro, revoked };
    node = await startNode({ role: 'all', host: '127.0.0.1', port: 0, token: 't', repoDir, openOptions: { workers: 0 }, http: false, s3: { host: '127.0.0.1', port: 0 }, log: pino({ level: 'silent' }) });
  });

  after(async () => {
    await node.close(1000);
    await cleanup();
  });

  it('creates, heads, lists and refuses to re-create buckets', async () => {
    const s3 = client(keys.rw);
    assert.deepEqual((await s3.send(new ListBucketsCommand({}))).Buckets ?? [], []);
    await s3.send(new CreateBucketCommand({ Bucket: 'photos' }));
    await s3.send(new HeadBucketCommand({ Bucket: 'photos' }));
    assert.deepEqual((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name), ['photos']);
    assert.equal((await s3Error(s3.send(new CreateBucketCommand({ Bucket: 'photos' })))).name, 'BucketAlreadyOwnedByYou');
    assert.equal((await s3Error(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).name, 'InvalidBucketName');
    assert.equal((await s3Error(s3.send(new HeadBucketCommand({ Bucket: 'nope' })))).$metadata.httpStatusCode, 404);
    const loc = await s3.send(new GetBucketLocationCommand({ Bucket: 'photos' }));
    assert.equal(loc.LocationConstraint ?? '', '');
  });

  it('stores an object with its headers and metadata, and returns them with the MD5 ETag', async () => {
    const s3 = client(keys.rw);
    const data = textBytes(300_000, 1);
    const put = await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'a/b c/ünï.txt', Body: data, ContentType: 'text/plain', CacheControl: 'max-age=60', Metadata: { owner: 'ann', note: 'x y' } }));
    assert.equal(put.ETag, `"${md5(data)}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'photos', Key: 'a/b c/ünï.txt' }));
    assert.equal(head.ContentLength, data.length);
    assert.equal(head.ContentType, 'text/plain');
    assert.equal(head.CacheControl, 'max-age=60');
    assert.deepEqual(head.Metadata, { owner: 'ann', note: 'x y' });
    assert.equal(head.ETag, put.ETag);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'a/b c/ünï.txt' }));
    assert.deepEqual(await got.Body!.transformToByteArray(), data);
    const ranged = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'a/b c/ünï.txt', Range: 'bytes=1000-1999' }));
    assert.equal(ranged.ContentRange, `bytes 1000-1999/${data.length}`);
    assert.deepEqual(await ranged.Body!.transformToByteArray(), data.subarray(1000, 2000));
    const suffix = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'a/b c/ünï.txt', Range: 'bytes=-10' }));
    assert.deepEqual(await suffix.Body!.transformToByteArray(), data.subarray(data.length - 10));
    assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'a/b c/ünï.txt', Range: `bytes=${data.length}-` })))).name, 'InvalidRange');
  });

  it('answers conditional GETs', async () => {
    const s3 = client(keys.rw);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'photos', Key: 'a/b c/ünï.txt' }));
    assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'a/b c/ünï.txt', IfNoneMatch: head.ETag })))).$metadata.httpStatusCode, 304);
    assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'a/b c/ünï.txt', IfMatch: '"0123"' })))).$metadata.httpStatusCode, 412);
    const later = new Date(head.LastModified!.getTime() + 3600_000);
    assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'a/b c/ünï.txt', IfModifiedSince: later })))).$metadata.httpStatusCode, 304);
    const earlier = new Date(head.LastModified!.getTime() - 3600_000);
    assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'a/b c/ünï.txt', IfUnmodifiedSince: earlier })))).$metadata.httpStatusCode, 412);
    const ok = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'a/b c/ünï.txt', IfMatch: head.ETag, IfModifiedSince: earlier }));
    assert.equal(ok.$metadata.httpStatusCode, 200);
    await ok.Body!.transformToByteArray();
  });

  it('takes streamed bodies (aws-chunked with a checksum trailer) and checks every checksum algorithm', async () => {
    const s3 = client(keys.rw);
    const data = textBytes(1_500_000, 2);
    for (const algorithm of ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'] as const) {
      const key = `stream/${algorithm}.bin`;
      await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: key, Body: Readable.from([data.subarray(0, 700_000), data.subarray(700_000)]), ContentLength: data.length, ChecksumAlgorithm: algorithm }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: key }));
      assert.deepEqual(await got.Body!.transformToByteArray(), data, algorithm);
      assert.equal(got.ETag, `"${md5(data)}"`);
    }
  });

  it('refuses a body whose Content-MD5 does not match, storing nothing', async () => {
    const s3 = client(keys.rw);
    const data = textBytes(50_000, 3);
    const err = await s3Error(s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'bad-md5', Body: data, ContentMD5: createHash('md5').update('other').digest('base64') })));
    assert.equal(err.name, 'BadDigest');
    assert.equal((await s3Error(s3.send(new HeadObjectCommand({ Bucket: 'photos', Key: 'bad-md5' })))).$metadata.httpStatusCode, 404);
  });

  it('lists with prefix, delimiter, paging and both list versions', async () => {
    const s3 = client(keys.rw);
    await s3.send(new CreateBucketCommand({ Bucket: 'tree' }));
    const names = ['a.txt', 'd1/x', 'd1/y', 'd1/z/deep', 'd2/x', 'e', 'f/g'];
    for (const n of names) await s3.send(new PutObjectCommand({ Bucket: 'tree', Key: n, Body: n }));
    const all = await s3.send(new ListObjectsV2Command({ Bucket: 'tree' }));
    assert.deepEqual(all.Contents?.map((c) => c.Key), names);
    assert.equal(all.Contents?.[0]?.ETag, `"${md5(Buffer.from('a.txt'))}"`);
    assert.equal(all.Contents?.[0]?.Size, 5);
    const top = await s3.send(new ListObjectsV2Command({ Bucket: 'tree', Delimiter: '/' }));
    assert.deepEqual(top.Contents?.map((c) => c.Key), ['a.txt', 'e']);
    assert.deepEqual(top.CommonPrefixes?.map((p) => p.Prefix), ['d1/', 'd2/', 'f/']);
    const d1 = await s3.send(new ListObjectsV2Command({ Bucket: 'tree', Prefix: 'd1/', Delimiter: '/' }));
    assert.deepEqual(d1.Contents?.map((c) => c.Key), ['d1/x', 'd1/y']);
    assert.deepEqual(d1.CommonPrefixes?.map((p) => p.Prefix), ['d1/z/']);
    // Pages of two entries, keys and common prefixes counted together, as S3 counts them.
    const seen: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: 'tree', Delimiter: '/', MaxKeys: 2, ...(token ? { ContinuationToken: token } : {}) }));
      seen.push(...(r.Contents ?? []).map((c) => c.Key!), ...(r.CommonPrefixes ?? []).map((p) => p.Prefix!));
      if (!r.IsTruncated) break;
      token = r.NextContinuationToken;
    }
    assert.deepEqual(seen.sort(), ['a.txt', 'd1/', 'd2/', 'e', 'f/']);
    const v1: string[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await s3.send(new ListObjectsCommand({ Bucket: 'tree', Delimiter: '/', MaxKeys: 2, ...(marker ? { Marker: marker } : {}) }));
      v1.push(...(r.Contents ?? []).map((c) => c.Key!), ...(r.CommonPrefixes ?? []).map((p) => p.Prefix!));
      if (!r.IsTruncated) break;
      marker = r.NextMarker;
    }
    assert.deepEqual(v1.sort(), ['a.txt', 'd1/', 'd2/', 'e', 'f/']);
    const afterY = await s3.send(new ListObjectsV2Command({ Bucket: 'tree', StartAfter: 'd1/y' }));
    assert.deepEqual(afterY.Contents?.map((c) => c.Key), ['d1/z/deep', 'd2/x', 'e', 'f/g']);
    const encoded = await s3.send(new ListObjectsV2Command({ Bucket: 'tree', Prefix: 'd1/', EncodingType: 'url' }));
    assert.deepEqual(encoded.Contents?.map((c) => c.Key), ['d1/x', 'd1/y', 'd1/z/deep']);
  });

  it('copies an object without copying its bytes', async () => {
    const s3 = client(keys.rw);
    const data = textBytes(2_000_000, 4);
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'big', Body: data, ContentType: 'application/x-big', Metadata: { a: '1' } }));
    const repo = await openRepository(repoDir, { workers: 0 });
    const storedBefore = (await repo.stats()).storedBytes;
    await repo.close();
    const copied = await s3.send(new CopyObjectCommand({ Bucket: 'photos', Key: 'big-copy', CopySource: 'photos/big' }));
    assert.equal(copied.CopyObjectResult?.ETag, `"${md5(data)}"`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'photos', Key: 'big-copy' }));
    assert.equal(head.ContentType, 'application/x-big');
    assert.deepEqual(head.Metadata, { a: '1' });
    const replaced = await s3.send(new CopyObjectCommand({ Bucket: 'photos', Key: 'big-copy2', CopySource: 'photos/big', MetadataDirective: 'REPLACE', ContentType: 'text/x-other', Metadata: { b: '2' } }));
    assert.equal(replaced.CopyObjectResult?.ETag, `"${md5(data)}"`);
    const head2 = await s3.send(new HeadObjectCommand({ Bucket: 'photos', Key: 'big-copy2' }));
    assert.equal(head2.ContentType, 'text/x-other');
    assert.deepEqual(head2.Metadata, { b: '2' });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'big-copy' }));
    assert.deepEqual(await got.Body!.transformToByteArray(), data);
    const repo2 = await openRepository(repoDir, { workers: 0 });
    assert.equal((await repo2.stats()).storedBytes, storedBefore);
    await repo2.close();
    assert.equal((await s3Error(s3.send(new CopyObjectCommand({ Bucket: 'photos', Key: 'big', CopySource: 'photos/big' })))).name, 'InvalidRequest');
  });

  it('overwrites in a bucket without versioning, and deletes objects one by one and in batches', async () => {
    const s3 = client(keys.rw);
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'over', Body: 'one' }));
    await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'over', Body: 'two' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'over' }));
    assert.equal(await got.Body!.transformToString(), 'two');
    const repo = await openRepository(repoDir, { workers: 0 });
    assert.equal((await repo.versions('photos/over')).length, 1);
    await repo.close();
    await s3.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'over' }));
    assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'over' })))).name, 'NoSuchKey');
    // Deleting what is not there succeeds, as in S3.
    await s3.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'never-was' }));
    const batch = await s3.send(new DeleteObjectsCommand({ Bucket: 'tree', Delete: { Objects: ['a.txt', 'd1/x', 'd1/y', 'd1/z/deep', 'd2/x', 'e', 'f/g'].map((Key) => ({ Key })) } }));
    assert.equal(batch.Deleted?.length, 7);
    assert.deepEqual((await s3.send(new ListObjectsV2Command({ Bucket: 'tree' }))).Contents ?? [], []);
    await s3.send(new DeleteBucketCommand({ Bucket: 'tree' }));
    assert.equal((await s3Error(s3.send(new DeleteBucketCommand({ Bucket: 'photos' })))).name, 'BucketNotEmpty');
    assert.equal((await s3Error(s3.send(new PutObjectCommand({ Bucket: 'tree', Key: 'x', Body: 'x' })))).name, 'NoSuchBucket');
  });

  it('refuses bad signatures, unknown and revoked keys, skewed clocks and writes with a read-only key', async () => {
    assert.equal((await s3Error(client({ id: keys.rw.id, secret: 'wrong-secret' }).send(new ListBucketsCommand({})))).name, 'SignatureDoesNotMatch');
    assert.equal((await s3Error(client({ id: 'DCSNOSUCHKEY00000000', secret: 'x' }).send(new ListBucketsCommand({})))).name, 'InvalidAccessKeyId');
    assert.equal((await s3Error(client(keys.revoked).send(new ListBucketsCommand({})))).name, 'InvalidAccessKeyId');
    const skewed = client(keys.rw, { systemClockOffset: -3600_000 });
    // The SDK corrects its clock from the error's Date header and retries; with one attempt the error shows.
    assert.equal((await s3Error(skewed.send(new ListBucketsCommand({})))).name, 'RequestTimeTooSkewed');
    const ro = client(keys.ro);
    await ro.send(new HeadObjectCommand({ Bucket: 'photos', Key: 'big' }));
    assert.equal((await s3Error(ro.send(new PutObjectCommand({ Bucket: 'photos', Key: 'ro', Body: 'x' })))).name, 'AccessDenied');
    assert.equal((await s3Error(ro.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'big' })))).name, 'AccessDenied');
  });

  it('serves presigned URLs (GET and PUT) until they expire', async () => {
    const s3 = client(keys.rw);
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'photos', Key: 'big' }), { expiresIn: 60 });
    const ok = await fetch(getUrl);
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal(md5(new Uint8Array(await ok.arrayBuffer())), md5(textBytes(2_000_000, 4)));
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'photos', Key: 'presigned-put' }), { expiresIn: 60 });
    const put = await fetch(putUrl, { method: 'PUT', body: 'sent with a presigned URL' });
    assert.equal(put.status, 200, await put.clone().text());
    const back = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'presigned-put' }));
    assert.equal(await back.Body!.transformToString(), 'sent with a presigned URL');
    const old = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'photos', Key: 'big' }), { expiresIn: 60, signingDate: new Date(Date.now() - 120_000) });
    const expired = await fetch(old);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /<Code>AccessDenied<\/Code><Message>Request has expired/);
    // The signature covers the path: the same query on another key is refused.
    const tampered = await fetch(getUrl.replace('/photos/big?', '/photos/big-copy?'));
    assert.equal(tampered.status, 403);
    assert.match(await tampered.text(), /SignatureDoesNotMatch/);
    const anonymous = await fetch(`${node.s3Url}/photos/big`);
    assert.equal(anonymous.status, 403);
    assert.match(await anonymous.text(), /AccessDenied/);
  });

  it('uploads in parts with lib-storage, and the object dedups exactly like one PUT of the same bytes', async () => {
    const s3 = client(keys.rw);
    await s3.send(new CreateBucketCommand({ Bucket: 'multi' }));
    const data = textBytes(23 * 1024 * 1024 + 12_345, 7);
    const up = new Upload({ client: s3, params: { Bucket: 'multi', Key: 'parts.bin', Body: Readable.from([data]), ContentType: 'application/x-parts', Metadata: { via: 'lib-storage' } }, partSize: 5 * 1024 * 1024, queueSize: 3 });
    const done = await up.done();
    const digests = [0, 1, 2, 3, 4].map((i) => createHash('md5').update(data.subarray(i * 5 * 1024 * 1024, Math.min(data.length, (i + 1) * 5 * 1024 * 1024))).digest());
    const multipartEtag = `"${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-5"`;
    assert.equal(done.ETag, multipartEtag);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'multi', Key: 'parts.bin' }));
    assert.equal(head.ETag, multipartEtag);
    assert.equal(head.ContentType, 'application/x-parts');
    assert.deepEqual(head.Metadata, { via: 'lib-storage' });
    assert.equal(head.ContentLength, data.length);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'multi', Key: 'parts.bin' }));
    assert.equal(md5(await got.Body!.transformToByteArray()), md5(data));
    const part3 = await s3.send(new GetObjectCommand({ Bucket: 'multi', Key: 'parts.bin', PartNumber: 3 }));
    assert.equal(part3.PartsCount, 5);
    assert.equal(md5(await part3.Body!.transformToByteArray()), md5(data.subarray(10 * 1024 * 1024, 15 * 1024 * 1024)));
    const repo = await openRepository(repoDir, { workers: 0 });
    const storedBefore = (await repo.stats()).storedBytes;
    await repo.close();
    await s3.send(new PutObjectCommand({ Bucket: 'multi', Key: 'one-put.bin', Body: data }));
    const repo2 = await openRepository(repoDir, { workers: 0 });
    const added = (await repo2.stats()).storedBytes - storedBefore;
    await repo2.close();
    assert.ok(added < data.length * 0.001, `the same bytes in one PUT added ${added} bytes`);
  });

  it('takes parts in any order and again, copies parts, lists them and checks the completion as S3 does', async () => {
    const s3 = client(keys.rw);
    const p1 = textBytes(5 * 1024 * 1024, 11);
    const p2 = textBytes(5 * 1024 * 1024 + 1, 12);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'multi', Key: 'manual' }));
    assert.ok(UploadId);
    const r2 = await s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'manual', UploadId, PartNumber: 2, Body: textBytes(1000, 13) }));
    // Part 2 sent again replaces the first one.
    const r2b = await s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'manual', UploadId, PartNumber: 2, Body: p2 }));
    assert.notEqual(r2.ETag, r2b.ETag);
    const r1 = await s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'manual', UploadId, PartNumber: 1, Body: p1 }));
    // Part 4: a copy of bytes 1000-1999 of an existing object.
    const r4 = await s3.send(new UploadPartCopyCommand({ Bucket: 'multi', Key: 'manual', UploadId, PartNumber: 4, CopySource: 'multi/parts.bin', CopySourceRange: 'bytes=1000-1999' }));
    const listed = await s3.send(new ListPartsCommand({ Bucket: 'multi', Key: 'manual', UploadId }));
    assert.deepEqual(listed.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag]), [[1, p1.length, r1.ETag], [2, p2.length, r2b.ETag], [4, 1000, r4.CopyPartResult?.ETag]]);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'multi' }));
    assert.deepEqual(uploads.Uploads?.map((u) => [u.Key, u.UploadId]), [['manual', UploadId]]);
    const complete = (parts: { PartNumber: number; ETag?: string | undefined }[]) => s3.send(new CompleteMultipartUploadCommand({ Bucket: 'multi', Key: 'manual', UploadId, MultipartUpload: { Parts: parts } }));
    assert.equal((await s3Error(complete([{ PartNumber: 2, ETag: r2b.ETag }, { PartNumber: 1, ETag: r1.ETag }]))).name, 'InvalidPartOrder');
    assert.equal((await s3Error(complete([{ PartNumber: 1, ETag: r1.ETag }, { PartNumber: 2, ETag: r2.ETag }]))).name, 'InvalidPart');
    assert.equal((await s3Error(complete([{ PartNumber: 1, ETag: r1.ETag }, { PartNumber: 3, ETag: r1.ETag }]))).name, 'InvalidPart');
    assert.equal((await s3Error(complete([{ PartNumber: 4, ETag: r4.CopyPartResult?.ETag }, { PartNumber: 2, ETag: r2b.ETag }]))).name, 'InvalidPartOrder');
    // Parts 1, 2 and 4 (3 was never sent): a gap is allowed; part 4 may be small as the last.
    const done = await complete([{ PartNumber: 1, ETag: r1.ETag }, { PartNumber: 2, ETag: r2b.ETag }, { PartNumber: 4, ETag: r4.CopyPartResult?.ETag }]);
    assert.match(done.ETag ?? '', /^"[0-9a-f]{32}-3"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'multi', Key: 'manual' }));
    const whole = await got.Body!.transformToByteArray();
    const parts4 = textBytes(23 * 1024 * 1024 + 12_345, 7).subarray(1000, 2000);
    assert.equal(md5(whole), md5(Buffer.concat([p1, p2, parts4])));
    assert.equal((await s3Error(s3.send(new ListPartsCommand({ Bucket: 'multi', Key: 'manual', UploadId })))).name, 'NoSuchUpload');
    // A small part that is not the last: EntityTooSmall.
    const small = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'multi', Key: 'small' }));
    const s1 = await s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'small', UploadId: small.UploadId, PartNumber: 1, Body: 'tiny' }));
    const s2 = await s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'small', UploadId: small.UploadId, PartNumber: 2, Body: 'tiny' }));
    const tooSmall = await s3Error(s3.send(new CompleteMultipartUploadCommand({ Bucket: 'multi', Key: 'small', UploadId: small.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: s1.ETag }, { PartNumber: 2, ETag: s2.ETag }] } })));
    assert.equal(tooSmall.name, 'EntityTooSmall');
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'multi', Key: 'small', UploadId: small.UploadId }));
    assert.equal((await s3Error(s3.send(new HeadObjectCommand({ Bucket: 'multi', Key: 'small' })))).$metadata.httpStatusCode, 404);
    assert.equal((await s3Error(s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'small', UploadId: small.UploadId, PartNumber: 3, Body: 'x' })))).name, 'NoSuchUpload');
    // An upload id is of one key only.
    const other = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'multi', Key: 'k1' }));
    assert.equal((await s3Error(s3.send(new UploadPartCommand({ Bucket: 'multi', Key: 'k2', UploadId: other.UploadId, PartNumber: 1, Body: 'x' })))).name, 'NoSuchUpload');
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'multi', Key: 'k1', UploadId: other.UploadId }));
  });

  it('survives attacks: a cut-off upload leaves nothing, hostile keys, bodies and headers are refused', async () => {
    const s3 = client(keys.rw);
    // A PUT that stops after 64 KiB of a declared 10 MiB and drops the connection.
    const url = new URL(await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'photos', Key: 'cut-off' }), { expiresIn: 60 }));
    await new Promise<void>((resolve) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'PUT', headers: { 'content-length': String(10 * 1024 * 1024) } });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.write(Buffer.alloc(64 * 1024, 1), () => setTimeout(() => req.destroy(), 100));
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await s3Error(s3.send(new HeadObjectCommand({ Bucket: 'photos', Key: 'cut-off' })))).$metadata.httpStatusCode, 404);
    // Keys: too long, and names that are paths elsewhere (kept as names, never resolved as paths).
    assert.equal((await s3Error(s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'k'.repeat(1025), Body: 'x' })))).name, 'KeyTooLongError');
    for (const key of ['../../etc/passwd', '/abs', 'a//b', 'dot/./seg', ' spaced ', 'percent%2Fslash', 'emoji-🙂']) {
      await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: key, Body: key }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: key }));
      assert.equal(await got.Body!.transformToString(), key);
    }
    // Metadata over S3's 2 KB.
    assert.equal((await s3Error(s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'meta', Body: 'x', Metadata: { big: 'v'.repeat(3000) } })))).name, 'InvalidArgument');
    // An XML body declaring entities (billion laughs) is refused before it is parsed.
    const bomb = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><Delete><Object><Key>&b;</Key></Object></Delete>';
    const target = new URL(node.s3Url!);
    const signer = new SignatureV4({ credentials: { accessKeyId: keys.rw.id, secretAccessKey: keys.rw.secret }, region: 'us-east-1', service: 's3', sha256: NodeSha256, uriEscapePath: false });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: target.hostname,
      port: Number(target.port),
      path: '/photos',
      query: { delete: '' },
      headers: { host: target.host, 'content-md5': createHash('md5').update(bomb).digest('base64'), 'x-amz-content-sha256': createHash('sha256').update(bomb).digest('hex') },
      body: bomb,
    });
    const refused = await fetch(`${node.s3Url}/photos?delete=`, { method: 'POST', body: bomb, headers: signed.headers });
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /MalformedXML/);
    // A bucket name that is not one, and a bucket that does not exist.
    assert.equal((await s3Error(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })))).name, 'NoSuchBucket');
    // Declared larger than a single PUT may be.
    const big = new URL(await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'photos', Key: 'too-big' }), { expiresIn: 60 }));
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: big.hostname, port: big.port, path: big.pathname + big.search, method: 'PUT', headers: { 'content-length': String(6 * 1024 ** 3) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write('x');
    });
    assert.equal(status, 400);
  });

  it('commits small PUTs that arrive together as groups: every object intact, far fewer stored objects', async () => {
    const s3 = client(keys.rw);
    await s3.send(new CreateBucketCommand({ Bucket: 'many-small' }));
    const repo = await openRepository(repoDir, { workers: 0 });
    const objectsBefore = (await repo.verify({})).chunks;
    await repo.close();
    const bodies = Array.from({ length: 64 }, (_, i) => textBytes(2_000 + i * 300, 500 + i));
    const puts = await Promise.all(bodies.map((body, i) => s3.send(new PutObjectCommand({ Bucket: 'many-small', Key: `f${i}`, Body: body, Metadata: { n: String(i) } }))));
    puts.forEach((p, i) => assert.equal(p.ETag, `"${md5(bodies[i]!)}"`));
    for (const [i, body] of bodies.entries()) {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'many-small', Key: `f${i}` }));
      assert.equal(md5(await got.Body!.transformToByteArray()), md5(body), `f${i}`);
      assert.equal(got.Metadata?.n, String(i));
    }
    const repo2 = await openRepository(repoDir, { workers: 0 });
    const added = (await repo2.verify({})).chunks - objectsBefore;
    await repo2.close();
    // Sent 64 at once (the SDK's sockets allow 50 in flight): most land in shared packs.
    assert.ok(added <= 32, `64 small objects added ${added} stored objects`);
  });

  it('keeps versions in a bucket with versioning enabled, and lists, reads and deletes them by version id', async () => {
    const s3 = client(keys.rw);
    await s3.send(new CreateBucketCommand({ Bucket: 'versioned' }));
    assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: 'versioned' }))).Status, undefined);
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'versioned', VersioningConfiguration: { Status: 'Enabled' } }));
    assert.equal((await s3.send(new GetBucketVersioningCommand({ Bucket: 'versioned' }))).Status, 'Enabled');
    const ids: string[] = [];
    for (const body of ['one', 'two', 'three']) ids.push((await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'doc', Body: body }))).VersionId!);
    await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'other', Body: 'x' }));
    assert.deepEqual(ids, ['1', '2', '3']);
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: 'versioned' }));
    assert.deepEqual(listed.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest, v.Size]), [['doc', '3', true, 5], ['doc', '2', false, 3], ['doc', '1', false, 3], ['other', '1', true, 1]]);
    // Pages of two versions, resumed mid-key.
    const seen: string[] = [];
    let marker: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (let i = 0; i < 5; i++) {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: 'versioned', MaxKeys: 2, ...marker }));
      seen.push(...(page.Versions ?? []).map((v) => `${v.Key}@${v.VersionId}`));
      if (!page.IsTruncated) break;
      marker = { KeyMarker: page.NextKeyMarker!, VersionIdMarker: page.NextVersionIdMarker! };
    }
    assert.deepEqual(seen, ['doc@3', 'doc@2', 'doc@1', 'other@1']);
    const v1 = await s3.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'doc', VersionId: '1' }));
    assert.equal(await v1.Body!.transformToString(), 'one');
    assert.equal(v1.VersionId, '1');
    await s3.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'doc', VersionId: '2' }));
    const after2 = await s3.send(new ListObjectVersionsCommand({ Bucket: 'versioned', Prefix: 'doc' }));
    assert.deepEqual(after2.Versions?.map((v) => v.VersionId), ['3', '1']);
    assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'doc', VersionId: '2' })))).name, 'NoSuchVersion');
    // In a bucket without versioning, an object's one version is "null".
    const plain = await s3.send(new ListObjectVersionsCommand({ Bucket: 'photos', Prefix: 'big' }));
    assert.ok((plain.Versions ?? []).length > 0 && (plain.Versions ?? []).every((v) => v.VersionId === 'null' && v.IsLatest));
  });

  it('adds a delete marker on DeleteObject in a versioned bucket, hides the key, and brings it back when the marker is removed', async () => {
    const s3 = client(keys.rw);
    await s3.send(new CreateBucketCommand({ Bucket: 'undo' }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'undo', VersioningConfiguration: { Status: 'Enabled' } }));
    for (const body of ['one', 'two']) await s3.send(new PutObjectCommand({ Bucket: 'undo', Key: 'doc', Body: body }));
    for (const key of ['dir/a', 'dir/b', 'keep']) await s3.send(new PutObjectCommand({ Bucket: 'undo', Key: key, Body: key }));
    const del = await s3.send(new DeleteObjectCommand({ Bucket: 'undo', Key: 'doc' }));
    assert.equal(del.DeleteMarker, true);
    assert.equal(del.VersionId, '3');
    // The key reads as absent: 404 NoSuchKey with the marker's headers; the marker itself is not an object.
    const absent = await fetch(await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'undo', Key: 'doc' })));
    assert.equal(absent.status, 404);
    assert.match(await absent.text(), /<Code>NoSuchKey<\/Code>/);
    assert.equal(absent.headers.get('x-amz-delete-marker'), 'true');
    assert.equal(absent.headers.get('x-amz-version-id'), '3');
    assert.equal((await s3Error(s3.send(new HeadObjectCommand({ Bucket: 'undo', Key: 'doc' })))).$metadata.httpStatusCode, 404);
    const onMarker = await s3Error(s3.send(new GetObjectCommand({ Bucket: 'undo', Key: 'doc', VersionId: '3' })));
    assert.equal(onMarker.name, 'MethodNotAllowed');
    assert.equal(onMarker.$metadata.httpStatusCode, 405);
    assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'undo', Key: 'doc', VersionId: '2' }))).Body!.transformToString(), 'two');
    // Copies: not from a deleted key, not from a marker; from a kept version, yes.
    assert.equal((await s3Error(s3.send(new CopyObjectCommand({ Bucket: 'undo', Key: 'c', CopySource: 'undo/doc' })))).name, 'NoSuchKey');
    assert.equal((await s3Error(s3.send(new CopyObjectCommand({ Bucket: 'undo', Key: 'c', CopySource: 'undo/doc?versionId=3' })))).name, 'InvalidRequest');
    await s3.send(new CopyObjectCommand({ Bucket: 'undo', Key: 'c', CopySource: 'undo/doc?versionId=1' }));
    assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'undo', Key: 'c' }))).Body!.transformToString(), 'one');
    // A batch delete adds markers too; a folder whose keys are all deleted is no common prefix.
    const batch = await s3.send(new DeleteObjectsCommand({ Bucket: 'undo', Delete: { Objects: [{ Key: 'dir/a' }, { Key: 'dir/b' }, { Key: 'c' }] } }));
    assert.deepEqual(batch.Deleted?.map((d) => [d.Key, d.DeleteMarker, d.DeleteMarkerVersionId]).sort(), [['c', true, '2'], ['dir/a', true, '2'], ['dir/b', true, '2']]);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'undo', Delimiter: '/' }));
    assert.deepEqual(listed.Contents?.map((o) => o.Key), ['keep']);
    assert.equal(listed.CommonPrefixes, undefined);
    assert.equal(listed.KeyCount, 1);
    assert.deepEqual((await s3.send(new ListObjectsCommand({ Bucket: 'undo' }))).Contents?.map((o) => o.Key), ['keep']);
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket: 'undo', Prefix: 'doc' }));
    assert.deepEqual(versions.DeleteMarkers?.map((m) => [m.Key, m.VersionId, m.IsLatest]), [['doc', '3', true]]);
    assert.deepEqual(versions.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest]), [['doc', '2', false], ['doc', '1', false]]);
    // Markers count as entries of a page.
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: 'undo', Prefix: 'doc', MaxKeys: 1 }));
    assert.equal(page.IsTruncated, true);
    assert.equal(page.DeleteMarkers?.length, 1);
    assert.equal(page.NextVersionIdMarker, '3');
    // A key that reads as absent may be written with If-None-Match: *.
    await s3.send(new PutObjectCommand({ Bucket: 'undo', Key: 'dir/a', Body: 'again', IfNoneMatch: '*' }));
    assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'undo', Key: 'dir/a' }))).Body!.transformToString(), 'again');
    // Removing the marker by its version id undeletes; a bucket with versions or markers is not empty.
    const undo = await s3.send(new DeleteObjectCommand({ Bucket: 'undo', Key: 'doc', VersionId: '3' }));
    assert.equal(undo.DeleteMarker, true);
    assert.equal(undo.VersionId, '3');
    assert.equal(await (await s3.send(new GetObjectCommand({ Bucket: 'undo', Key: 'doc' }))).Body!.transformToString(), 'two');
    assert.equal((await s3Error(s3.send(new DeleteBucketCommand({ Bucket: 'undo' })))).name, 'BucketNotEmpty');
    // Suspended: a delete removes the object, as without versioning.
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'undo', VersioningConfiguration: { Status: 'Suspended' } }));
    const gone = await s3.send(new DeleteObjectCommand({ Bucket: 'undo', Key: 'keep' }));
    assert.equal(gone.DeleteMarker, undefined);
    assert.deepEqual((await s3.send(new ListObjectVersionsCommand({ Bucket: 'undo', Prefix: 'keep' }))).Versions, undefined);
  });
});

describe('S3 API over TLS and with virtual-hosted-style addressing', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let node: RunningNode;
  let key: { id: string; secret: string };
  let pki: ReturnType<typeof makeTestPki>;

  before(async () => {
    ({ dir, cleanup } = await tempDir('dcs-s3-tls-'));
    pki = makeTestPki(dir);
    const repoDir = join(dir, 'repo');
    await initRepository(repoDir, {});
    const repo = await openRepository(repoDir, { workers: 0 });
    key = await createAccessKey(repo, await SecretVault.open(repoDir, {}, true));
    await repo.close();
    // The main port asks for client certificates; the S3 port does not (clients sign instead).
    node = await startNode({
      role: 'all',
      host: '127.0.0.1',
      port: 0,
      token: 't',
      tls: { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.ca },
      repoDir,
      openOptions: { workers: 0 },
      http: false,
      s3: { host: '127.0.0.1', port: 0, baseDomain: 's3.test' },
      log: pino({ level: 'silent' }),
    });
  });

  after(async () => {
    await node.close(1000);
    await cleanup();
  });

  it('serves https with the node certificate, without asking S3 clients for one', async () => {
    assert.match(node.s3Url!, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(pki.ca);
    const s3 = new S3Client({
      endpoint: node.s3Url!,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: key.id, secretAccessKey: key.secret },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca }) }),
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'secure' }));
    await s3.send(new PutObjectCommand({ Bucket: 'secure', Key: 'x', Body: 'over tls' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'secure', Key: 'x' }));
    assert.equal(await got.Body!.transformToString(), 'over tls');
  });

  it('names the bucket by host name under the configured base domain', async () => {
    const port = new URL(node.s3Url!).port;
    const ca = readFileSync(pki.ca);
    // bucket.s3.test resolves to this machine, and the certificate is for 127.0.0.1 (checked by IP).
    const lookup = (_host: string, options: { all?: boolean }, cb: (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void): void =>
      options.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
    const s3 = new S3Client({
      endpoint: `https://s3.test:${port}`,
      forcePathStyle: false,
      region: 'us-east-1',
      credentials: { accessKeyId: key.id, secretAccessKey: key.secret },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca, lookup, checkServerIdentity: () => undefined }) }),
    });
    await s3.send(new PutObjectCommand({ Bucket: 'secure', Key: 'vhost/y', Body: 'virtual host' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'secure', Prefix: 'vhost/' }));
    assert.deepEqual(listed.Contents?.map((c) => c.Key), ['vhost/y']);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'secure', Key: 'vhost/y' }));
    assert.equal(await got.Body!.transformToString(), 'virtual host');
  });
});
