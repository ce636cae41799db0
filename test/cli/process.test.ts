// The real `dcs` binary in a child process, where stdout is a pipe or a file rather than the
// in-process collector the other CLI tests use: `get` frees each chunk once the kernel has it, so
// this checks the bytes that arrive, chunk after chunk, through every kind of output.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { openEngine } from '../../src/repository/open-engine.ts';
import { tempDir } from '../helpers/cli.ts';
import { randomBytes, textBytes } from '../helpers/data.ts';

const BIN = fileURLToPath(new URL('../../bin/dcs.js', import.meta.url));
const run = promisify(execFile);

function dcs(args: string[], cwd: string): Promise<{ stdout: Buffer; stderr: string }> {
  return run(process.execPath, [BIN, ...args], { cwd, encoding: 'buffer', maxBuffer: 64 << 20, env: { ...process.env, DCS_REPO: '' } }).then((r) => ({
    stdout: r.stdout,
    stderr: r.stderr.toString(),
  }));
}

describe('dcs as a process', () => {
  it('get writes multi-chunk files intact to a pipe, to a file, and as a byte range, and counts every byte sent', async () => {
    const { dir, cleanup } = await tempDir('dcs-process-');
    try {
      // Text, random and zeros: compressed, stored raw and deduplicated chunks, about 9 of them.
      const data = Buffer.concat([textBytes(5 << 20, 31), randomBytes(3 << 20, 32), new Uint8Array(3 << 20)]);
      await writeFile(join(dir, 'in.bin'), data);
      await dcs(['init', '--repo', 'r'], dir);
      await dcs(['put', 'in.bin', '--repo', 'r', '-q'], dir);

      const piped = await dcs(['get', 'in.bin', '--repo', 'r', '-o', '-'], dir);
      assert.ok(piped.stdout.equals(data), 'bytes through a pipe');

      await dcs(['get', 'in.bin', '--repo', 'r', '-o', 'out.bin', '-q'], dir);
      assert.ok((await readFile(join(dir, 'out.bin'))).equals(data), 'bytes to a file');

      const range = await dcs(['get', 'in.bin', '--repo', 'r', '-o', '-', '--range', '1000000-7000000'], dir);
      assert.ok(range.stdout.equals(data.subarray(1_000_000, 7_000_001)), 'a range across chunks');

      // Freed pieces still count: the analytics record every byte sent (they once read a freed
      // piece's length, 0, after the write).
      const repo = await openEngine(join(dir, 'r'));
      try {
        const access = await repo.ctx.metadata.fileAccess('in.bin');
        assert.equal(access?.downloads, 3);
        assert.equal(access?.bytesOut, 2 * data.length + 6_000_001);
      } finally {
        await repo.close();
      }
    } finally {
      await cleanup();
    }
  });

  it('runs as an executable through its shebang (which sets glibc\'s MALLOC_ARENA_MAX), data commands included', async () => {
    const { dir, cleanup } = await tempDir('dcs-process-');
    try {
      const data = textBytes(300_000, 5);
      await writeFile(join(dir, 'in.txt'), data);
      // As `npx dcs` and an installed `dcs` start it: the file itself, the pinned Node first on PATH.
      const env = { ...process.env, DCS_REPO: '', PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };
      const exec = (args: string[]): Promise<{ stdout: Buffer }> => run(BIN, args, { cwd: dir, encoding: 'buffer', env });
      await exec(['init', '--repo', 'r']);
      await exec(['put', 'in.txt', '--repo', 'r', '-q']);
      assert.ok((await exec(['get', 'in.txt', '--repo', 'r', '-o', '-'])).stdout.equals(data));
    } finally {
      await cleanup();
    }
  });

  it('get -o a FIFO (or a device such as /dev/null) writes into it and leaves it in place, not a file renamed over it', async () => {
    const { dir, cleanup } = await tempDir('dcs-process-');
    try {
      const data = textBytes(2 << 20, 6);
      await writeFile(join(dir, 'in.txt'), data);
      await dcs(['init', '--repo', 'r'], dir);
      await dcs(['put', 'in.txt', '--repo', 'r', '-q'], dir);
      const fifo = join(dir, 'pipe');
      await run('mkfifo', [fifo]);
      const received = (async () => {
        const parts: Buffer[] = [];
        for await (const p of createReadStream(fifo)) parts.push(p as Buffer);
        return Buffer.concat(parts);
      })();
      await dcs(['get', 'in.txt', '--repo', 'r', '-o', fifo, '-q'], dir);
      assert.ok((await received).equals(data), 'the bytes arrived through the FIFO');
      assert.ok((await lstat(fifo)).isFIFO(), 'the FIFO is still a FIFO');
    } finally {
      await cleanup();
    }
  });
});
