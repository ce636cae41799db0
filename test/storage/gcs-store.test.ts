// GcsBlobStore against the in-process FAKE GCS server (test/helpers/fake-gcs.ts), or against a real
// bucket when DCS_TEST_GCS_BUCKET is set (credentials from the client's standard chain; every test
// object lives under a unique dcs-test/… prefix and is deleted afterwards; fault tests are skipped).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BackendError, BlobNotFoundError, ConfigError } from '../../src/core/errors.ts';
import { download } from '../../src/engine/download.ts';
import { upload } from '../../src/engine/upload.ts';
import { initRepository } from '../../src/repository/init-repository.ts';
import { openEngine } from '../../src/repository/open-engine.ts';
import { FsBlobStore } from '../../src/storage/fs-store.ts';
import { GcsBlobStore, parseGcsLocation, translateGcsError } from '../../src/storage/gcs-store.ts';
import { openBlobStore, parseBackendUrl } from '../../src/storage/registry.ts';
import { blobStoreConformance } from '../conformance/blob-store.ts';
import { tempDir } from '../helpers/cli.ts';
import { collect, pieces, randomBytes, textBytes } from '../helpers/data.ts';
import { SMALL_CHUNKS } from '../helpers/engine.ts';
import { FakeGcs } from '../helpers/fake-gcs.ts';

const REAL_BUCKET = process.env.DCS_TEST_GCS_BUCKET || undefined;
const RUN_ID = randomUUID().slice(0, 8);

// The client reads STORAGE_EMULATOR_HOST when a Storage is constructed: set it before any store.
let fake: FakeGcs | undefined;
if (REAL_BUCKET === undefined) {
  fake = await FakeGcs.start();
  process.env.STORAGE_EMULATOR_HOST = fake.url;
}
after(async () => {
  await fake?.close();
});

let counter = 0;
const SHARED_BUCKET = REAL_BUCKET ?? 'dcs-shared';
fake?.createBucket(SHARED_BUCKET);

/** A fresh, isolated location: its own bucket on the fake, a unique prefix on a real bucket. */
function freshLocation(withPrefix: boolean): { bucket: string; prefix: string } {
  const n = ++counter;
  if (REAL_BUCKET !== undefined) return { bucket: REAL_BUCKET, prefix: `dcs-test/${RUN_ID}/${n}${withPrefix ? '/sub' : ''}` };
  if (withPrefix) return { bucket: SHARED_BUCKET, prefix: `p${n}/sub` };
  const bucket = `dcs-test-${n}`;
  fake!.createBucket(bucket);
  return { bucket, prefix: '' };
}

/** Delete everything under a prefix (real-bucket runs leave nothing behind). */
async function wipe(bucket: string, prefix: string): Promise<void> {
  if (REAL_BUCKET === undefined) return;
  const root = new GcsBlobStore({ name: 'cleanup', bucket });
  const keys: string[] = [];
  for await (const info of root.list(`${prefix}/`)) keys.push(info.key);
  for (let i = 0; i < keys.length; i += 32) await Promise.all(keys.slice(i, i + 32).map((k) => root.delete(k)));
}

blobStoreConformance(REAL_BUCKET ? `gcs (real bucket ${REAL_BUCKET}, unique prefix)` : 'gcs (fake server, no prefix)', async () => {
  const { bucket, prefix } = freshLocation(false);
  // A small page size makes the 2,500-key listing cross many pages.
  const store = new GcsBlobStore({ name: 'gcs', bucket, prefix, pageSize: 100 });
  return { store, cleanup: () => wipe(bucket, prefix) };
});

blobStoreConformance(REAL_BUCKET ? `gcs (real bucket ${REAL_BUCKET}, nested prefix)` : 'gcs (fake server, with prefix)', async () => {
  const { bucket, prefix } = freshLocation(true);
  // Neighbours that share the prefix as a string but not as a folder must stay invisible.
  const root = new GcsBlobStore({ name: 'root', bucket });
  await root.put(`${prefix}x/chunks/aa/neighbour`, new Uint8Array([7]));
  await root.put(`${prefix.split('/').slice(0, -1).join('/')}/other/k`, new Uint8Array([7]));
  const store = new GcsBlobStore({ name: 'gcs', bucket, prefix, pageSize: 100 });
  return {
    store,
    cleanup: async () => {
      await wipe(bucket, prefix.split('/').slice(0, -1).join('/'));
    },
  };
});

