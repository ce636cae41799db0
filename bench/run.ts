// `npm run bench`: put/get throughput, stored size and peak RSS per codec on generated data of
// several kinds and sizes, `zstd -T2 -3` / `zstd -d` on the same input where the command exists,
// and (with --file) the targets on a real file: throughput vs zstd, dedup of a second put and of
// scattered inserts. --stream N pipes N bytes through stdin/stdout and reports peak RSS;
// --many-files N puts N small files in one command; --cluster runs the `dcs cluster up`
// topologies beside embedded mode (bench/cluster.ts); --vs-restic FILE times dcs beside restic
// as a user would (bench/vs-restic.ts); --vs-restic-small LIST does so with many small files
// (bench/vs-restic-small.ts); --scale LIST builds repositories of that many 1 KiB chunks and times
// gc, verify, stats, ls and a dedup put on each (bench/scale.ts).
// Prints a table and writes bench/out/results.json and bench/out/results.md.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync, createReadStream } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { clusterBench, clusterMarkdown } from './cluster.ts';
import { vsResticBench, vsResticMarkdown } from './vs-restic.ts';
import { vsResticSmallBench, vsResticSmallMarkdown } from './vs-restic-small.ts';
import { scaleBench, scaleMarkdown } from './scale.ts';
import { blocks, DATA_KINDS, ensureDataFile, fillBlock, type DataKind } from './data.ts';
import { withInserts } from './edits.ts';

const ROOT = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1M,64M,512M,2G' },
    kinds: { type: 'string', default: DATA_KINDS.join(',') },
    codecs: { type: 'string', default: 'zstd,gzip,brotli,snappy,lz4,none,auto' },
    /** Codecs run on inputs above 64 MiB (gzip and brotli are slow enough to dominate the run). */
    'big-codecs': { type: 'string', default: 'zstd,snappy,lz4,none,auto' },
    file: { type: 'string' },
    stream: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench', 'out') },
    work: { type: 'string', default: join(tmpdir(), 'dcs-bench') },
    quick: { type: 'boolean', default: false },
    /**
     * Cluster mode: this input (generated KIND-SIZE, e.g. text-512M, or a file's path) through the
     * `dcs cluster up` topologies beside embedded mode, --rounds times (bench/cluster.ts).
     */
    cluster: { type: 'string' },
    /** Cluster mode: which topologies (a default, b remote compressors, c two orchestrators, d re-puts). */
    topologies: { type: 'string', default: 'a,b,c,d' },
    /** Cluster mode: compressor processes of topology b. */
    compressors: { type: 'string', default: '2' },
    /** Cluster mode: the first orchestrator's port (the other processes follow it). */
    'cluster-port': { type: 'string', default: '27070' },
    /** This file through restic and dcs (plain and encrypted), whole commands, --rounds alternating rounds (bench/vs-restic.ts). */
    'vs-restic': { type: 'string' },
    /**
     * Many small files: the paths this text file lists (one a line, relative to --small-root) through
     * restic and dcs, first and second put and a get of one file, --rounds alternating rounds (bench/vs-restic-small.ts).
     */
    'vs-restic-small': { type: 'string' },
    /** --vs-restic-small: the directory its list's paths are relative to (default: the current one). */
    'small-root': { type: 'string' },
    /** At scale: comma-separated chunk counts, each a repository of N 1 KiB chunks in N/10 files, then whole commands timed (bench/scale.ts). */
    scale: { type: 'string' },
    /**
     * The S3 API: this file by single PutObject/GetObject (curl, presigned) beside the HTTP API, and
     * by rclone beside dcs's CLI, --rounds alternating rounds (bench/s3.ts); with --s3-small LIST
     * (relative to --small-root) also those small files by rclone and by one dcs put.
     */
    s3: { type: 'string' },
    's3-small': { type: 'string' },
    /** Put then get a stream of this size through an S3 backend (s3rver): throughput and peak RSS. */
    cloud: { type: 'string' },
    /** Through the HTTP API of `dcs serve`: a streamed PUT, a GET and a resumable upload of this (or --file's) input. */
    http: { type: 'string' },
    /** Many small files: put this many text files of 1-128 KiB in one command, vs tar | zstd -T2 -3. */
    'many-files': { type: 'string' },
    /** Real file: alternate `zstd -T2 -3` and dcs this many times, cluster mode embedded and cluster runs; the tables show medians. */
    rounds: { type: 'string', default: '3' },
  },
});

