// `npm run bench -- --cluster KIND-SIZE|FILE`: the topologies of `dcs cluster up` beside embedded
// mode, in one run, timed as a user times them. Every dcs command is a whole child process
// (`node bin/dcs.js …`) timed from spawn to exit; `get` writes a real file. For each topology: put
// and get MB/s, CPU-seconds per GiB of every process role (client, orchestrator(s), storage nodes
// summed and per node, compressors, chunker) and the bytes the client sent. Topologies:
//   a  default `dcs cluster up` (one orchestrator, storage nodes; clients chunk and compress)
//   b  `--compressors N` with `dcs put --compress-on server` (the orchestrator compresses on them)
//   c  `--orchestrators 2` over one PostgreSQL: two puts of two files at once, one client per
//      orchestrator, against two puts at once through a's single orchestrator (row a×2)
//   d  in a's cluster: a re-put of the unchanged file and a put of a copy with 100 one-byte inserts
// Rounds alternate embedded and cluster runs; the tables show medians, and ratios to the embedded
// run of the same round.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureDataFile, DATA_KINDS, type DataKind } from './data.ts';
import { withInserts, xorCopy } from './edits.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'dcs.js');
const GiB = 1024 ** 3;
const TIME = '/usr/bin/time';

export interface ClusterBenchOptions {
  /** KIND-SIZE (generated, e.g. text-512M) or the path of a real file. */
  spec: string;
  work: string;
  rounds: number;
  /** Which of a, b, c, d to run. */
  topologies: Set<string>;
  /** Compressor processes of topology b. */
  compressors: number;
  /** The first orchestrator's port; the rest follow as `dcs cluster up` lays them out. */
  port: number;
}

interface Input {
  label: string;
  file: string;
  size: number;
}

/** Clock ticks per second, the unit of utime and stime in /proc/PID/stat. */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** CPU-seconds (user + system, all threads) a running process has used so far, from /proc/PID/stat. */
function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

interface Run {
  seconds: number;
  /** CPU-seconds of the dcs process, all its threads. */
  cpuSeconds: number;
  stdout: string;
}

/**
 * `node bin/dcs.js ARGS` as its own process, timed from spawn to exit. Its CPU comes from
 * /usr/bin/time, which reads the child's rusage when it reaps it (wait4): user + system time of
 * every thread, to the very end of the process — which no reading of /proc from outside can get,
 * since the process is gone (and reaped by libuv) the moment it exits.
 */
