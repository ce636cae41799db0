// The S3 store against a real S3 emulator (s3rver): the shared conformance suite with and without
// a key prefix, multipart uploads, error classification (outage retryable, bad credentials not),
// URL parsing and credential checks.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BackendError, ConfigError } from '../../src/core/errors.ts';
import { openBlobStore } from '../../src/storage/registry.ts';
import { parseS3Url, S3BlobStore, translateS3Error } from '../../src/storage/s3-store.ts';
import { blobStoreConformance } from '../conformance/blob-store.ts';
import { randomBytes } from '../helpers/data.ts';
import { startS3rver, useS3rverCredentials, type RunningS3rver } from '../helpers/s3rver.ts';

useS3rverCredentials();
const MiB = 1024 * 1024;

let counter = 0;
/** Each conformance test gets its own empty prefix inside one shared bucket (or its own bucket server). */
function s3Factory(withPrefix: boolean) {
  return async () => {
    const server = await startS3rver();
    const store = new S3BlobStore({
      name: 's3',
      bucket: server.bucket,
      endpoint: server.endpoint,
      forcePathStyle: true,
      ...(withPrefix ? { prefix: `tenant/run-${++counter}` } : {}),
    });
    if (withPrefix) {
      // A neighbour outside the prefix must stay invisible to list.
      const neighbour = new S3BlobStore({ name: 'n', bucket: server.bucket, endpoint: server.endpoint, forcePathStyle: true });
      await neighbour.put('chunks/ab/outside', new Uint8Array([1]));
      await neighbour.put('tenant/other', new Uint8Array([1]));
      await neighbour.close();
    }
    return { store, cleanup: () => server.close() };
  };
}

blobStoreConformance('s3 (s3rver)', s3Factory(false));
blobStoreConformance('s3 (s3rver) with a key prefix', s3Factory(true));

describe('s3 store', () => {
  let server: RunningS3rver;
  before(async () => {
    server = await startS3rver();
  });
  after(async () => {
    await server.close();
  });
  const open = (extra: Partial<ConstructorParameters<typeof S3BlobStore>[0]> = {}) =>
    new S3BlobStore({ name: 's3', bucket: server.bucket, endpoint: server.endpoint, forcePathStyle: true, ...extra });

  it('puts an object above the multipart threshold in parts and reads it back whole and in ranges', async () => {
    const store = open({ multipartThreshold: 8 * MiB, partSize: 6 * MiB });
    try {
      const data = randomBytes(20 * MiB, 77);
      await store.put('big/object', data);
      assert.equal((await store.head('big/object'))?.size, data.length);
      assert.ok(Buffer.from(await store.get('big/object')).equals(data));
      for (const [offset, length] of [[0, 100], [6 * MiB - 10, 20], [20 * MiB - 5, 100]] as const) {
        assert.ok(Buffer.from(await store.get('big/object', { range: { offset, length } })).equals(data.subarray(offset, offset + length)));
      }
      // 20 MiB in 6 MiB parts: four UploadPart requests, one create and one complete.
      const parts = server.requests.filter((r) => r.startsWith('PUT /dcs-test/big/object?') && r.includes('partNumber='));
      assert.equal(parts.length, 4, server.requests.join('\n'));
      assert.equal(server.requests.filter((r) => r.startsWith('POST /dcs-test/big/object?uploads')).length, 1);
    } finally {
      await store.close();
    }
  });

  it('refuses a part size below 5 MiB', () => {
    assert.throws(() => open({ partSize: MiB }), ConfigError);
  });

  it('a stopped server gives a retryable BackendError', async () => {
    const down = await startS3rver();
    const store = new S3BlobStore({ name: 's3down', bucket: down.bucket, endpoint: down.endpoint, forcePathStyle: true });
    try {
      await store.put('k/x', new Uint8Array([1]));
      await down.stop();
      for (const op of [() => store.get('k/x'), () => store.put('k/y', new Uint8Array([2])), () => store.head('k/x')]) {
        await assert.rejects(op(), (e: unknown) => e instanceof BackendError && e.retryable && e.backend === 's3down');
      }
    } finally {
      await store.close();
      await down.close();
    }
  });

  it('wrong credentials give a non-retryable BackendError', async () => {
    const saved = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_ACCESS_KEY_ID = 'NOT-S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'wrong';
    const store = open();
    try {
      await assert.rejects(store.put('k/x', new Uint8Array([1])), (e: unknown) => e instanceof BackendError && !e.retryable && /access denied/.test(e.message));
      await assert.rejects(store.get('k/x'), (e: unknown) => e instanceof BackendError && !e.retryable);
    } finally {
      useS3rverCredentials();
      process.env.AWS_SECRET_ACCESS_KEY = saved;
      await store.close();
    }
  });

  it('a missing bucket is a clear non-retryable error, at init and on use', async () => {
    const store = open({ bucket: 'no-such-bucket' });
    try {
      await assert.rejects(store.init(), (e: unknown) => e instanceof BackendError && !e.retryable && /no-such-bucket does not exist/.test(e.message));
      await assert.rejects(store.put('k/x', new Uint8Array([1])), (e: unknown) => e instanceof BackendError && !e.retryable && /does not exist/.test(e.message));
    } finally {
      await store.close();
    }
  });

  it('opens from an s3:// URL through the registry', async () => {
    const store = await openBlobStore({ name: 'cloud', url: `s3://${server.bucket}/reg/prefix?endpoint=${encodeURIComponent(server.endpoint)}&path_style=true&region=eu-west-1` });
    try {
      assert.ok(store instanceof S3BlobStore);
      assert.equal(store.prefix, 'reg/prefix/');
      await store.put('chunks/aa/x', new Uint8Array([5]));
      assert.deepEqual(await open({ prefix: 'reg/prefix' }).get('chunks/aa/x'), new Uint8Array([5]));
    } finally {
      await store.close?.();
    }
  });
});