function parseSize(s: string): number {
  const m = /^(\d+)([KMG]?)$/i.exec(s.trim());
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
}

const fmtSize = (n: number): string => (n >= 1024 ** 3 ? `${n / 1024 ** 3}G` : n >= 1024 ** 2 ? `${n / 1024 ** 2}M` : `${n / 1024}K`);
const mbps = (bytes: number, s: number): number => Math.round(bytes / 1e6 / s);

interface Measured {
  code: number;
  seconds: number;
  maxRssBytes: number;
}

/** Run the dcs CLI in a child (bench/measure.ts) and read back its time and peak RSS. */
async function dcs(cliArgs: string[], stdin?: Iterable<Uint8Array>, env: NodeJS.ProcessEnv = {}): Promise<Measured & { stdout: string }> {
  const report = join(args.work, `report-${process.pid}.json`);
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'measure.ts'), ...cliArgs], {
    env: { ...process.env, ...env, BENCH_REPORT: report },
    stdio: [stdin ? 'pipe' : 'ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  let discard = false;
  child.stdout!.on('data', (d: Buffer) => {
    if (!discard && stdout.length < 1 << 20) stdout += d.toString();
    else discard = true;
  });
  if (stdin) {
    for (const block of stdin) if (!child.stdin!.write(block)) await once(child.stdin!, 'drain');
    child.stdin!.end();
  }
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`dcs ${cliArgs.slice(0, 6).join(' ')}${cliArgs.length > 6 ? ' …' : ''} exited ${code}`);
  const r = JSON.parse(readFileSync(report, 'utf8')) as Measured;
  rmSync(report, { force: true });
  return { ...r, stdout: discard ? '' : stdout };
}

const hasZstd = spawnSync('zstd', ['--version']).status === 0;