describe('gcs store', () => {
  it('reads ranges and reports missing objects', async () => {
    const { bucket, prefix } = freshLocation(true);
    const store = new GcsBlobStore({ name: 'gcs', bucket, prefix });
    try {
      const data = randomBytes(100_000, 3);
      await store.put('chunks/ab/obj', data);
      assert.deepEqual(await store.get('chunks/ab/obj', { range: { offset: 0, length: 1 } }), data.subarray(0, 1));
      assert.deepEqual(await store.get('chunks/ab/obj', { range: { offset: 65_536, length: 20_000 } }), data.subarray(65_536, 85_536));
      assert.deepEqual(await store.get('chunks/ab/obj', { range: { offset: 99_999, length: 10 } }), data.subarray(99_999));
      assert.equal((await store.get('chunks/ab/obj', { range: { offset: 100_000, length: 10 } })).length, 0, 'a range at the end is empty');
      assert.equal((await store.get('chunks/ab/obj', { range: { offset: 200_000, length: 10 } })).length, 0, 'a range past the end is empty');
      const got = await store.get('chunks/ab/obj');
      assert.equal(Object.getPrototypeOf(got), Uint8Array.prototype, 'plain Uint8Array, not Buffer');

      for (const range of [undefined, { offset: 5, length: 5 }, { offset: 0, length: 0 }]) {
        await assert.rejects(store.get('chunks/ab/missing', range ? { range } : {}), (e: unknown) => {
          assert.ok(e instanceof BlobNotFoundError, String(e));
          assert.equal(e.key, 'chunks/ab/missing');
          assert.equal(e.backend, 'gcs');
          return true;
        });
      }
      const info = await store.head('chunks/ab/obj');
      assert.equal(info?.size, 100_000);
      assert.ok(info?.modifiedAt !== undefined && Math.abs(info.modifiedAt - Date.now()) < 10 * 60_000, 'updated time parsed');
    } finally {
      await wipe(bucket, prefix.split('/').slice(0, -1).join('/'));
    }
  });

  it('honours an aborted signal', async () => {
    const { bucket, prefix } = freshLocation(true);
    const store = new GcsBlobStore({ name: 'gcs', bucket, prefix });
    const aborted = AbortSignal.abort();
    await assert.rejects(store.put('a/b', new Uint8Array([1]), { signal: aborted }), { name: 'AbortError' });
    await assert.rejects(store.get('a/b', { signal: aborted }), { name: 'AbortError' });
  });

  it('parses gs:// URLs and opens them through the registry; malformed URLs are ConfigErrors', async () => {
    assert.deepEqual(parseGcsLocation('//my-bucket'), { bucket: 'my-bucket', prefix: '' });
    assert.deepEqual(parseGcsLocation('//my.bucket_1/a/b/'), { bucket: 'my.bucket_1', prefix: 'a/b' });
    for (const bad of ['gs:bucket', 'gs://', 'gs://B', 'gs://ab', 'gs://-bucket', 'gs://bucket/a//b', 'gs://bucket/../x', 'gs://bucket?x=1', 'gs:///path']) {
      await assert.rejects(openBlobStore({ name: 'g', url: bad }), ConfigError, bad);
    }
    assert.equal(parseBackendUrl('gs://bkt/p').scheme, 'gs');
    const store = await openBlobStore({ name: 'cloud', url: 'gs://some-bucket/dcs/repo1/' });
    assert.ok(store instanceof GcsBlobStore);
    assert.equal(store.name, 'cloud');
    assert.equal(store.bucketName, 'some-bucket');
    assert.equal(store.prefix, 'dcs/repo1/');
  });

  it('maps statuses and network errors to retryable or permanent BackendErrors', () => {
    const status = (code: number) => translateGcsError(Object.assign(new Error(`HTTP ${code}`), { code }), 'g', 'get');
    for (const code of [408, 429, 500, 502, 503, 504]) assert.ok((status(code) as BackendError).retryable, `${code}`);
    for (const code of [400, 401, 403, 404, 412]) {
      const e = status(code);
      assert.ok(e instanceof BackendError && !e.retryable, `${code}`);
    }
    const net = (code: string) => translateGcsError(Object.assign(new Error(code), { code }), 'g', 'put') as BackendError;
    assert.ok(net('ECONNRESET').retryable);
    assert.ok(net('ETIMEDOUT').retryable);
    assert.ok(net('FILE_NO_UPLOAD').retryable, 'checksum mismatch in transit');
    assert.ok(!net('EWHATEVER').retryable);
    const creds = translateGcsError(new Error('Could not load the default credentials.'), 'g', 'put') as BackendError;
    assert.ok(!creds.retryable && /GOOGLE_APPLICATION_CREDENTIALS/.test(creds.message));
    assert.ok(translateGcsError(Object.assign(new Error('x'), { code: 404 }), 'g', 'get', 'k') instanceof BlobNotFoundError);
  });

  it('replicates with an fs backend: files read back after every fs object is deleted', async () => {
    const { dir, cleanup } = await tempDir('dcs-gcs-');
    const { bucket, prefix } = freshLocation(true);
    try {
      await initRepository(dir, { chunking: SMALL_CHUNKS, backends: ['disk=fs:b1', `cloud=gs://${bucket}/${prefix}`], replicate: 2 });
      const data = randomBytes(400_000, 11);
      const text = textBytes(150_000, 12);
      const repo = await openEngine(dir, { workers: 0 });
      try {
        await upload(repo.ctx, pieces(data), { name: 'bin/data.bin' });
        await upload(repo.ctx, pieces(text), { name: 'notes.txt' });
      } finally {
        await repo.close();
      }
      const disk = new FsBlobStore({ name: 'disk', root: join(dir, 'b1') });
      const onDisk: string[] = [];
      for await (const info of disk.list('')) onDisk.push(info.key);
      assert.ok(onDisk.filter((k) => k.startsWith('chunks/')).length > 5, `chunks on disk: ${onDisk.length}`);
      const cloud = new GcsBlobStore({ name: 'cloud', bucket, prefix });
      const inCloud: string[] = [];
      for await (const info of cloud.list('')) inCloud.push(info.key);
      assert.deepEqual(inCloud, onDisk, 'replicate 2 over two backends: both hold every object');
      for (const k of onDisk) await disk.delete(k);

      const again = await openEngine(dir, { workers: 0 });
      try {
        assert.deepEqual(await collect((await download(again.ctx, 'bin/data.bin')).body), data);
        assert.deepEqual(await collect((await download(again.ctx, 'notes.txt')).body), text);
        assert.deepEqual(await collect((await download(again.ctx, 'bin/data.bin', { range: { start: 123_456, end: 234_567 } })).body), data.subarray(123_456, 234_568));
      } finally {
        await again.close();
      }
    } finally {
      await wipe(bucket, prefix.split('/').slice(0, -1).join('/'));
      await cleanup();
    }
  });
});

