// The Azure Blob store against a real Azure emulator (Azurite): the shared conformance suite with
// and without a name prefix, staged (block) uploads, error classification (outage retryable, bad
// key not), URL parsing and credential checks.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BackendError, ConfigError } from '../../src/core/errors.ts';
import { AzureBlobStore, parseAzureUrl, translateAzureError } from '../../src/storage/azure-store.ts';
import { openBlobStore } from '../../src/storage/registry.ts';
import { blobStoreConformance } from '../conformance/blob-store.ts';
import { azuriteConnectionString, startAzurite, type RunningAzurite } from '../helpers/azurite.ts';
import { randomBytes } from '../helpers/data.ts';

const MiB = 1024 * 1024;

// One emulator for the whole file; every test gets its own container.
const azurite = await startAzurite();
after(() => azurite.close());
process.env.AZURE_STORAGE_CONNECTION_STRING = azurite.connectionString;

let counter = 0;
async function freshStore(extra: { prefix?: string; multipartThreshold?: number; blockSize?: number; maxTries?: number } = {}, server: RunningAzurite = azurite): Promise<AzureBlobStore> {
  const store = new AzureBlobStore({ name: 'azure', container: `test-${++counter}`, credentials: { connectionString: server.connectionString }, ...extra });
  await store.init();
  return store;
}

// Azurite (one Node process) now and then hangs up on a connection when the conformance suite
// starts 2500 uploads at once; that surfaces as a retryable BackendError, which in a repository
// the retry wrapper absorbs. Here the SDK's own retry (maxTries 3) stands in for that wrapper.
blobStoreConformance('azure (Azurite)', async () => ({ store: await freshStore({ maxTries: 3 }), cleanup: async () => {} }));
blobStoreConformance('azure (Azurite) with a name prefix', async () => {
  const store = await freshStore({ prefix: 'tenant/dcs', maxTries: 3 });
  // Neighbours outside the prefix must stay invisible to list.
  const neighbour = new AzureBlobStore({ name: 'n', container: store.container, credentials: { connectionString: azurite.connectionString } });
  await neighbour.put('chunks/ab/outside', new Uint8Array([1]));
  await neighbour.put('tenant/other', new Uint8Array([1]));
  return { store, cleanup: async () => {} };
});

describe('azure store', () => {
  it('puts an object above the threshold as staged blocks and reads it back whole and in ranges', async () => {
    const store = await freshStore({ multipartThreshold: 8 * MiB, blockSize: 6 * MiB });
    const data = randomBytes(20 * MiB, 78);
    await store.put('big/object', data);
    assert.equal((await store.head('big/object'))?.size, data.length);
    assert.ok(Buffer.from(await store.get('big/object')).equals(data));
    for (const [offset, length] of [[0, 100], [6 * MiB - 10, 20], [20 * MiB - 5, 100]] as const) {
      assert.ok(Buffer.from(await store.get('big/object', { range: { offset, length } })).equals(data.subarray(offset, offset + length)));
    }
    // The committed block list proves the staged path: 20 MiB in 6 MiB blocks is four blocks.
    const { BlobServiceClient } = await import('@azure/storage-blob');
    const blocks = await BlobServiceClient.fromConnectionString(azurite.connectionString)
      .getContainerClient(store.container)
      .getBlockBlobClient('big/object')
      .getBlockList('committed');
    assert.equal(blocks.committedBlocks?.length, 4);
  });

  it('a stopped emulator gives a retryable BackendError', async () => {
    const down = await startAzurite();
    try {
      const store = await freshStore({}, down);
      await store.put('k/x', new Uint8Array([1]));
      await down.close();
      for (const op of [() => store.get('k/x'), () => store.put('k/y', new Uint8Array([2])), () => store.head('k/x')]) {
        await assert.rejects(op(), (e: unknown) => e instanceof BackendError && e.retryable && e.backend === 'azure');
      }
    } finally {
      await down.close();
    }
  });

  it('a wrong account key gives a non-retryable BackendError', async () => {
    const wrongKey = Buffer.from('not the azurite key, not at all!').toString('base64');
    const store = new AzureBlobStore({ name: 'azure', container: 'test-auth', credentials: { connectionString: azuriteConnectionString(azurite.blobEndpoint, wrongKey) } });
    await assert.rejects(store.put('k/x', new Uint8Array([1])), (e: unknown) => e instanceof BackendError && !e.retryable && /access denied/.test(e.message));
    await assert.rejects(store.get('k/x'), (e: unknown) => e instanceof BackendError && !e.retryable);
  });

  it('a missing container is a clear non-retryable error', async () => {
    const store = new AzureBlobStore({ name: 'azure', container: 'never-created', credentials: { connectionString: azurite.connectionString } });
    await assert.rejects(store.put('k/x', new Uint8Array([1])), (e: unknown) => e instanceof BackendError && !e.retryable && /never-created does not exist/.test(e.message));
    await assert.rejects(store.get('k/x'), (e: unknown) => e instanceof BackendError && !e.retryable && /does not exist/.test(e.message));
  });

  it('opens from an azure:// URL through the registry, with the connection string from the environment', async () => {
    const store = await openBlobStore({ name: 'cloud', url: 'azure://registry-test/reg/prefix' });
    try {
      assert.ok(store instanceof AzureBlobStore);
      await store.init();
      await store.put('chunks/aa/x', new Uint8Array([5]));
      const raw = new AzureBlobStore({ name: 'raw', container: 'registry-test', credentials: { connectionString: azurite.connectionString } });
      assert.deepEqual(await raw.get('reg/prefix/chunks/aa/x'), new Uint8Array([5]));
    } finally {
      await store.close?.();
    }
  });
});