function timeShell(cmd: string): number {
  const t = performance.now();
  const r = spawnSync('bash', ['-c', cmd], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${cmd} failed`);
  return (performance.now() - t) / 1000;
}

interface ZstdRef {
  putMBps: number;
  getMBps: number;
  storedBytes: number;
}

function zstdReference(file: string, size: number): ZstdRef | undefined {
  if (!hasZstd) return undefined;
  const out = join(args.work, 'ref.zst');
  const put = timeShell(`zstd -T2 -3 -q -f -o ${out} ${JSON.stringify(file)}`);
  const compressed = statSync(out).size;
  const get = timeShell(`zstd -d -q -c ${out} > /dev/null`);
  rmSync(out);
  return { putMBps: mbps(size, put), getMBps: mbps(size, get), storedBytes: compressed };
}

async function freshRepo(name: string): Promise<string> {
  const repo = join(args.work, name);
  rmSync(repo, { recursive: true, force: true });
  await dcs(['init', '--repo', repo]);
  return repo;
}

async function storedBytes(repo: string): Promise<number> {
  return (JSON.parse((await dcs(['stats', '--json', '--repo', repo])).stdout) as { storedBytes: number }).storedBytes;
}

interface Row {
  kind: string;
  size: number;
  codec: string;
  putMBps: number;
  getMBps: number;
  storedBytes: number;
  ratio: number;
  putRssMB: number;
  getRssMB: number;
  zstd?: ZstdRef;
}

async function measureFile(kind: string, file: string, size: number, codec: string, ref?: ZstdRef): Promise<Row> {
  const repo = await freshRepo('repo');
  const put = await dcs(['put', file, '--name', 'f', '--codec', codec, '--repo', repo, '-q']);
  const stored = await storedBytes(repo);
  const get = await dcs(['get', 'f', '-o', '-', '--repo', repo, '-q']);
  rmSync(repo, { recursive: true, force: true });
  return {
    kind,
    size,
    codec,
    putMBps: mbps(size, put.seconds),
    getMBps: mbps(size, get.seconds),
    storedBytes: stored,
    ratio: Math.round((size / Math.max(1, stored)) * 100) / 100,
    putRssMB: Math.round(put.maxRssBytes / 1048576),
    getRssMB: Math.round(get.maxRssBytes / 1048576),
    ...(ref ? { zstd: ref } : {}),
  };
}

function table(rows: Row[]): string {
  const head = ['kind', 'size', 'codec', 'put MB/s', 'get MB/s', 'stored', 'ratio', 'put RSS MB', 'get RSS MB', 'put vs zstd -T2 -3', 'get vs zstd -d', 'stored vs zstd -3'];
  const lines = rows.map((r) => [
    r.kind,
    fmtSize(r.size),
    r.codec,
    String(r.putMBps),
    String(r.getMBps),
    String(r.storedBytes),
    r.ratio.toFixed(2),
    String(r.putRssMB),
    String(r.getRssMB),
    r.zstd ? `${Math.round((r.putMBps / r.zstd.putMBps) * 100)}% of ${r.zstd.putMBps}` : '-',
    r.zstd ? `${Math.round((r.getMBps / r.zstd.getMBps) * 100)}% of ${r.zstd.getMBps}` : '-',
    r.zstd && r.codec === 'zstd' ? `${(((r.storedBytes - r.zstd.storedBytes) / r.zstd.storedBytes) * 100).toFixed(2)}%` : '-',
  ]);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
}

async function realFile(file: string): Promise<Record<string, unknown>> {
  const size = statSync(file).size;
  console.error(`real file ${file} (${size} bytes)`);
  // Warm the page cache so both tools read the input from memory alike.
  await once(createReadStream(file).resume(), 'end');
  // The machine is shared and noisy: each round times zstd and then dcs seconds apart, and the
  // ratios of the rounds are reported, with the median round as the table row.
  const rounds: { row: Row; putRatio: number; getRatio: number }[] = [];
  for (let i = 0; i < Math.max(1, Number(args.rounds)); i++) {
    const ref = zstdReference(file, size);
    const r = await measureFile('real', file, size, 'zstd', ref);
    const putRatio = ref ? r.putMBps / ref.putMBps : 0;
    const getRatio = ref ? r.getMBps / ref.getMBps : 0;
    rounds.push({ row: r, putRatio, getRatio });
    console.error(`real file round ${i + 1}: put ${r.putMBps} MB/s (${Math.round(putRatio * 100)}% of zstd -T2 -3), get ${r.getMBps} MB/s (${Math.round(getRatio * 100)}% of zstd -d), RSS ${r.putRssMB}/${r.getRssMB} MB`);
  }
  const byPut = [...rounds].sort((a, b) => a.putRatio - b.putRatio);
  const row = byPut[Math.floor((byPut.length - 1) / 2)]!.row;
  const percents = (key: 'putRatio' | 'getRatio'): number[] => rounds.map((r) => Math.round(r[key] * 100));
  // Dedup: the same file again, then a copy with 100 scattered 1-byte inserts.
  const repo = await freshRepo('dedup');
  await dcs(['put', file, '--name', 'f', '--repo', repo, '-q']);
  const s1 = await storedBytes(repo);
  await dcs(['put', file, '--name', 'f', '--repo', repo, '-q']);
  const s2 = await storedBytes(repo);
  const edited = join(args.work, 'edited');
  await withInserts(file, edited, 100);
  await dcs(['put', edited, '--name', 'f', '--repo', repo, '-q']);
  const s3 = await storedBytes(repo);
  rmSync(edited);
  rmSync(repo, { recursive: true, force: true });
  return {
    row,
    rounds: { putVsZstdPercent: percents('putRatio'), getVsZstdPercent: percents('getRatio'), putRssMB: rounds.map((r) => r.row.putRssMB), getRssMB: rounds.map((r) => r.row.getRssMB) },
    dedup: {
      firstPutStored: s1,
      secondPutAdded: s2 - s1,
      secondPutAddedPercent: ((s2 - s1) / size) * 100,
      insertsPutAdded: s3 - s2,
      insertsPutAddedPercent: ((s3 - s2) / size) * 100,
    },
  };
}

async function streamRss(size: number): Promise<Record<string, unknown>> {
  const repo = await freshRepo('stream');
  const put = await dcs(['put', '-', '--name', 'stream', '--codec', 'zstd', '--repo', repo, '-q'], blocks('mixed', size));
  const get = await dcs(['get', 'stream', '-o', '-', '--repo', repo, '-q']);
  rmSync(repo, { recursive: true, force: true });
  return { size, putSeconds: put.seconds, putMBps: mbps(size, put.seconds), putRssMB: Math.round(put.maxRssBytes / 1048576), getSeconds: get.seconds, getMBps: mbps(size, get.seconds), getRssMB: Math.round(get.maxRssBytes / 1048576) };
}

/** A large stream through an S3 backend (s3rver on loopback): memory must stay bounded by config. */
async function cloudMode(size: number): Promise<Record<string, unknown>> {
  const { startS3rver, S3RVER_CREDENTIALS } = await import('../test/helpers/s3rver.ts');
  const s3 = await startS3rver({ bucket: 'bench' });
  const env = { AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey };
  const repo = join(args.work, 'cloud');
  rmSync(repo, { recursive: true, force: true });
  try {
    await dcs(['init', '--repo', repo, '--backend', `s3=s3://bench/dcs?endpoint=${encodeURIComponent(s3.endpoint)}&path_style=true`], undefined, env);
    const put = await dcs(['put', '-', '--name', 'stream', '--codec', 'zstd', '--repo', repo, '-q'], blocks('mixed', size), env);
    const get = await dcs(['get', 'stream', '-o', '-', '--repo', repo, '-q'], undefined, env);
    return { backend: 's3 (s3rver on loopback)', size, putMBps: mbps(size, put.seconds), putRssMB: Math.round(put.maxRssBytes / 1048576), getMBps: mbps(size, get.seconds), getRssMB: Math.round(get.maxRssBytes / 1048576), requests: s3.requests.length };
  } finally {
    rmSync(repo, { recursive: true, force: true });
    await s3.close();
  }
}

