// A storage node (StorageService over a real fs store) reached through RemoteBlobStore must pass
// the same BlobStore conformance suite as every other store, over plaintext and over mutual TLS;
// hostile keys, missing tokens and foreign client certificates are refused with clear errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { BackendError, UsageError } from '../../src/core/errors.ts';
import { serverAuth } from '../../src/services/auth.ts';
import { StorageService } from '../../src/services/gen/dcs/v1/storage_pb.js';
import { listen, type RunningListener, type TlsFiles } from '../../src/services/listener.ts';
import { RemoteBlobStore } from '../../src/services/remote-blob-store.ts';
import { storageServiceImpl } from '../../src/services/storage-service.ts';
import { createTransport, type ClientTls } from '../../src/services/transport.ts';
import { FsBlobStore } from '../../src/storage/fs-store.ts';
import { blobStoreConformance } from '../conformance/blob-store.ts';
import { tempDir } from '../helpers/cli.ts';
import { makeTestPki } from '../helpers/tls.ts';

const TOKEN = 'node-secret';

async function storageNode(options: { tls?: TlsFiles; token?: string } = {}): Promise<{ node: RunningListener; root: string; cleanup(): Promise<void> }> {
  const { dir, cleanup } = await tempDir('dcs-node-');
  const store = new FsBlobStore({ name: 'node0', root: join(dir, 'data') });
  await store.init();
  const node = await listen({
    host: '127.0.0.1',
    port: 0,
    ...(options.tls ? { tls: options.tls } : {}),
    interceptors: serverAuth({ token: options.token ?? TOKEN, host: '127.0.0.1', role: 'storage' }),
    routes: (r) => r.service(StorageService, storageServiceImpl(store)),
  });
  return {
    node,
    root: dir,
    cleanup: async () => {
      await node.close(1000);
      await cleanup();
    },
  };
}

blobStoreConformance('remote storage node (gRPC, plaintext)', async () => {
  const { node, cleanup } = await storageNode();
  return { store: new RemoteBlobStore('node0', node.url.replace('http:', 'grpc:'), { token: TOKEN }), cleanup };
});

const pkiDir = await tempDir('dcs-pki-');
const pki = makeTestPki(pkiDir.dir);
const clientTls: ClientTls = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };

blobStoreConformance('remote storage node (gRPC, mutual TLS)', async () => {
  const { node, cleanup } = await storageNode({ tls: { cert: pki.serverCert, key: pki.serverKey, clientCa: pki.ca } });
  return { store: new RemoteBlobStore('node0', node.url, { token: TOKEN, tls: clientTls }), cleanup };
});

describe('storage node security and limits', () => {
  it('refuses calls without the node token, or with a wrong one', async () => {
    const { node, cleanup } = await storageNode();
    try {
      for (const token of [undefined, 'wrong']) {
        const store = new RemoteBlobStore('node0', node.url, token ? { token } : {});
        await assert.rejects(store.head('chunks/aa/x'), (e: unknown) => e instanceof BackendError && /token/.test(e.message));
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
      const noCert = new RemoteBlobStore('node0', node.url, { token: TOKEN, tls: { ca: pki.ca }, timeoutMs: 5000 });
      await assert.rejects(noCert.head('chunks/aa/x'), BackendError);
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