describe('azure URLs, credentials and error classification', () => {
  const env = { AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' };

  it('parses container, prefix and options; account + key with a default or given endpoint', () => {
    assert.deepEqual(parseAzureUrl('a', '//my-container/x/y', env), { name: 'a', container: 'my-container', prefix: 'x/y', credentials: { connectionString: 'UseDevelopmentStorage=true' } });
    assert.deepEqual(parseAzureUrl('a', '//box', { AZURE_STORAGE_ACCOUNT: 'acct', AZURE_STORAGE_KEY: 'k' }).credentials, {
      account: 'acct',
      key: 'k',
      accountUrl: 'https://acct.blob.core.windows.net',
    });
    assert.deepEqual(parseAzureUrl('a', '//box?endpoint=http://127.0.0.1:10000/acct&block_size=8388608', { AZURE_STORAGE_ACCOUNT: 'acct', AZURE_STORAGE_KEY: 'k' }), {
      name: 'a',
      container: 'box',
      blockSize: 8388608,
      credentials: { account: 'acct', key: 'k', accountUrl: 'http://127.0.0.1:10000/acct' },
    });
  });

  it('rejects malformed URLs and missing credentials with ConfigError', () => {
    for (const rest of ['box', '//', '//Box', '//a', '//bad--name', '//box/../x', '//box?nope=1', '//box?sig=abc', '//box?endpoint=nope']) {
      assert.throws(() => parseAzureUrl('a', rest, env), ConfigError, rest);
    }
    assert.throws(() => parseAzureUrl('a', '//box', {}), (e: unknown) => e instanceof ConfigError && /AZURE_STORAGE_CONNECTION_STRING/.test(e.message));
    assert.throws(() => parseAzureUrl('a', '//box', { AZURE_STORAGE_ACCOUNT: 'acct' }), ConfigError);
  });

  it('classifies SDK errors: 5xx, throttling and resets retryable; 4xx and auth not', () => {
    const rest = (statusCode: number | undefined, code: string) => Object.assign(new Error(code), { name: 'RestError', statusCode, code });
    const cls = (err: unknown) => {
      const e = translateAzureError(err, 'az', 'get', 'c', 'k');
      return e instanceof BackendError ? (e.retryable ? 'retry' : 'fail') : e.constructor.name;
    };
    assert.equal(cls(rest(404, 'BlobNotFound')), 'BlobNotFoundError');
    assert.equal(cls(rest(404, 'ContainerNotFound')), 'fail');
    assert.equal(cls(rest(500, 'InternalError')), 'retry');
    assert.equal(cls(rest(503, 'ServerBusy')), 'retry');
    assert.equal(cls(rest(429, 'TooManyRequests')), 'retry');
    assert.equal(cls(rest(403, 'AuthenticationFailed')), 'fail');
    assert.equal(cls(rest(400, 'InvalidHeaderValue')), 'fail');
    assert.equal(cls(rest(undefined, 'REQUEST_SEND_ERROR')), 'retry');
    assert.equal(cls(rest(undefined, 'ECONNREFUSED')), 'retry');
  });
});