describe('gcs store against the fake: what the client sends and error mapping', { skip: REAL_BUCKET !== undefined && 'fault injection needs the fake' }, () => {
  const location = () => freshLocation(true);

  it('uses one multipart upload per put, media downloads with Range, and paged listings', async () => {
    const { bucket, prefix } = location();
    const store = new GcsBlobStore({ name: 'gcs', bucket, prefix, pageSize: 2 });
    for (const k of ['a/1', 'a/2', 'a/3']) await store.put(k, new Uint8Array([1, 2, 3]));
    fake!.requests.length = 0;
    await store.put('a/4', new Uint8Array([4]));
    await store.get('a/4', { range: { offset: 0, length: 1 } });
    await store.head('a/4');
    await store.delete('a/4');
    const keys: string[] = [];
    for await (const info of store.list('a/')) keys.push(info.key);
    assert.deepEqual(keys, ['a/1', 'a/2', 'a/3']);
    const seen = fake!.requests.map((r) => `${r.method} ${r.url}`).filter((r) => r.includes(encodeURIComponent(`${prefix}/`)));
    const obj = encodeURIComponent(`${prefix}/a/4`);
    assert.deepEqual(seen, [
      `POST /upload/storage/v1/b/${bucket}/o?uploadType=multipart&name=${obj}`,
      `GET /b/${bucket}/o/${obj}?alt=media`,
      `GET /b/${bucket}/o/${obj}?`,
      `DELETE /b/${bucket}/o/${obj}?`,
      `GET /b/${bucket}/o?prefix=${encodeURIComponent(`${prefix}/a/`)}&maxResults=2`,
      seen[5]!,
    ]);
    assert.match(seen[5]!, /&pageToken=/);
  });

  it('503 from the service → retryable BackendError for every operation', async () => {
    const { bucket, prefix } = location();
    const store = new GcsBlobStore({ name: 'gcs', bucket, prefix });
    await store.put('x/1', new Uint8Array([1]));
    fake!.fault = { status: 503, message: 'Service Unavailable' };
    try {
      const ops: [string, () => Promise<unknown>][] = [
        ['put', () => store.put('x/2', new Uint8Array([1]))],
        ['get', () => store.get('x/1')],
        ['get', () => store.get('x/1', { range: { offset: 0, length: 1 } })],
        ['head', () => store.head('x/1')],
        ['delete', () => store.delete('x/1')],
        ['list', () => collect(store.list('x/') as AsyncIterable<never>)],
      ];
      for (const [op, fn] of ops) {
        await assert.rejects(fn(), (e: unknown) => {
          assert.ok(e instanceof BackendError, `${op}: ${String(e)}`);
          assert.equal(e.retryable, true, op);
          assert.equal(e.operation, op);
          assert.equal(e.backend, 'gcs');
          assert.match(e.message, /503/);
          return true;
        });
      }
    } finally {
      fake!.fault = undefined;
    }
    assert.deepEqual(await store.get('x/1'), new Uint8Array([1]), 'nothing stored was lost');
  });

  it('403 and 429', async () => {
    const { bucket, prefix } = location();
    const store = new GcsBlobStore({ name: 'gcs', bucket, prefix });
    try {
      fake!.fault = { status: 403, message: 'caller does not have storage.objects.create access' };
      for (const fn of [() => store.put('x/1', new Uint8Array([1])), () => store.get('x/1'), () => store.head('x/1')]) {
        await assert.rejects(fn(), (e: unknown) => e instanceof BackendError && !e.retryable && /permission denied/.test(e.message));
      }
      fake!.fault = { status: 429, message: 'rate limit' };
      await assert.rejects(store.put('x/1', new Uint8Array([1])), (e: unknown) => e instanceof BackendError && e.retryable);
    } finally {
      fake!.fault = undefined;
    }
  });

  it('a missing bucket is a permanent error, not "object not found"', async () => {
    const store = new GcsBlobStore({ name: 'gcs', bucket: 'no-such-bucket' });
    await assert.rejects(store.put('x/1', new Uint8Array([1])), (e: unknown) => e instanceof BackendError && !e.retryable && /bucket/.test(e.message));
    await assert.rejects(collect(store.list('') as AsyncIterable<never>), (e: unknown) => e instanceof BackendError && !e.retryable);
    for (const fn of [() => store.get('x/1'), () => store.head('x/1')]) {
      await assert.rejects(fn(), (e: unknown) => e instanceof BackendError && !e.retryable && /bucket does not exist/.test(e.message));
    }
  });

  it('a service that stops answering → retryable timeout', async () => {
    const { bucket, prefix } = location();
    const store = new GcsBlobStore({ name: 'gcs', bucket, prefix, timeoutMs: 300 });
    fake!.fault = 'hang';
    try {
      const started = Date.now();
      for (const fn of [() => store.get('x/1'), () => store.put('x/1', new Uint8Array([1])), () => store.head('x/1')]) {
        await assert.rejects(fn(), (e: unknown) => e instanceof BackendError && e.retryable && /timeout/.test(e.message));
      }
      assert.ok(Date.now() - started < 10_000);
    } finally {
      fake!.fault = undefined;
    }
  });
});
