// The dcs command line as users run it: exit codes, one-line errors, --json, names, stdin/stdout.
import assert from 'node:assert/strict';
import { readFile, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomBytes, textBytes } from '../helpers/data.ts';
import { runCli, tempDir } from '../helpers/cli.ts';

describe('dcs CLI', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  before(async () => ({ dir, cleanup } = await tempDir()));
  after(async () => cleanup());

  const dcs = (args: string[], stdin?: Uint8Array) => runCli(args, { cwd: dir, ...(stdin ? { stdin } : {}) });

  it('init creates ./.dcs by default and refuses to init twice', async () => {
    const r = await dcs(['init']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created repository .*\.dcs/);
    const again = await dcs(['init']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^dcs: a dcs repository already exists at .*\n$/);
  });

  it('put, ls, stat, get round-trip a file byte for byte', async () => {
    const data = textBytes(3_000_000, 3);
    await writeFile(join(dir, 'big file.txt'), data);
    const put = await dcs(['put', 'big file.txt', '--codec', 'zstd', '--json']);
    assert.equal(put.code, 0, put.stderr);
    const p = JSON.parse(put.stdout);
    assert.equal(p.name, 'big file.txt');
    assert.equal(p.size, data.length);
    assert.ok(p.ratio > 2);

    const ls = JSON.parse((await dcs(['ls', '--json'])).stdout);
    assert.deepEqual(ls.map((f: { name: string }) => f.name), ['big file.txt']);

    const st = await dcs(['stat', 'big file.txt', '--json']);
    const s = JSON.parse(st.stdout);
    assert.equal(s.health, 'healthy');
    assert.deepEqual(Object.keys(s.codecs), ['zstd']);
    assert.ok(s.chunkList.every((c: { copies: { backend: string }[] }) => c.copies[0]!.backend === 'local'));
    const human = await dcs(['stat', 'big file.txt']);
    assert.match(human.stdout, /ratio/);
    assert.match(human.stdout, /health:\s+healthy/);
    assert.match(human.stdout, /distinct, 0 shared with other versions or files/);
    // The same bytes under another name: every chunk is shared, each referenced twice.
    assert.equal((await dcs(['put', 'big file.txt', '--name', 'again'])).code, 0);
    const shared = JSON.parse((await dcs(['stat', 'again', '--json'])).stdout);
    assert.equal(shared.sharedChunks, shared.distinctChunks);
    assert.ok(shared.chunkList.every((c: { refcount: number }) => c.refcount === 2));
    assert.equal((await dcs(['rm', 'again'])).code, 0);

    const get = await dcs(['get', 'big file.txt', '-o', 'copy.txt']);
    assert.equal(get.code, 0, get.stderr);
    assert.deepEqual(await readFile(join(dir, 'copy.txt')), Buffer.from(data));
    const toStdout = await dcs(['get', 'big file.txt', '-o', '-']);
    assert.deepEqual(toStdout.stdoutBytes, Buffer.from(data));
    const range = await dcs(['get', 'big file.txt', '--range', '10-19', '-o', '-']);
    assert.deepEqual(range.stdoutBytes, Buffer.from(data.subarray(10, 20)));
  });

  it('reads stdin with --name and needs --name for stdin', async () => {
    const data = randomBytes(100_000, 4);
    const r = await dcs(['put', '-', '--name', 'logs/today.log', '--codec', 'auto'], data);
    assert.equal(r.code, 0, r.stderr);
    const out = await dcs(['get', 'logs/today.log', '-o', '-']);
    assert.deepEqual(out.stdoutBytes, Buffer.from(data));
    const bad = await dcs(['put', '-'], data);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /needs --name/);
  });

  it('never writes outside the output directory for hostile names', async () => {
    const data = textBytes(1000, 5);
    await dcs(['put', '-', '--name', '../../escape.txt'], data);
    await dcs(['put', '-', '--name', '/etc/dcs-abs-test'], data);
    await dcs(['put', '-', '--name', '--dash'], data);
    const sub = join(dir, 'out');
    await (await import('node:fs/promises')).mkdir(sub);
    for (const name of ['../../escape.txt', '/etc/dcs-abs-test']) {
      const r = await runCli(['get', name], { cwd: sub, env: { DCS_REPO: join(dir, '.dcs') } });
      assert.equal(r.code, 0, r.stderr);
    }
    assert.deepEqual((await readdir(sub)).sort(), ['dcs-abs-test', 'escape.txt']);
    const dash = await runCli(['get', '-o', '-', '--', '--dash'], { cwd: dir });
    assert.equal(dash.code, 0, dash.stderr);
    assert.deepEqual(dash.stdoutBytes, Buffer.from(data));
  });

  it('get -o DIR writes the name\'s last segment inside DIR, as cp does', async () => {
    const data = textBytes(3000, 9);
    assert.equal((await dcs(['put', '-', '--name', 'docs/readme.txt'], data)).code, 0);
    const fs = await import('node:fs/promises');
    await fs.mkdir(join(dir, 'into'));
    const r = await dcs(['get', 'docs/readme.txt', '-o', 'into']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await readFile(join(dir, 'into', 'readme.txt')), Buffer.from(data));
    // A directory where the file would go is refused before anything is downloaded.
    await fs.mkdir(join(dir, 'into', 'blocked', 'readme.txt'), { recursive: true });
    const blocked = await dcs(['get', 'docs/readme.txt', '-o', join('into', 'blocked')]);
    assert.equal(blocked.code, 1);
    assert.match(blocked.stderr, /cannot write \S*blocked\/readme.txt: a directory of that name is in the way/);
    assert.deepEqual((await readdir(join(dir, 'into'))).sort(), ['blocked', 'readme.txt'], 'no temporary file left');
  });

  it('puts many files (small ones several at a time) and reports them in argument order', async () => {
    const fs = await import('node:fs/promises');
    await fs.mkdir(join(dir, 'many'));
    const files: string[] = [];
    for (let i = 0; i < 12; i++) {
      // Sizes vary so that uploads finish out of order; one is above the small-file limit.
      const path = join('many', `f${String(i).padStart(2, '0')}.txt`);
      await writeFile(join(dir, path), textBytes(i === 5 ? 3_000_000 : 1000 + ((i * 7919) % 200_000), i + 100));
      files.push(path);
    }
    const r = await dcs(['put', ...files.slice().reverse(), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { name: string }[]).map((x) => x.name), files.slice().reverse());
    const plain = await dcs(['put', ...files]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.deepEqual(plain.stdout.trim().split('\n').map((l) => l.split('  ')[0]), files);
    for (const f of files) assert.deepEqual(await dcs(['get', f, '-o', '-']).then((g) => g.stdoutBytes), await readFile(join(dir, f)), f);

    // A missing file stops the command: what came before it is stored, what comes after is not.
    const bad = await dcs(['put', 'many/f00.txt', 'many/f01.txt', 'many/nope.txt', 'many/f02.txt']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^dcs: cannot read many\/nope.txt: no such file$/m);
    assert.deepEqual(bad.stdout.trim().split('\n').map((l) => l.split('  ').slice(0, 2).join(' ')), ['many/f00.txt v3', 'many/f01.txt v3']);
    const st = await dcs(['stat', 'many/f02.txt', '--json']);
    assert.equal((JSON.parse(st.stdout) as { version: { version: number } }).version.version, 2, 'f02 was not put a third time');
  });

  it('ls prints every file of a listing longer than one batch of rows, the last one too', async () => {
    const fs = await import('node:fs/promises');
    await fs.mkdir(join(dir, 'batch'));
    const files: string[] = [];
    // 1,000 files: the header and 999 rows fill the first batch, the last row is a batch of its own.
    for (let i = 0; i < 1000; i++) {
      const path = join('batch', `n${String(i).padStart(4, '0')}`);
      await writeFile(join(dir, path), `file ${i}\n`);
      files.push(path);
    }
    const put = await dcs(['put', '-q', ...files]);
    assert.equal(put.code, 0, put.stderr);
    const ls = await dcs(['ls', 'batch/']);
    assert.equal(ls.code, 0, ls.stderr);
    const names = ls.stdout.trim().split('\n').filter((l) => !l.trimStart().startsWith('SIZE')).map((l) => l.trim().split(/\s+/).at(-1));
    assert.deepEqual(names, files);
    assert.equal((await dcs(['ls', 'no-such-prefix/'])).stdout, '', 'an empty listing prints nothing');
  });

  it('reports bad input in one line with a non-zero exit', async () => {
    const cases: [string[], number, RegExp][] = [
      [['put', 'no-such-file'], 1, /cannot read no-such-file: no such file/],
      [['put', 'big file.txt', '--codec', 'lzma'], 2, /unknown codec "lzma"/],
      [['put', 'big file.txt', '--codec', 'zstd', '--level', '99'], 2, /level/],
      [['get', 'missing-name'], 1, /no such file in repository: "missing-name"/],
      [['get', 'big file.txt', '--version', '9'], 1, /no version 9/],
      [['get', 'big file.txt', '--range', 'x-y'], 2, /invalid range/],
      [['get', 'big file.txt', '-o', join('no-dir', 'x')], 1, /^dcs: cannot write \S*no-dir\/x: directory \S*no-dir does not exist$/m],
      [['get', 'big file.txt', '-o', join('big file.txt', 'x')], 1, /cannot write .*: \S*big file.txt is not a directory$/m],
      [['rm', 'missing-name'], 1, /no such file/],
      [['ls', '--repo', join(dir, 'nowhere')], 1, /no dcs repository at/],
      [['frobnicate'], 2, /unknown command/],
    ];
    for (const [args, code, pattern] of cases) {
      const r = await dcs(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with')).length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    }
  });

  it('rm then gc reclaims space; stats reports ratios', async () => {
    const stats0 = JSON.parse((await dcs(['stats', '--json'])).stdout);
    assert.ok(stats0.logicalBytes > 0);
    assert.ok(stats0.compressionRatio > 1);
    assert.ok(stats0.perCodec.some((c: { codec: string }) => c.codec === 'zstd'));
    assert.equal((await dcs(['rm', 'big file.txt'])).code, 0);
    const gc = JSON.parse((await dcs(['gc', '--json'])).stdout);
    assert.ok(gc.chunksDeleted > 0);
    const stats1 = JSON.parse((await dcs(['stats', '--json'])).stdout);
    assert.ok(stats1.storedBytes < stats0.storedBytes);
    const v = await dcs(['verify', '--deep', '--json']);
    assert.equal(v.code, 0, v.stdout);
  });

  it('has --help for every command', async () => {
    for (const cmd of ['init', 'put', 'get', 'ls', 'stat', 'rm', 'verify', 'repair', 'gc', 'stats']) {
      const r = await dcs([cmd, '--help']);
      assert.equal(r.code, 0, cmd);
      assert.match(r.stdout, new RegExp(`Usage: dcs ${cmd}`));
    }
    const top = await dcs(['--help']);
    assert.match(top.stdout, /Examples:/);
  });
});

describe('encrypted repository via the CLI', () => {
  it('works with the right passphrase and refuses a wrong one without touching anything', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const env = { DCS_PASSPHRASE: 'right passphrase' };
      const init = await runCli(['init', '--repo', 'r', '--encrypt'], { cwd: dir, env });
      assert.equal(init.code, 0, init.stderr);
      const data = textBytes(200_000, 8);
      assert.equal((await runCli(['put', '-', '--name', 'secret', '--repo', 'r'], { cwd: dir, env, stdin: data })).code, 0);
      const metaBefore = await readFile(join(dir, 'r', 'metadata.db'));
      const wrong = await runCli(['put', '-', '--name', 'x', '--repo', 'r'], { cwd: dir, env: { ...env, DCS_PASSPHRASE: 'wrong' }, stdin: data });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /^dcs: wrong passphrase/);
      assert.deepEqual(await readFile(join(dir, 'r', 'metadata.db')), metaBefore);
      // Metadata is not encrypted: listing needs no passphrase; reading a file's bytes does.
      const listed = await runCli(['ls', '--repo', 'r', '--json'], { cwd: dir });
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual((JSON.parse(listed.stdout) as { name: string }[]).map((f) => f.name), ['secret']);
      const none = await runCli(['get', 'secret', '-o', join(dir, 'out'), '--repo', 'r'], { cwd: dir });
      assert.equal(none.code, 1);
      assert.match(none.stderr, /^dcs: .*DCS_PASSPHRASE/);
      await assert.rejects(readFile(join(dir, 'out')), { code: 'ENOENT' });
      const wrongGet = await runCli(['get', 'secret', '-o', join(dir, 'out'), '--repo', 'r'], { cwd: dir, env: { DCS_PASSPHRASE: 'wrong' } });
      assert.equal(wrongGet.code, 1);
      assert.match(wrongGet.stderr, /^dcs: wrong passphrase/);
      await assert.rejects(readFile(join(dir, 'out')), { code: 'ENOENT' });
      const got = await runCli(['get', 'secret', '-o', '-', '--repo', 'r'], { cwd: dir, env });
      assert.deepEqual(got.stdoutBytes, Buffer.from(data));
      // Stored objects do not contain the plaintext.
      const files = await readdir(join(dir, 'r', 'data', 'chunks'), { recursive: true });
      for (const f of files.filter((n) => n.length > 60)) {
        const bytes = await readFile(join(dir, 'r', 'data', 'chunks', f));
        assert.equal(bytes.includes(Buffer.from('quick brown fox')), false);
      }
    } finally {
      await cleanup();
    }
  });
});

describe('every codec through the worker pool', () => {
  it('round-trips small and large inputs with each codec', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      assert.equal((await runCli(['init', '--repo', 'r'], { cwd: dir })).code, 0);
      // Sizes below and above the buffer pool and chunk thresholds: native codecs return
      // buffers that cannot be transferred between threads and must still come back intact.
      for (const size of [100, 5000, 1_500_000]) {
        for (const [i, codec] of ['zstd', 'gzip', 'brotli', 'snappy', 'lz4', 'none', 'auto'].entries()) {
          // Distinct data per codec, or dedup would serve every codec the first one's chunks.
          const data = textBytes(size, size + i);
          const name = `${codec}-${size}`;
          const put = await runCli(['put', '-', '--name', name, '--codec', codec, '--repo', 'r'], { cwd: dir, stdin: data });
          assert.equal(put.code, 0, put.stderr);
          const got = await runCli(['get', name, '-o', '-', '--repo', 'r'], { cwd: dir });
          assert.equal(got.code, 0, got.stderr);
          assert.deepEqual(got.stdoutBytes, Buffer.from(data), name);
        }
      }
    } finally {
      await cleanup();
    }
  });
});
