// `dcs get -o FILE` writes with several positional writes in flight: the file must still be the
// exact bytes in order, and a failure must stop the download rather than leave it running.
import assert from 'node:assert/strict';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeFilePieces } from '../../src/cli/file-writer.ts';
import { tempDir } from '../helpers/cli.ts';
import { randomBytes } from '../helpers/data.ts';

describe('writeFilePieces', () => {
  it('writes pieces of any size, in flight together, as exactly the concatenation', async () => {
    const { dir, cleanup } = await tempDir('dcs-fw-');
    try {
      const sizes = [1, 1 << 20, 7, 3 << 20, 0, 65_537, 2 << 20, 13];
      const pieces = sizes.map((n, i) => randomBytes(n, i + 1));
      const expected = Buffer.concat(pieces.map((p) => Buffer.from(p)));
      const fh = await open(join(dir, 'out'), 'wx');
      const written = await writeFilePieces(fh, (async function* () { for (const p of pieces) yield new Uint8Array(p); })(), 3);
      await fh.close();
      assert.equal(written, expected.length);
      assert.ok((await readFile(join(dir, 'out'))).equals(expected));
    } finally {
      await cleanup();
    }
  });

  it('a failing write stops reading the download and is thrown', async () => {
    const { dir, cleanup } = await tempDir('dcs-fw-');
    try {
      // A descriptor opened read-only: every write fails with EBADF.
      await (await open(join(dir, 'ro'), 'w')).close();
      const fh = await open(join(dir, 'ro'), 'r');
      let pulled = 0;
      const pieces = (async function* () {
        for (let i = 0; i < 1000; i++) {
          pulled++;
          yield new Uint8Array(4096);
          await new Promise((r) => setImmediate(r));
        }
      })();
      await assert.rejects(writeFilePieces(fh, pieces, 2), (e: NodeJS.ErrnoException) => e.code === 'EBADF');
      await fh.close();
      assert.ok(pulled < 50, `stopped after ${pulled} pieces`);
    } finally {
      await cleanup();
    }
  });
});