/** A `dcs serve` child on loopback with a fresh repository; its peak RSS is read from /proc. */
async function startServer(name: string): Promise<{ url: string; token: string; peakRssMB: () => number; stop: () => Promise<void> }> {
  const repo = await freshRepo(name);
  const token = 'bench-token';
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'dcs.js'), 'serve', '--repo', repo, '--listen', '127.0.0.1:0', '--log-level', 'warn'], {
    env: { ...process.env, DCS_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((done, fail) => {
    child.stdout!.once('data', (d: Buffer) => done(d.toString().trim()));
    child.once('exit', (code) => fail(new Error(`dcs serve exited with ${code}`)));
  });
  return {
    url,
    token,
    peakRssMB: () => Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024),
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
      rmSync(repo, { recursive: true, force: true });
    },
  };
}

/** HTTP API: streamed PUT and GET vs the CLI reading stdin, and a resumable upload in parts. */
async function httpMode(file: string, size: number): Promise<Record<string, unknown>> {
  await once(createReadStream(file).resume(), 'end');
  const cliRepo = await freshRepo('http-cli');
  const cli = await dcs(['put', '-', '--name', 'f', '--codec', 'zstd', '--repo', cliRepo, '-q'], (function* () {
    const fd = readFileSync(file);
    for (let at = 0; at < fd.length; at += 1 << 20) yield fd.subarray(at, at + (1 << 20));
  })());
  rmSync(cliRepo, { recursive: true, force: true });
  const stats = async (url: string, token: string): Promise<{ storedBytes: number }> => (await fetch(`${url}/api/v1/stats`, { headers: { authorization: `Bearer ${token}` } })).json() as Promise<{ storedBytes: number }>;
  const a = await startServer('http-a');
  const auth = { authorization: `Bearer ${a.token}` };
  let t = performance.now();
  const put = await fetch(`${a.url}/api/v1/files/f?codec=zstd`, { method: 'PUT', headers: auth, body: createReadStream(file) as unknown as ReadableStream, duplex: 'half' } as RequestInit);
  if (put.status !== 201) throw new Error(`PUT: ${put.status} ${await put.text()}`);
  const putSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const get = await fetch(`${a.url}/api/v1/files/f`, { headers: auth });
  let got = 0;
  for await (const piece of get.body as unknown as AsyncIterable<Uint8Array>) got += piece.length;
  if (got !== size) throw new Error(`GET returned ${got} bytes`);
  const getSeconds = (performance.now() - t) / 1000;
  const before = (await stats(a.url, a.token)).storedBytes;
  const resumable = async (url: string, token: string, name: string): Promise<{ seconds: number; completeSeconds: number }> => {
    const h = { authorization: `Bearer ${token}` };
    const start = performance.now();
    const u = (await (await fetch(`${url}/api/v1/uploads`, { method: 'POST', headers: h, body: JSON.stringify({ name, codec: 'zstd' }) })).json()) as { id: string; partSize: number };
    const fh = readFileSync(file);
    for (let n = 1, at = 0; at < fh.length; n++, at += u.partSize) {
      const r = await fetch(`${url}/api/v1/uploads/${u.id}/parts/${n}`, { method: 'PUT', headers: h, body: fh.subarray(at, at + u.partSize) });
      if (r.status !== 200) throw new Error(`part ${n}: ${r.status} ${await r.text()}`);
    }
    const c0 = performance.now();
    const done = await fetch(`${url}/api/v1/uploads/${u.id}/complete`, { method: 'POST', headers: h, body: JSON.stringify({ size }) });
    if (done.status !== 201) throw new Error(`complete: ${done.status} ${await done.text()}`);
    return { seconds: (performance.now() - start) / 1000, completeSeconds: (performance.now() - c0) / 1000 };
  };
  const again = await resumable(a.url, a.token, 'f-in-parts');
  const addedByParts = (await stats(a.url, a.token)).storedBytes - before;
  const serverRssMB = a.peakRssMB();
  await a.stop();
  const b = await startServer('http-b');
  const fresh = await resumable(b.url, b.token, 'f');
  await b.stop();
  return {
    size,
    cliStdinPutMBps: mbps(size, cli.seconds),
    httpPutMBps: mbps(size, putSeconds),
    httpPutVsCli: Math.round((cli.seconds / putSeconds) * 100) / 100,
    httpGetMBps: mbps(size, getSeconds),
    resumablePutMBps: mbps(size, fresh.seconds),
    resumableCompleteSeconds: Math.round(fresh.completeSeconds * 100) / 100,
    resumableOfStoredFileSeconds: Math.round(again.seconds * 100) / 100,
    storedBytesAddedByPartsOfSameFile: addedByParts,
    serverPeakRssMB: serverRssMB,
  };
}