describe('s3 URLs, credentials and error classification', () => {
  it('parses bucket, prefix and options', () => {
    assert.deepEqual(parseS3Url('b', '//my-bucket'), { name: 'b', bucket: 'my-bucket' });
    assert.deepEqual(parseS3Url('b', '//my-bucket/a/b/?region=us-west-2&endpoint=http://127.0.0.1:9000&path_style=true&multipart_threshold=8388608&part_size=5242880'), {
      name: 'b',
      bucket: 'my-bucket',
      prefix: 'a/b',
      region: 'us-west-2',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
      multipartThreshold: 8388608,
      partSize: 5242880,
    });
  });

  it('rejects malformed URLs with ConfigError', () => {
    for (const rest of ['bucket', '//', '//B', '//ab', '//bucket/../x', '//bucket?nope=1', '//bucket?path_style=yes', '//bucket?endpoint=ftp://x', '//bucket?secret_key=x', '//bucket?part_size=1024']) {
      assert.throws(() => parseS3Url('b', rest), ConfigError, rest);
    }
  });

  it('missing credentials are a ConfigError at open', async () => {
    const saved = { ...process.env };
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_SESSION_TOKEN']) delete process.env[k];
    // No shared config, no container credentials, and instance metadata switched off.
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    try {
      await assert.rejects(openBlobStore({ name: 'cloud', url: 's3://bucket-x' }), (e: unknown) => e instanceof ConfigError && /no AWS credentials/.test(e.message));
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('classifies SDK errors: 5xx, throttling and resets retryable; 4xx and auth not', () => {
    const sdk = (name: string, status?: number, extra: object = {}) =>
      Object.assign(new Error(name), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}), ...extra });
    const cls = (err: unknown, op = 'get') => {
      const e = translateS3Error(err, 's3', op, 'b', 'k');
      return e instanceof BackendError ? (e.retryable ? 'retry' : 'fail') : e.constructor.name;
    };
    assert.equal(cls(sdk('NoSuchKey', 404)), 'BlobNotFoundError');
    assert.equal(cls(sdk('NotFound', 404), 'head'), 'BlobNotFoundError');
    assert.equal(cls(sdk('NoSuchBucket', 404)), 'fail');
    assert.equal(cls(sdk('InternalError', 500)), 'retry');
    assert.equal(cls(sdk('SlowDown', 503)), 'retry');
    assert.equal(cls(sdk('TooManyRequests', 429)), 'retry');
    assert.equal(cls(sdk('AccessDenied', 403)), 'fail');
    assert.equal(cls(sdk('InvalidAccessKeyId', 403)), 'fail');
    assert.equal(cls(sdk('BadRequest', 400)), 'fail');
    assert.equal(cls(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), 'retry');
    assert.equal(cls(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), 'retry');
    assert.equal(cls(sdk('TimeoutError')), 'retry');
  });
});
