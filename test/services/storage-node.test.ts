// A storage node (`dcs serve --role storage`: StorageService and the data plane over a real fs
// store) reached through RemoteBlobStore must pass the same BlobStore conformance suite as every
// other store, over plaintext and over mutual TLS, with put/get on the data plane and, for other
// clients, over gRPC; hostile keys, missing tokens and foreign client certificates are refused with
// clear errors. test/services/storage-data-plane.test.ts attacks the data plane itself.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { BackendError, UsageError } from '../../src/core/errors.ts';
import { StorageService } from '../../src/services/gen/dcs/v1/storage_pb.js';
import { RemoteBlobStore } from '../../src/services/remote-blob-store.ts';
import { createTransport, type ClientTls } from '../../src/services/transport.ts';
import { blobStoreConformance } from '../conformance/blob-store.ts';
import { tempDir } from '../helpers/cli.ts';
import { storageNode, NODE_TOKEN } from '../helpers/storage-node.ts';
import { makeTestPki } from '../helpers/tls.ts';

const TOKEN = NODE_TOKEN;

blobStoreConformance('remote storage node (data plane, plaintext)', async () => {
  const { node, cleanup } = await storageNode();
  return { store: new RemoteBlobStore('node0', node.url.replace('http:', 'grpc:'), { token: TOKEN }), cleanup };
});

// PutObject and GetObject stay the documented contract for other clients.
blobStoreConformance('remote storage node (gRPC PutObject/GetObject, plaintext)', async () => {
  const { node, cleanup } = await storageNode();
  return { store: new RemoteBlobStore('node0', node.url.replace('http:', 'grpc:'), { token: TOKEN, bulk: 'grpc' }), cleanup };
});

const pkiDir = await tempDir('dcs-pki-');
const pki = makeTestPki(pkiDir.dir);
const clientTls: ClientTls = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };

blobStoreConformance('remote storage node (data plane, mutual TLS)', async () => {
  const { node, cleanup } = await storageNode({ tls: { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.ca } });
  return { store: new RemoteBlobStore('node0', node.url, { token: TOKEN, tls: clientTls }), cleanup };
});

describe('storage node security and limits', () => {
  it('refuses calls without the node token, or with a wrong one', async () => {
    const { node, cleanup } = await storageNode();
    try {
      for (const token of [undefined, 'wrong']) {
        const store = new RemoteBlobStore('node0', node.url, token ? { token } : {});
        const refused = (e: unknown): boolean => e instanceof BackendError && /token/.test(e.message) && !e.retryable;
        await assert.rejects(store.head('chunks/aa/x'), (e: unknown) => e instanceof BackendError && /token/.test(e.message));
        await assert.rejects(store.put('chunks/aa/x', new Uint8Array([1])), refused);
        await assert.rejects(store.get('chunks/aa/x'), refused);
        await store.close();
      }
    } finally {
      await cleanup();
    }
  });

  it('refuses a client certificate from another CA under mutual TLS', async () => {
    const { node, cleanup } = await storageNode({ tls: { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.ca } });
    try {
      const intruder = new RemoteBlobStore('node0', node.url, { token: TOKEN, tls: { ca: pki.ca, cert: pki.otherClientCert, key: pki.otherClientKey }, timeoutMs: 5000 });
      await assert.rejects(intruder.head('chunks/aa/x'), BackendError);
      await assert.rejects(intruder.put('chunks/aa/x', new Uint8Array([1])), BackendError);
      await assert.rejects(intruder.get('chunks/aa/x'), BackendError);
      const noCert = new RemoteBlobStore('node0', node.url, { token: TOKEN, tls: { ca: pki.ca }, timeoutMs: 5000 });
      await assert.rejects(noCert.head('chunks/aa/x'), BackendError);
      await assert.rejects(noCert.put('chunks/aa/x', new Uint8Array([1])), BackendError);
      await intruder.close();
      await noCert.close();
    } finally {
      await cleanup();
    }
  });

  it('answers hostile keys with INVALID_ARGUMENT and writes nothing outside its root', async () => {
    const { node, root, cleanup } = await storageNode();
    try {
      const conn = createTransport(node.url, { token: TOKEN });
      const client = createClient(StorageService, conn.transport);
      for (const key of ['../escape', '/etc/passwd', 'chunks/../../x', 'a\\b', '', 'a//b']) {
        await assert.rejects(client.putObject({ key, data: new Uint8Array([1]) }), (e: unknown) => e instanceof ConnectError && e.code === Code.InvalidArgument);
      }
      const { readdir } = await import('node:fs/promises');
      assert.deepEqual((await readdir(root)).sort(), ['data']);
      // The remote store refuses them before sending, with the same error type as a local store.
      const store = new RemoteBlobStore('node0', node.url, { token: TOKEN });
      await assert.rejects(store.put('../x', new Uint8Array(1)), UsageError);
      await store.close();
      conn.close();
    } finally {
      await cleanup();
    }
  });

  it('refuses messages over the size limit', async () => {
    const { node, cleanup } = await storageNode();
    try {
      const conn = createTransport(node.url, { token: TOKEN });
      const client = createClient(StorageService, conn.transport);
      const { RPC_READ_MAX_BYTES } = await import('../../src/services/limits.ts');
      await assert.rejects(
        client.putObject({ key: 'chunks/aa/big', data: new Uint8Array(RPC_READ_MAX_BYTES + 1) }),
        (e: unknown) => e instanceof ConnectError && e.code === Code.ResourceExhausted,
      );
      conn.close();
    } finally {
      await cleanup();
    }
  });

  it('serves plain HTTP/1.1 on the same port as gRPC', async () => {
    const { node, cleanup } = await storageNode();
    try {
      const res = await fetch(`${node.url}/nope`);
      assert.equal(res.status, 404);
    } finally {
      await cleanup();
    }
  });
});

process.on('exit', () => void pkiDir.cleanup());