/**
 * `dcs put` of many small text files in one command (what a backup of a source tree does), against
 * `tar -c | zstd -T2 -3` of the same directory: files per second, stored size and peak RSS.
 */
async function manyFiles(n: number): Promise<Record<string, unknown>> {
  const dir = join(args.work, `many-${n}`);
  const names: string[] = [];
  let bytes = 0;
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    // Log-uniform sizes from 1 to 128 KiB, distinct text in every file (nothing dedups).
    const size = Math.round(1024 * 2 ** (((i * 2654435761) % 1000) / 1000 * 7));
    const name = `f${String(i).padStart(6, '0')}.txt`;
    const block = new Uint8Array(size);
    fillBlock('text', block, i + 1_000_000);
    writeFileSync(join(dir, name), block);
    names.push(name);
    bytes += size;
  }
  const repo = await freshRepo(`many-${n}-repo`);
  const put = await dcs(['put', ...names.map((f) => join(dir, f)), '--codec', 'zstd', '--repo', repo, '-q']);
  const stored = await storedBytes(repo);
  const result: Record<string, unknown> = {
    files: n,
    bytes,
    seconds: Number(put.seconds.toFixed(2)),
    filesPerSecond: Math.round(n / put.seconds),
    putMBps: mbps(bytes, put.seconds),
    storedBytes: stored,
    putRssMB: Math.round(put.maxRssBytes / 1e6),
  };
  if (hasZstd) {
    const out = join(args.work, 'many.tar.zst');
    const t = timeShell(`tar -cf - -C ${JSON.stringify(dir)} . | zstd -T2 -3 -q -f -o ${out}`);
    result.tarZstdSeconds = Number(t.toFixed(2));
    result.tarZstdStoredBytes = statSync(out).size;
    result.putVsTarZstdPercent = Math.round((t / put.seconds) * 100);
    rmSync(out);
  }
  rmSync(dir, { recursive: true, force: true });
  return result;
}

