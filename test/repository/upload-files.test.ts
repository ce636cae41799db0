// Many files in one request on a local repository: small files go in groups (packed, one commit),
// results come in the order of the files, and a file that cannot be stored stops the request with
// every file before it stored, also inside a group.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { initRepository } from '../../src/repository/init-repository.ts';
import { openRepository } from '../../src/repository/local-repository.ts';
import type { FileToUpload, UploadResult } from '../../src/repository/repository.ts';
import { tempDir } from '../helpers/cli.ts';
import { collect, textBytes } from '../helpers/data.ts';
import { SMALL_CHUNKS } from '../helpers/engine.ts';

describe('uploadFiles on a local repository', () => {
  it('stores small files in groups, reports them in order, and stops at a refused name with the files before it stored', async () => {
    const { dir, cleanup } = await tempDir('dcs-upload-files-');
    try {
      const repoDir = join(dir, 'repo');
      await initRepository(repoDir, { chunking: SMALL_CHUNKS });
      const repo = await openRepository(repoDir, { workers: 0 });
      try {
        const data = Array.from({ length: 6 }, (_, i) => textBytes(2000 + i * 997, i + 1));
        const files: FileToUpload[] = [];
        for (const [i, d] of data.entries()) {
          const path = join(dir, `f${i}`);
          await writeFile(path, d);
          // File 4 has a name the repository refuses (a NUL byte).
          files.push({ name: i === 4 ? 'bad\0name' : `dir/f${i}`, open: async () => ({ input: { path }, size: d.length }) });
        }
        const results: [number, UploadResult][] = [];
        await assert.rejects(
          repo.uploadFiles(files, { onResult: (i, r) => void results.push([i, r]) }),
          /NUL/,
        );
        assert.deepEqual(results.map(([i, r]) => [i, r.version.name, r.version.version]), [0, 1, 2, 3].map((i) => [i, `dir/f${i}`, 1]));
        for (const i of [0, 1, 2, 3]) assert.deepEqual(await collect((await repo.download(`dir/f${i}`)).body), data[i]);
        const names: string[] = [];
        for await (const f of repo.list({ prefix: 'dir/' })) names.push(f.name);
        assert.deepEqual(names, ['dir/f0', 'dir/f1', 'dir/f2', 'dir/f3']);
      } finally {
        await repo.close();
      }
    } finally {
      await cleanup();
    }
  });
});
