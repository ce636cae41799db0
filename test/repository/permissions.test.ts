// What dcs writes on a local disk is private to its owner whatever the umask (0700 directories,
// 0600 files: metadata.db with its -wal and -shm, chunk objects, dcs.yaml, the key file), or
// readable by the group when the repository (or storage node) is configured so.
import assert from 'node:assert/strict';
import { chmod, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initRepository } from '../../src/repository/init-repository.ts';
import { openRepository } from '../../src/repository/local-repository.ts';
import type { Sharing } from '../../src/core/file-modes.ts';
import { objectPath } from '../../src/services/storage-data-plane.ts';
import { tempDir } from '../helpers/cli.ts';
import { randomBytes } from '../helpers/data.ts';
import { SMALL_CHUNKS } from '../helpers/engine.ts';
import { NODE_TOKEN, storageNode } from '../helpers/storage-node.ts';

/** Every directory and file under `root` (root included) with its permission bits. */
async function modes(root: string): Promise<{ path: string; dir: boolean; mode: number }[]> {
  const out = [{ path: root, dir: true, mode: (await stat(root)).mode & 0o777 }];
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    out.push({ path, dir: e.isDirectory(), mode: (await stat(path)).mode & 0o777 });
  }
  return out;
}

function assertModes(found: { path: string; dir: boolean; mode: number }[], dir: number, file: number): void {
  const wrong = found.filter((f) => f.mode !== (f.dir ? dir : file)).map((f) => `${f.path} ${f.mode.toString(8)}`);
  assert.deepEqual(wrong, []);
}

describe('file permissions', () => {
  let umask: number;
  before(() => {
    // The common default, under which files were world-readable before.
    umask = process.umask(0o022);
  });
  after(() => {
    process.umask(umask);
  });

  for (const [sharing, dirMode, fileMode] of [['private', 0o700, 0o600], ['group', 0o750, 0o640]] as [Sharing, number, number][]) {
    it(`a ${sharing} repository: directory ${dirMode.toString(8)}, metadata, chunks and config ${fileMode.toString(8)}`, async () => {
      const { dir, cleanup } = await tempDir('dcs-perm-');
      try {
        const repoDir = join(dir, 'repo');
        await initRepository(repoDir, { chunking: SMALL_CHUNKS, passphrase: 'pw', kdfCost: { N: 1024 }, ...(sharing === 'private' ? {} : { permissions: sharing }) });
        const repo = await openRepository(repoDir, { passphrase: async () => 'pw', workers: 0 });
        try {
          await repo.upload({ path: await writeInput(dir) }, { name: 'f' });
          const found = await modes(repoDir);
          for (const name of ['metadata.db', 'metadata.db-wal', 'dcs.yaml', 'key.json']) assert.ok(found.some((f) => f.path === join(repoDir, name)), `${name} exists`);
          assert.ok(found.filter((f) => f.path.includes('/chunks/') && !f.dir).length > 3, 'chunk objects were written');
          assertModes(found, dirMode, fileMode);
        } finally {
          await repo.close();
        }
      } finally {
        await cleanup();
      }
    });
  }

  it('a repository made when its files were world-readable is closed to others on its next open, with a warning', async () => {
    const { dir, cleanup } = await tempDir('dcs-perm-');
    try {
      const repoDir = join(dir, 'old');
      await initRepository(repoDir, { chunking: SMALL_CHUNKS });
      await chmod(repoDir, 0o755);
      const warnings: string[] = [];
      const repo = await openRepository(repoDir, { workers: 0, warn: (m) => warnings.push(m) });
      await repo.close();
      assert.equal((await stat(repoDir)).mode & 0o777, 0o700);
      assert.match(warnings.join('\n'), /readable by others \(mode 755\); it is now 700/);
      // Shared on purpose: left alone.
      const shared = join(dir, 'shared');
      await initRepository(shared, { chunking: SMALL_CHUNKS, permissions: 'group' });
      await (await openRepository(shared, { workers: 0 })).close();
      assert.equal((await stat(shared)).mode & 0o777, 0o750);
    } finally {
      await cleanup();
    }
  });

  it('a storage node keeps its data directory and objects private', async () => {
    const n = await storageNode();
    try {
      const res = await fetch(`${n.node.url}${objectPath('chunks/ab/abcdef')}`, { method: 'PUT', headers: { authorization: `Bearer ${NODE_TOKEN}` }, body: new Uint8Array(1000) });
      assert.equal(res.status, 204);
      const found = await modes(join(n.root, 'data'));
      assert.ok(found.some((f) => f.path.endsWith('abcdef')));
      assertModes(found, 0o700, 0o600);
    } finally {
      await n.cleanup();
    }
  });
});

async function writeInput(dir: string): Promise<string> {
  const { writeFile } = await import('node:fs/promises');
  const path = join(dir, 'input.bin');
  await writeFile(path, randomBytes(300_000, 7));
  return path;
}