async function dcs(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const report = join(tmpdir(), `dcs-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  const started = performance.now();
  const child = spawn(TIME, ['-f', '%U %S', '-o', report, process.execPath, BIN, ...args], {
    // Every command names its target: none may pick up the caller's DCS_SERVER or DCS_REPO.
    env: { ...process.env, DCS_SERVER: undefined, DCS_REPO: undefined, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    if (stdout.length < 1 << 20) stdout += d.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  const seconds = (performance.now() - started) / 1000;
  const times = readFileSync(report, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  rmSync(report, { force: true });
  if (code !== 0) throw new Error(`dcs ${args.slice(0, 6).join(' ')}${args.length > 6 ? ' …' : ''} exited ${code}`);
  return { seconds, cpuSeconds: times[0]! + times[1]!, stdout };
}

interface ClusterProcess {
  role: string;
  name: string;
  pid: number;
}

interface Cluster {
  dir: string;
  servers: string[];
  processes: ClusterProcess[];
  env: NodeJS.ProcessEnv;
}

function cpuOf(cluster: Cluster | undefined): Map<string, number> {
  return new Map((cluster?.processes ?? []).map((p) => [p.name, procCpuSeconds(p.pid)]));
}

/** What one operation (one or more clients at once) cost. */
interface OpCost {
  bytes: number;
  seconds: number;
  MBps: number;
  /** CPU-seconds per GiB moved, by role; storage also per node, orchestrators also per process. */
  cpuPerGiB: Record<string, number>;
  perProcessCpuPerGiB: Record<string, number>;
  /** Bytes the client(s) wrote to the network (from `dcs put --json`), or null when dcs does not say. */
  bytesSent: number | null;
}

const ROLES = ['client', 'orchestrator', 'storage', 'compressor', 'chunker'] as const;

/** Run these dcs commands at once and account their time, the clients' CPU and every cluster process's CPU. */
async function operation(cluster: Cluster | undefined, bytes: number, commands: { args: string[] }[]): Promise<OpCost> {
  const before = cpuOf(cluster);
  const started = performance.now();
  const runs = await Promise.all(commands.map((c) => dcs(c.args, cluster?.env)));
  const seconds = (performance.now() - started) / 1000;
  const after = cpuOf(cluster);
  const gib = bytes / GiB;
  const perProcess: Record<string, number> = {};
  const byRole: Record<string, number> = Object.fromEntries(ROLES.map((r) => [r, 0]));
  byRole.client = runs.reduce((s, r) => s + r.cpuSeconds, 0) / gib;
  for (const p of cluster?.processes ?? []) {
    const used = (after.get(p.name)! - before.get(p.name)!) / gib;
    perProcess[p.name] = used;
    byRole[p.role] = (byRole[p.role] ?? 0) + used;
  }
  const sent = runs.map((r) => sentBytes(r.stdout));
  return {
    bytes,
    seconds,
    MBps: bytes / 1e6 / seconds,
    cpuPerGiB: byRole,
    perProcessCpuPerGiB: perProcess,
    bytesSent: sent.length > 0 && sent.every((s) => s !== null) ? sent.reduce((a, b) => a! + b!, 0) : null,
  };
}

/** `bytesSent` of `dcs put --json`, when this build reports it; never guessed. */
function sentBytes(stdout: string): number | null {
  try {
    const parsed = JSON.parse(stdout) as unknown;
    const first = (Array.isArray(parsed) ? parsed[0] : parsed) as { bytesSent?: unknown } | undefined;
    return typeof first?.bytesSent === 'number' ? first.bytesSent : null;
  } catch {
    return null;
  }
}

/** The file `get` wrote must be the input, byte for byte (checked outside the timing). */
function checkSame(got: string, want: string): void {
  if (statSync(got).size !== statSync(want).size || spawnSync('cmp', ['-s', got, want]).status !== 0) throw new Error(`${got} differs from ${want}`);
  rmSync(got);
}

async function clusterUp(dir: string, port: number, extra: string[]): Promise<Cluster> {
  rmSync(dir, { recursive: true, force: true });
  const up = await dcs(['cluster', 'up', '--dir', dir, '--port', String(port), '--json', ...extra]);
  const state = JSON.parse(up.stdout) as { servers: string[]; processes: ClusterProcess[] };
  const tokens = JSON.parse(readFileSync(join(dir, 'tokens.json'), 'utf8')) as { DCS_TOKEN: string };
  return { dir, servers: state.servers, processes: state.processes, env: { DCS_TOKEN: tokens.DCS_TOKEN } };
}

async function clusterDown(c: Cluster): Promise<void> {
  await dcs(['cluster', 'down', '--dir', c.dir]);
  rmSync(c.dir, { recursive: true, force: true });
}

/** The input: a generated file of KIND-SIZE, or a real file. */
async function inputOf(spec: string, work: string, parseSize: (s: string) => number): Promise<Input> {
  const m = /^([a-z]+)-(\d+[KMG]?)$/i.exec(spec);
  if (m && DATA_KINDS.includes(m[1] as DataKind)) {
    const size = parseSize(m[2]!);
    const file = join(work, `${m[1]}-${m[2]}.bin`);
    await ensureDataFile(file, m[1] as DataKind, size);
    return { label: spec, file, size };
  }
  if (existsSync(spec) && statSync(spec).isFile()) return { label: spec, file: resolve(spec), size: statSync(spec).size };
  throw new Error(`--cluster takes KIND-SIZE (kinds: ${DATA_KINDS.join(', ')}; e.g. text-512M) or the path of a file, got ${JSON.stringify(spec)}`);
}

/** Does this build's `dcs put` have --compress-on (topology b)? */
async function hasCompressOn(): Promise<boolean> {
  return (await dcs(['put', '--help'])).stdout.includes('--compress-on');
}

interface Pg {
  url: string;
  fresh(name: string): Promise<string>;
  drop(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** A PostgreSQL server as the tests find or start one (test/helpers/postgres-server.ts), and fresh databases in it. */
async function postgres(): Promise<Pg> {
  const [{ findOrStartPostgres }, { Client }] = await Promise.all([import('../test/helpers/postgres-server.ts'), import('pg')]);
  const server = await findOrStartPostgres();
  console.error(`cluster bench: PostgreSQL from ${server.source}`);
  const admin = async (sql: string): Promise<void> => {
    const client = new Client({ connectionString: server.url, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    url: server.url,
    fresh: async (name) => {
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin(`CREATE DATABASE "${name}"`);
      const url = new URL(server.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
    drop: (name) => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
    stop: () => server.stop(),
  };
}

/** One topology in one round. */
interface RoundResult {
  topology: string;
  put: OpCost;
  get: OpCost;
  /** d: re-put of the unchanged file, and a put of the copy with 100 one-byte inserts. */
  reput?: OpCost;
  edited?: OpCost;
}

const PUT = ['--codec', 'zstd', '--json', '-q'];

async function embeddedRound(work: string, input: Input): Promise<RoundResult> {
  const repo = join(work, 'cluster-embedded');
  rmSync(repo, { recursive: true, force: true });
  await dcs(['init', '--repo', repo, '--backend', 'fs:a', '--backend', 'fs:b', '--backend', 'fs:c', '--replicate', '2']);
  const out = join(work, 'cluster-get.out');
  rmSync(out, { force: true });
  const put = await operation(undefined, input.size, [{ args: ['put', input.file, '--name', 'f', '--repo', repo, ...PUT] }]);
  const get = await operation(undefined, input.size, [{ args: ['get', 'f', '-o', out, '--repo', repo, '-q'] }]);
  checkSame(out, input.file);
  rmSync(repo, { recursive: true, force: true });
  // Embedded mode sends nothing over a network.
  return { topology: 'embedded', put: { ...put, bytesSent: null }, get };
}

/** One file up and back through the first orchestrator; with `dedup`, also topology d. */
async function singleRound(topology: string, c: Cluster, work: string, input: Input, putExtra: string[], dedup?: string): Promise<RoundResult> {
  const out = join(work, 'cluster-get.out');
  rmSync(out, { force: true });
  const server = ['--server', c.servers[0]!];
  const put = await operation(c, input.size, [{ args: ['put', input.file, '--name', 'f', ...server, ...PUT, ...putExtra] }]);
  const get = await operation(c, input.size, [{ args: ['get', 'f', '-o', out, ...server, '-q'] }]);
  checkSame(out, input.file);
  if (dedup === undefined) return { topology, put, get };
  const reput = await operation(c, input.size, [{ args: ['put', input.file, '--name', 'f', ...server, ...PUT] }]);
  const edited = await operation(c, statSync(dedup).size, [{ args: ['put', dedup, '--name', 'f-edited', ...server, ...PUT] }]);
  return { topology, put, get, reput, edited };
}

/** Two different files put at once, then got at once: client i talks to orchestrator i % servers. */
async function pairRound(topology: string, c: Cluster, work: string, files: [Input, Input]): Promise<RoundResult> {
  const bytes = files[0].size + files[1].size;
  const server = (i: number): string[] => ['--server', c.servers[i % c.servers.length]!];
  const put = await operation(c, bytes, files.map((f, i) => ({ args: ['put', f.file, '--name', `f${i}`, ...server(i), ...PUT] })));
  const outs = files.map((_, i) => join(work, `cluster-get-${i}.out`));
  for (const o of outs) rmSync(o, { force: true });
  // Each file is read back through the other orchestrator than the one that stored it.
  const get = await operation(c, bytes, files.map((_, i) => ({ args: ['get', `f${i}`, '-o', outs[i]!, ...server(i + 1), '-q'] })));
  files.forEach((f, i) => checkSame(outs[i]!, f.file));
  return { topology, put, get };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function medianCost(costs: OpCost[]): OpCost {
  const keys = (pick: (c: OpCost) => Record<string, number>): string[] => [...new Set(costs.flatMap((c) => Object.keys(pick(c))))];
  const med = (pick: (c: OpCost) => Record<string, number>): Record<string, number> => Object.fromEntries(keys(pick).map((k) => [k, median(costs.map((c) => pick(c)[k] ?? 0))]));
  const sent = costs.map((c) => c.bytesSent);
  return {
    bytes: costs[0]!.bytes,
    seconds: median(costs.map((c) => c.seconds)),
    MBps: median(costs.map((c) => c.MBps)),
    cpuPerGiB: med((c) => c.cpuPerGiB),
    perProcessCpuPerGiB: med((c) => c.perProcessCpuPerGiB),
    bytesSent: sent.every((s) => s !== null) ? median(sent as number[]) : null,
  };
}

export interface ClusterSummary {
  topology: string;
  description: string;
  put: OpCost;
  get: OpCost;
  /** Medians of the per-round ratios to that round's embedded run. */
  putVsEmbeddedPercent: number | null;
  getVsEmbeddedPercent: number | null;
  orchestratorCpuVsEmbedded: number | null;
  reput?: OpCost & { sentPercent: number | null };
  edited?: OpCost & { sentPercent: number | null };
}

export interface ClusterBenchResult {
  input: string;
  size: number;
  rounds: number;
  notes: string[];
  summary: ClusterSummary[];
  /** Two orchestrators' aggregate put MB/s over one orchestrator's (rows c and a×2), median of rounds. */
  twoOrchestratorsVsOnePercent: number | null;
  raw: RoundResult[][];
}

export async function clusterBench(options: ClusterBenchOptions, parseSize: (s: string) => number): Promise<ClusterBenchResult> {
  const { work, topologies: want } = options;
  const input = await inputOf(options.spec, work, parseSize);
  console.error(`cluster bench: ${input.label} (${input.size} bytes), ${options.rounds} round(s), topologies ${[...want].join(',')}`);
  if (!existsSync(TIME)) throw new Error(`the cluster bench times each dcs process with ${TIME} (apt-get install time)`);
  const notes: string[] = [];
  const compressOn = want.has('b') && (await hasCompressOn());
  if (want.has('b') && !compressOn) notes.push('b: this build of `dcs put` has no --compress-on; b ran a plain `dcs put --server` (the orchestrator compresses streamed uploads on the compressors)');
  // Inputs besides the file itself: a second file that shares no chunk with it (for two puts at
  // once), and the copy with 100 one-byte inserts (seed 42, spread evenly).
  const second = { label: `${input.label} xor 0xa5`, file: join(work, 'cluster-second.bin'), size: input.size };
  if (want.has('c')) await xorCopy(input.file, second.file, 0xa5);
  const edited = join(work, 'cluster-edited.bin');
  if (want.has('d')) await withInserts(input.file, edited, 100, 42);
  // Warm the page cache so every run reads its input from memory alike.
  for (const f of [input.file, ...(want.has('c') ? [second.file] : [])]) await once(spawn('cat', [f], { stdio: ['ignore', 'ignore', 'inherit'] }), 'exit');
  const pg = want.has('c') ? await postgres() : undefined;
  const raw: RoundResult[][] = [];
  const dir = join(work, 'cluster');
  try {
    for (let round = 0; round < options.rounds; round++) {
      const results: RoundResult[] = [];
      const log = (r: RoundResult): void => {
        results.push(r);
        console.error(`cluster bench round ${round + 1}: ${r.topology}: put ${r.put.MBps.toFixed(0)} MB/s, get ${r.get.MBps.toFixed(0)} MB/s${r.reput ? `, re-put sent ${fmtBytes(r.reput.bytesSent)}, edited sent ${fmtBytes(r.edited!.bytesSent)}` : ''}`);
      };
      log(await embeddedRound(work, input));
      if (want.has('a') || want.has('d')) {
        const c = await clusterUp(dir, options.port, []);
        try {
          log(await singleRound('a', c, work, input, [], want.has('d') ? edited : undefined));
        } finally {
          await clusterDown(c);
        }
      }
      if (want.has('b')) {
        const c = await clusterUp(dir, options.port, ['--compressors', String(options.compressors)]);
        try {
          log(await singleRound('b', c, work, input, compressOn ? ['--compress-on', 'server'] : []));
        } finally {
          await clusterDown(c);
        }
      }
      if (want.has('c') && pg) {
        const c1 = await clusterUp(dir, options.port, []);
        try {
          log(await pairRound('a×2', c1, work, [input, second]));
        } finally {
          await clusterDown(c1);
        }
        const db = `dcs_bench_${process.pid}_${round}`;
        const url = await pg.fresh(db);
        try {
          const c2 = await clusterUp(dir, options.port, ['--orchestrators', '2', '--metadata', url]);
          try {
            log(await pairRound('c', c2, work, [input, second]));
          } finally {
            await clusterDown(c2);
          }
        } finally {
          await pg.drop(db);
        }
      }
      raw.push(results);
    }
  } finally {
    await pg?.stop();
    rmSync(second.file, { force: true });
    rmSync(edited, { force: true });
  }
  return { input: input.label, size: input.size, rounds: options.rounds, notes, ...summarize(raw, options.compressors, compressOn), raw };
}

const DESCRIPTIONS: Record<string, (compressors: number, compressOn: boolean) => string> = {
  embedded: () => 'embedded: one `dcs` process, 3 fs backends, replicate 2',
  a: () => 'a: `dcs cluster up` (1 orchestrator, 3 storage nodes, replicate 2)',
  b: (n, compressOn) => `b: --compressors ${n}, ${compressOn ? 'put --compress-on server' : 'plain put --server (no --compress-on in this build)'}`,
  'a×2': () => 'a×2: two puts at once through a\'s one orchestrator (aggregate)',
  c: () => 'c: --orchestrators 2 + PostgreSQL, one client per orchestrator (aggregate)',
};

function summarize(raw: RoundResult[][], compressors: number, compressOn: boolean): Pick<ClusterBenchResult, 'summary' | 'twoOrchestratorsVsOnePercent'> {
  const topologies = [...new Set(raw.flatMap((r) => r.map((t) => t.topology)))];
  const ratios = (topology: string, f: (t: RoundResult, e: RoundResult) => number | null): number | null => {
    const xs = raw.flatMap((r) => {
      const t = r.find((x) => x.topology === topology);
      const e = r.find((x) => x.topology === 'embedded');
      const v = t && e ? f(t, e) : null;
      return v === null || !Number.isFinite(v) ? [] : [v];
    });
    return xs.length > 0 ? median(xs) : null;
  };
  const sentPercent = (c: OpCost): OpCost & { sentPercent: number | null } => ({ ...c, sentPercent: c.bytesSent === null ? null : (c.bytesSent / c.bytes) * 100 });
  const summary = topologies.map((topology): ClusterSummary => {
    const of = raw.flatMap((r) => r.filter((t) => t.topology === topology));
    const reputs = of.flatMap((t) => (t.reput ? [t.reput] : []));
    const editeds = of.flatMap((t) => (t.edited ? [t.edited] : []));
    return {
      topology,
      description: DESCRIPTIONS[topology]?.(compressors, compressOn) ?? topology,
      put: medianCost(of.map((t) => t.put)),
      get: medianCost(of.map((t) => t.get)),
      putVsEmbeddedPercent: ratios(topology, (t, e) => (t.put.MBps / e.put.MBps) * 100),
      getVsEmbeddedPercent: ratios(topology, (t, e) => (t.get.MBps / e.get.MBps) * 100),
      orchestratorCpuVsEmbedded: topology === 'embedded' ? null : ratios(topology, (t, e) => t.put.cpuPerGiB.orchestrator! / e.put.cpuPerGiB.client!),
      ...(reputs.length > 0 ? { reput: sentPercent(medianCost(reputs)) } : {}),
      ...(editeds.length > 0 ? { edited: sentPercent(medianCost(editeds)) } : {}),
    };
  });
  const pairs = raw.flatMap((r) => {
    const one = r.find((t) => t.topology === 'a×2');
    const two = r.find((t) => t.topology === 'c');
    return one && two ? [(two.put.MBps / one.put.MBps) * 100] : [];
  });
  return { summary, twoOrchestratorsVsOnePercent: pairs.length > 0 ? median(pairs) : null };
}

function fmtBytes(n: number | null): string {
  if (n === null) return 'n/a';
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

const pct = (x: number | null): string => (x === null ? '-' : `${x.toFixed(0)}%`);
const cpu = (x: number | undefined): string => (x === undefined || x === 0 ? '-' : x.toFixed(2));

function mdTable(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Per-node detail of a role: "1.23 (0.41 / 0.40 / 0.42)" when there is more than one process. */
function roleCell(c: OpCost, role: string, names: string[]): string {
  const total = c.cpuPerGiB[role];
  if (!total) return '-';
  return names.length > 1 ? `${total.toFixed(2)} (${names.map((n) => (c.perProcessCpuPerGiB[n] ?? 0).toFixed(2)).join(' / ')})` : total.toFixed(2);
}

export function clusterMarkdown(r: ClusterBenchResult, machineCores: number): string {
  const names = (c: OpCost, prefix: string): string[] => Object.keys(c.perProcessCpuPerGiB).filter((n) => n.startsWith(prefix)).sort();
  const cpuRows = (op: 'put' | 'get'): string[][] =>
    r.summary.map((s) => {
      const c = s[op];
      const total = Object.values(c.cpuPerGiB).reduce((a, b) => a + b, 0);
      return [
        s.topology,
        cpu(c.cpuPerGiB.client),
        roleCell(c, 'orchestrator', names(c, 'orchestrator')),
        roleCell(c, 'storage', names(c, 'storage-')),
        roleCell(c, 'compressor', names(c, 'compressor')),
        cpu(c.cpuPerGiB.chunker),
        total.toFixed(2),
        ...(op === 'put' ? [s.orchestratorCpuVsEmbedded === null ? '-' : `${s.orchestratorCpuVsEmbedded.toFixed(2)}×`] : []),
      ];
    });
  const cpuHead = ['topology', 'client', 'orchestrator(s)', 'storage Σ (per node)', 'compressors', 'chunker', 'total'];
  const parts = [
    `### Cluster topologies: ${r.input} (${fmtBytes(r.size)}), zstd, median of ${r.rounds} round(s), ${machineCores} cores`,
    '',
    r.summary.map((s) => `- ${s.description}`).join('\n'),
    '',
    mdTable(
      ['topology', 'put MB/s', 'put vs embedded', 'get MB/s', 'get vs embedded', 'client sent (put)'],
      r.summary.map((s) => [
        s.topology,
        s.put.MBps.toFixed(0),
        pct(s.putVsEmbeddedPercent),
        s.get.MBps.toFixed(0),
        pct(s.getVsEmbeddedPercent),
        s.topology === 'embedded' ? '-' : s.put.bytesSent === null ? 'n/a' : `${fmtBytes(s.put.bytesSent)} (${((s.put.bytesSent / s.put.bytes) * 100).toFixed(1)}%)`,
      ]),
    ),
    '',
    'CPU-seconds per GiB, put (embedded: the one process is the client column)',
    '',
    mdTable([...cpuHead, 'orchestrator ÷ embedded'], cpuRows('put')),
    '',
    'CPU-seconds per GiB, get',
    '',
    mdTable(cpuHead, cpuRows('get')),
  ];
  if (r.twoOrchestratorsVsOnePercent !== null) parts.push('', `Two orchestrators' aggregate put: ${r.twoOrchestratorsVsOnePercent.toFixed(0)}% of one orchestrator's (c ÷ a×2).`);
  const d = r.summary.find((s) => s.reput);
  if (d) {
    const row = (label: string, c: OpCost & { sentPercent: number | null }): string[] => [label, c.MBps.toFixed(0), fmtBytes(c.bytesSent), c.sentPercent === null ? 'n/a' : `${c.sentPercent.toFixed(2)}%`];
    parts.push('', 'd: dedup before the wire, in topology a', '', mdTable(['put', 'MB/s', 'client sent', 'sent / file size'], [row('re-put, unchanged', d.reput!), row('100 one-byte inserts', d.edited!)]));
  }
  if (r.notes.length > 0) parts.push('', ...r.notes.map((n) => `Note: ${n}`));
  return parts.join('\n');
}
