// The real `dcs` binary in a child process, where stdout is a pipe or a file rather than the
// in-process collector the other CLI tests use: `get` frees each chunk once the kernel has it, so
// this checks the bytes that arrive, chunk after chunk, through every kind of output.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
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

  it('kill -9 in the middle of a put of many small files: only whole groups are visible, each file intact; gc leaves no trace of the rest', async () => {
    const { dir, cleanup } = await tempDir('dcs-process-');
    try {
      await mkdir(join(dir, 'src'));
      const names = Array.from({ length: 4000 }, (_, i) => `src/f${String(i).padStart(4, '0')}.txt`);
      for (const [i, n] of names.entries()) await writeFile(join(dir, n), textBytes(1000 + (i % 7) * 300, 500 + i));
      await dcs(['init', '--repo', 'r'], dir);
      const child = spawn(process.execPath, [BIN, 'put', '--repo', 'r', ...names], { cwd: dir, env: { ...process.env, DCS_REPO: '' }, stdio: ['ignore', 'pipe', 'ignore'] });
      // The first result line: the first group is committed, later ones are on their way.
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', () => reject(new Error('put finished before it could be killed')));
      });
      child.kill('SIGKILL');
      await once(child, 'exit');

      const listed = (JSON.parse((await dcs(['ls', '--repo', 'r', '--json'], dir)).stdout.toString()) as { name: string }[]).map((f) => f.name);
      assert.ok(listed.length > 0 && listed.length < names.length, `${listed.length} files visible`);
      assert.equal(listed.length % 1000, 0, 'groups are committed whole');
      for (const n of listed.filter((_, i) => i % 250 === 0)) assert.ok((await dcs(['get', n, '--repo', 'r', '-o', '-'], dir)).stdout.equals(await readFile(join(dir, n))), n);
      // The killed put's session is dead once silent for a second.
      await new Promise((r) => setTimeout(r, 1100));
      await dcs(['gc', '--repo', 'r', '--session-timeout', '1'], dir);
      const verify = JSON.parse((await dcs(['verify', '--repo', 'r', '--deep', '--json'], dir)).stdout.toString()) as { chunks: number; lost: number; orphans: number; corrupt: number; missing: number };
      assert.deepEqual([verify.lost, verify.orphans, verify.corrupt, verify.missing], [0, 0, 0, 0]);
      // What the backend holds is exactly the committed objects: the killed group's pack is gone.
      const objects = (await readdir(join(dir, 'r', 'data', 'chunks'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
      assert.equal(objects, verify.chunks);
      // The put again stores the rest; every file reads back.
      await dcs(['put', '--repo', 'r', '-q', ...names], dir);
      for (const n of names.filter((_, i) => i % 500 === 0)) assert.ok((await dcs(['get', n, '--repo', 'r', '-o', '-'], dir)).stdout.equals(await readFile(join(dir, n))), n);
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