async function run(): Promise<void> {
  mkdirSync(args.work, { recursive: true });
  mkdirSync(args.out, { recursive: true });
  const sizes = (args.quick ? '1M,16M' : args.sizes).split(',').filter((s) => s.trim() !== '').map(parseSize);
  const kinds = args.kinds.split(',') as DataKind[];
  const codecs = args.codecs.split(',');
  const bigCodecs = new Set(args['big-codecs'].split(','));
  const machine = { cpus: availableParallelism(), model: cpus()[0]?.model, node: process.version, zstd: hasZstd ? spawnSync('zstd', ['--version']).stdout.toString().trim() : 'not installed' };
  const rows: Row[] = [];
  const extra: Record<string, unknown> = {};
  {
    for (const kind of kinds) {
      for (const size of sizes) {
        const file = join(args.work, `${kind}-${fmtSize(size)}.bin`);
        await ensureDataFile(file, kind, size);
        const ref = size >= 16 * 1024 * 1024 ? zstdReference(file, size) : undefined;
        for (const codec of codecs) {
          if (size > 64 * 1024 * 1024 && !bigCodecs.has(codec)) continue;
          const row = await measureFile(kind, file, size, codec, codec === 'zstd' ? ref : undefined);
          rows.push(row);
          console.error(`${kind} ${fmtSize(size)} ${codec}: put ${row.putMBps} MB/s, get ${row.getMBps} MB/s, ratio ${row.ratio}, RSS ${row.putRssMB}/${row.getRssMB} MB`);
        }
      }
    }
  }
  if (args.file) {
    const real = await realFile(args.file);
    rows.push(real.row as Row);
    extra.realFile = { path: args.file, ...real };
    console.error(`dedup: ${JSON.stringify(real.dedup)}`);
  }
  let clusterMd = '';
  if (args.cluster) {
    const topologies = new Set(args.topologies.split(',').map((t) => t.trim()).filter((t) => t !== ''));
    const unknown = [...topologies].filter((t) => !['a', 'b', 'c', 'd'].includes(t));
    if (unknown.length > 0) throw new Error(`--topologies takes a, b, c and d, got ${unknown.join(', ')}`);
    const result = await clusterBench(
      { spec: args.cluster, work: args.work, rounds: Math.max(1, Number(args.rounds)), topologies, compressors: Number(args.compressors), port: Number(args['cluster-port']) },
      parseSize,
    );
    extra.cluster = result;
    clusterMd = clusterMarkdown(result, machine.cpus);
  }
  if (args['vs-restic']) {
    const result = await vsResticBench({ file: args['vs-restic'], work: args.work, rounds: Math.max(1, Number(args.rounds)) });
    extra.vsRestic = result;
    clusterMd += `${clusterMd ? '\n\n' : ''}${vsResticMarkdown(result)}`;
  }
  if (args['vs-restic-small']) {
    // `npm run` starts this in the package root; INIT_CWD is where the command was typed.
    const here = process.env.INIT_CWD ?? process.cwd();
    const result = await vsResticSmallBench({ list: resolve(here, args['vs-restic-small']), root: resolve(here, args['small-root'] ?? '.'), work: args.work, rounds: Math.max(1, Number(args.rounds)) });
    extra.vsResticSmall = result;
    clusterMd += `${clusterMd ? '\n\n' : ''}${vsResticSmallMarkdown(result)}`;
  }
  if (args.s3) {
    const here = process.env.INIT_CWD ?? process.cwd();
    const { s3Bench, s3Markdown } = await import('./s3.ts');
    const result = await s3Bench({
      file: resolve(here, args.s3),
      ...(args['s3-small'] ? { small: { list: resolve(here, args['s3-small']), root: resolve(here, args['small-root'] ?? '.') } } : {}),
      work: args.work,
      rounds: Math.max(1, Number(args.rounds)),
    });
    extra.s3 = result;
    clusterMd += `${clusterMd ? '\n\n' : ''}${s3Markdown(result)}`;
  }
  if (args.scale) {
    const result = await scaleBench({ counts: args.scale.split(',').filter((s) => s.trim() !== '').map(Number), work: args.work });
    extra.scale = result;
    clusterMd += `${clusterMd ? '\n\n' : ''}${scaleMarkdown(result)}`;
  }
  if (args.cloud) {
    extra.cloud = await cloudMode(parseSize(args.cloud));
    console.log(`\ncloud: ${JSON.stringify(extra.cloud)}`);
  }
  if (args.http) {
    const file = args.file ?? join(args.work, `mixed-${args.http}.bin`);
    const size = args.file ? statSync(args.file).size : parseSize(args.http);
    if (!args.file) await ensureDataFile(file, 'mixed', size);
    extra.http = await httpMode(file, size);
    console.log(`\nhttp: ${JSON.stringify(extra.http)}`);
  }
  if (args['many-files']) {
    extra.manyFiles = await manyFiles(Number(args['many-files']));
    console.log(`\nmany files: ${JSON.stringify(extra.manyFiles)}`);
  }
  if (args.stream) {
    extra.stream = await streamRss(parseSize(args.stream));
    console.error(`stream: ${JSON.stringify(extra.stream)}`);
  }
  const md = [`Machine: ${machine.cpus} cores (${machine.model}), Node ${machine.node}, ${machine.zstd}`, '', table(rows), ...(clusterMd ? ['', clusterMd] : [])].join('\n');
  console.log(md);
  if (extra.realFile) {
    const real = extra.realFile as { dedup: unknown; rounds: unknown };
    console.log(`\nreal file rounds: ${JSON.stringify(real.rounds)}\nreal file dedup: ${JSON.stringify(real.dedup)}`);
  }
  if (extra.stream) console.log(`\nstream: ${JSON.stringify(extra.stream)}`);
  writeFileSync(join(args.out, 'results.json'), JSON.stringify({ machine, rows, ...extra, at: new Date().toISOString() }, null, 2));
  writeFileSync(join(args.out, 'results.md'), `${md}\n`);
}

await run();
