import assert from 'node:assert/strict';
import { mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BackendError, BlobNotFoundError } from '../../src/core/errors.ts';
import { FsBlobStore, translateFsError } from '../../src/storage/fs-store.ts';
import { blobStoreConformance } from '../conformance/blob-store.ts';
import { tempDir } from '../helpers/cli.ts';

blobStoreConformance('fs', async () => {
  const { dir, cleanup } = await tempDir('dcs-fs-');
  const store = new FsBlobStore({ name: 'disk', root: join(dir, 'root') });
  await store.init();
  return { store, cleanup };
});

describe('fs store', () => {
  it('never writes outside its root for hostile keys', async () => {
    const { dir, cleanup } = await tempDir('dcs-fs-');
    try {
      const store = new FsBlobStore({ name: 'disk', root: join(dir, 'root') });
      await store.init();
      for (const key of ['../escape', 'a/../../escape', '/tmp/escape']) await store.put(key, new Uint8Array([1])).catch(() => {});
      assert.deepEqual(await readdir(dir), ['root']);
      assert.deepEqual(await readdir(join(dir, 'root')), []);
    } finally {
      await cleanup();
    }
  });

  it('hides temp files of interrupted writes and sweeps old ones', async () => {
    const { dir, cleanup } = await tempDir('dcs-fs-');
    try {
      const store = new FsBlobStore({ name: 'disk', root: dir });
      await store.put('chunks/ab/real', new Uint8Array([1, 2]));
      // What a crash between write and rename leaves behind.
      const tmp = join(dir, 'chunks', 'ab', '.tmp-deadbeef');
      await writeFile(tmp, 'partial');
      const keys: string[] = [];
      for await (const info of store.list('chunks/')) keys.push(info.key);
      assert.deepEqual(keys, ['chunks/ab/real']);
      assert.equal(await store.sweepTemp(60_000), 0, 'fresh temp files may belong to a write in progress');
      const old = new Date(Date.now() - 3_600_000);
      await utimes(tmp, old, old);
      assert.equal(await store.sweepTemp(60_000), 1);
      assert.deepEqual(await readdir(join(dir, 'chunks', 'ab')), ['real']);
    } finally {
      await cleanup();
    }
  });

  it('reports a missing storage directory instead of recreating it', async () => {
    const { dir, cleanup } = await tempDir('dcs-fs-');
    try {
      const root = join(dir, 'disk1');
      await mkdir(root);
      const store = new FsBlobStore({ name: 'disk1', root });
      await store.put('chunks/aa/x', new Uint8Array([1]));
      await rm(root, { recursive: true });
      for (const op of [() => store.put('chunks/aa/y', new Uint8Array([1])), () => store.get('chunks/aa/x'), () => store.head('chunks/aa/x')]) {
        await assert.rejects(op(), (e: unknown) => e instanceof BackendError && /storage directory .*disk1 does not exist/.test(e.message));
      }
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await cleanup();
    }
  });

  it('translates errno: disk full and permission errors are permanent, EIO transient, ENOENT on get is not-found', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    const full = translateFsError(err('ENOSPC'), 'd', 'put');
    assert.ok(full instanceof BackendError && !full.retryable && /disk full/.test(full.message));
    assert.ok(translateFsError(err('EACCES'), 'd', 'put') instanceof BackendError);
    const io = translateFsError(err('EIO'), 'd', 'get');
    assert.ok(io instanceof BackendError && io.retryable);
    assert.ok(translateFsError(err('ENOENT'), 'd', 'get', 'k') instanceof BlobNotFoundError);
  });
});
