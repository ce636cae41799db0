// `dcs cluster up|down|status`: a local multi-process cluster on loopback — one or more
// orchestrators and N storage nodes, optionally compressors and a chunker, each its own `dcs serve`
// process — for demos, tests and the bench. State (repository config, node data, logs, pids,
// tokens) lives in one directory.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { DcsError, UsageError } from '../../core/errors.ts';
import { printJson, type RunState } from '../command.ts';
import { writeLine } from '../io.ts';
import { positiveInt } from '../options.ts';

const BIN = fileURLToPath(new URL('../../../bin/dcs.js', import.meta.url));
const STATE_FILE = 'cluster.json';

interface ClusterFlags {
  dir: string;
  nodes: number;
  port: number;
  replicate: number;
  compressors: number;
  chunker?: boolean;
  orchestrators: number;
  metadata?: string;
  json?: boolean;
}

export interface ClusterProcess {
  role: string;
  name: string;
  port: number;
  pid: number;
  log: string;
  /** `dcs serve` arguments after --role and --listen, to restart the process the same way. */
  args: string[];
}

export interface ClusterState {
  dir: string;
  /** The first orchestrator's URL (servers[0]). */
  server: string;
  /** Every orchestrator's URL, in order; all serve the same repository. */
  servers: string[];
  processes: ClusterProcess[];
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A killed process nobody has reaped yet (a zombie) still answers signal 0.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

export async function readState(dir: string): Promise<ClusterState | undefined> {
  try {
    const state = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as ClusterState;
    // Written by a dcs from before several orchestrators.
    state.servers ??= [state.server];
    return state;
  } catch {
    return undefined;
  }
}

async function waitReady(url: string, pid: number, log: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      const tail = (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ');
      throw new DcsError('CLUSTER', `a cluster process exited during start-up (log ${log}): ${tail}`);
    }
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new DcsError('CLUSTER', `${url} did not become ready within ${timeoutMs / 1000} s (log ${log})`);
}

async function startProcess(dir: string, env: NodeJS.ProcessEnv, p: Omit<ClusterProcess, 'pid' | 'log' | 'args'>, args: string[]): Promise<ClusterProcess> {
  const log = join(dir, 'logs', `${p.name}.log`);
  const fh = await open(log, 'a');
  const child = spawn(process.execPath, [BIN, 'serve', '--role', p.role, '--listen', `127.0.0.1:${p.port}`, ...args], {
    detached: true,
    stdio: ['ignore', fh.fd, fh.fd],
    env,
  });
  await fh.close();
  child.unref();
  if (child.pid === undefined) throw new DcsError('CLUSTER', `cannot start ${p.name}`);
  return { ...p, pid: child.pid, log, args };
}

async function readTokens(dir: string): Promise<{ DCS_TOKEN: string; DCS_NODE_TOKEN: string } | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'tokens.json'), 'utf8')) as { DCS_TOKEN: string; DCS_NODE_TOKEN: string };
  } catch {
    return undefined;
  }
}

/** Start one cluster process again (after a crash or a kill), the same way, and wait until ready. */
export async function clusterRestart(dirArg: string, name: string, env: NodeJS.ProcessEnv = process.env): Promise<ClusterProcess> {
  const dir = resolve(dirArg);
  const state = await readState(dir);
  const old = state?.processes.find((p) => p.name === name);
  if (!state || !old) throw new DcsError('CLUSTER', `no process ${JSON.stringify(name)} in the cluster at ${dir}`);
  if (isAlive(old.pid)) throw new DcsError('CLUSTER', `${name} is still running (pid ${old.pid})`);
  const p = await startProcess(dir, { ...env, ...(await readTokens(dir)) }, { role: old.role, name: old.name, port: old.port }, old.args);
  state.processes = state.processes.map((q) => (q.name === name ? p : q));
  await writeFile(join(dir, STATE_FILE), JSON.stringify(state, null, 2));
  await waitReady(`http://127.0.0.1:${p.port}`, p.pid, p.log);
  return p;
}

export interface ClusterUpOptions {
  dir: string;
  nodes: number;
  port: number;
  replicate: number;
  /** Compressor processes (0-8, default 0: clients and orchestrators compress in-process). */
  compressors?: number;
  /** Start a chunker process (default: no; clients and orchestrators chunk in-process). */
  chunker?: boolean;
  /** Orchestrator processes (1-4); more than one needs a shared PostgreSQL `metadata`. */
  orchestrators?: number;
  /** Metadata URL (`postgres://…`); default SQLite in the cluster directory. */
  metadata?: string;
  env: NodeJS.ProcessEnv;
}

/** Orchestrator i's port: the first on the base port, the others on base+20+i (base+21, +22, +23). */
export function orchestratorPort(base: number, i: number): number {
  return i === 0 ? base : base + 20 + i;
}

export async function clusterUp(options: ClusterUpOptions): Promise<ClusterState> {
  const dir = resolve(options.dir);
  const compressorCount = options.compressors ?? 0;
  const orchestratorCount = options.orchestrators ?? 1;
  if (options.replicate > options.nodes) throw new UsageError(`--replicate ${options.replicate} needs at least as many --nodes (got ${options.nodes})`);
  if (!Number.isInteger(compressorCount) || compressorCount < 0 || compressorCount > 8) throw new UsageError('--compressors must be 0 to 8');
  if (!Number.isInteger(orchestratorCount) || orchestratorCount < 1 || orchestratorCount > 4) throw new UsageError('--orchestrators must be 1 to 4');
  if (options.metadata !== undefined && !/^postgres(ql)?:\/\//.test(options.metadata)) {
    throw new UsageError(`--metadata takes a PostgreSQL URL (postgres://USER@HOST:PORT/DATABASE), got ${JSON.stringify(options.metadata)}`);
  }
  if (options.metadata !== undefined && /^postgres(ql)?:\/\/[^/@]*:[^/@]*@/.test(options.metadata)) {
    throw new UsageError('--metadata: remove the password from the PostgreSQL URL and set PGPASSWORD instead');
  }
  if (orchestratorCount > 1 && options.metadata === undefined) {
    throw new UsageError(`--orchestrators ${orchestratorCount} needs a PostgreSQL metadata database they all share: pass --metadata postgres://USER@HOST:PORT/DATABASE (password in PGPASSWORD)`);
  }
  const base = options.port;
  const orchestrators = Array.from({ length: orchestratorCount }, (_, i) => ({ role: 'orchestrator', name: i === 0 ? 'orchestrator' : `orchestrator-${i}`, port: orchestratorPort(base, i) }));
  const chunkers = options.chunker ? [{ role: 'chunker', name: 'chunker', port: base + 1 }] : [];
  const compressors = Array.from({ length: compressorCount }, (_, i) => ({ role: 'compressor', name: i === 0 ? 'compressor' : `compressor-${i}`, port: base + 2 + i }));
  const storage = Array.from({ length: options.nodes }, (_, i) => ({ role: 'storage', name: `storage-${i}`, port: base + 11 + i }));
  const all = [...orchestrators, ...chunkers, ...compressors, ...storage];
  const clash = all.find((p, i) => all.findIndex((q) => q.port === p.port) !== i);
  if (clash) throw new UsageError(`${clash.name} would take port ${clash.port}, which another process already has (with --orchestrators > 1, at most 10 --nodes)`);
  const top = all.reduce((m, p) => Math.max(m, p.port), 0);
  if (top > 65_535) throw new UsageError(`--port ${base} leaves no room for every process (the last would need port ${top})`);

  const existing = await readState(dir);
  if (existing && existing.processes.some((p) => isAlive(p.pid))) throw new DcsError('CLUSTER', `a cluster is already running from ${dir} (run 'dcs cluster down --dir ${options.dir}' first)`);
  // Private like a repository: the cluster directory holds its tokens, metadata and every node's data.
  await mkdir(join(dir, 'logs'), { recursive: true, mode: 0o700 });
  await mkdir(join(dir, 'repo'), { recursive: true, mode: 0o700 });
  // Tokens are generated once per cluster directory and kept (mode 600) so restarts keep them.
  let tokens = await readTokens(dir);
  if (!tokens) {
    tokens = { DCS_TOKEN: randomBytes(24).toString('base64url'), DCS_NODE_TOKEN: randomBytes(24).toString('base64url') };
    await writeFile(join(dir, 'tokens.json'), JSON.stringify(tokens), { mode: 0o600 });
  }
  const env = { ...options.env, ...tokens };
  // No `services:` unless asked for: clients that chunk do it themselves, and the orchestrator
  // chunks and compresses plain streamed uploads in-process.
  const services = {
    ...(chunkers.length > 0 ? { chunker: `http://127.0.0.1:${chunkers[0]!.port}` } : {}),
    ...(compressors.length > 0 ? { compressor: compressors.map((c) => `http://127.0.0.1:${c.port}`) } : {}),
  };
  const config = {
    version: 1,
    metadata: options.metadata ?? `sqlite:${join(dir, 'metadata.db')}`,
    backends: storage.map((s) => ({ name: s.name, url: `grpc://127.0.0.1:${s.port}` })),
    redundancy: { replicate: options.replicate },
    ...(Object.keys(services).length > 0 ? { services } : {}),
  };
  // Every orchestrator reads this one dcs.yaml.
  const { stringify } = await import('yaml');
  await writeFile(join(dir, 'repo', 'dcs.yaml'), `# written by dcs cluster up\n${stringify(config)}`);
  const processes: ClusterProcess[] = [];
  const servers = orchestrators.map((o) => `http://127.0.0.1:${o.port}`);
  const state: ClusterState = { dir, server: servers[0]!, servers, processes };
  const save = (): Promise<void> => writeFile(join(dir, STATE_FILE), JSON.stringify(state, null, 2));
  const ready = (ps: ClusterProcess[]): Promise<unknown> => Promise.all(ps.map((p) => waitReady(`http://127.0.0.1:${p.port}`, p.pid, p.log)));
  try {
    const started: ClusterProcess[] = [];
    for (const s of storage) started.push(await startProcess(dir, env, s, ['--data', join(dir, 'data', s.name), '--name', s.name]));
    for (const c of [...chunkers, ...compressors]) started.push(await startProcess(dir, env, c, []));
    processes.push(...started);
    await save();
    await ready(started);
    // dcs.yaml has no repository id: the first orchestrator to start writes the markers on the
    // storage nodes (and migrates the metadata). The others start once it is ready, so they all
    // adopt that one id instead of racing to create one each.
    const orchestratorArgs = ['--repo', join(dir, 'repo')];
    const first = await startProcess(dir, env, orchestrators[0]!, orchestratorArgs);
    processes.push(first);
    await save();
    await ready([first]);
    const rest: ClusterProcess[] = [];
    for (const o of orchestrators.slice(1)) rest.push(await startProcess(dir, env, o, orchestratorArgs));
    processes.push(...rest);
    await save();
    await ready(rest);
  } catch (err) {
    await clusterDown(dir);
    throw err;
  }
  await writeFile(join(dir, 'cluster.env'), `export DCS_SERVER=${servers.join(',')}\nexport DCS_TOKEN=${tokens.DCS_TOKEN}\n`, { mode: 0o600 });
  return state;
}

/** SIGTERM every process (they finish requests in flight), SIGKILL what is left after the grace time. */
export async function clusterDown(dirArg: string, graceMs = 15_000): Promise<ClusterProcess[]> {
  const dir = resolve(dirArg);
  const state = await readState(dir);
  if (!state) return [];
  // Orchestrator first, so no new work reaches the nodes while they stop.
  const order = [...state.processes].sort((a, b) => Number(b.role === 'orchestrator') - Number(a.role === 'orchestrator'));
  for (const p of order) {
    if (isAlive(p.pid)) process.kill(p.pid, 'SIGTERM');
  }
  const deadline = Date.now() + graceMs;
  while (order.some((p) => isAlive(p.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const p of order) if (isAlive(p.pid)) process.kill(p.pid, 'SIGKILL');
  await rm(join(dir, STATE_FILE), { force: true });
  return state.processes;
}

function countOption(flag: string, max: number, min = 0): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`${flag} must be ${min} to ${max}, got ${JSON.stringify(value)}`);
    return Number(value);
  };
}

export function defineCluster(program: Command, state: RunState): void {
  const cluster = program
    .command('cluster')
    .description('start or stop a local multi-process cluster on loopback (demos and tests)')
    .addHelpText(
      'after',
      `
Ports (from --port, default 7070): orchestrator 0 on the port itself, orchestrators 1-3 on +21..+23
(7091-7093), the chunker on +1, compressors on +2..+9, storage nodes on +11, +12, …

Examples:
  dcs cluster up                         orchestrator :7070, storage :7081-7083 (clients chunk and compress)
  dcs cluster up --compressors 2 --chunker --nodes 4
  dcs cluster up --orchestrators 2 --metadata postgres://postgres@127.0.0.1:5432/dcs
                                         orchestrators :7070 and :7091 sharing one PostgreSQL database
  source .dcs-cluster/cluster.env        sets DCS_SERVER (every orchestrator, comma-separated) and DCS_TOKEN
  dcs put big.iso ; dcs get big.iso -o copy.iso
  dcs cluster status ; dcs cluster down`,
    );
  const dirOption = ['--dir <dir>', 'cluster state directory (config, node data, logs, tokens)', '.dcs-cluster'] as const;
  cluster
    .command('up')
    .description('start orchestrator(s) and storage nodes (and any compressors and chunker) as background processes')
    .option(...dirOption)
    .option('--nodes <n>', 'storage nodes', positiveInt('--nodes'), 3)
    .option('--port <port>', 'first orchestrator\'s port; the others follow it (see Ports below)', positiveInt('--port'), 7070)
    .option('--replicate <n>', 'copies of every chunk, on distinct storage nodes', positiveInt('--replicate'), 2)
    .option('--compressors <n>', 'compressor processes the orchestrator compresses streamed uploads on (0-8; 0: in-process)', countOption('--compressors', 8), 0)
    .option('--chunker', 'start a chunker process the orchestrator chunks streamed uploads on (default: in-process)')
    .option('--orchestrators <n>', 'orchestrator processes serving the same repository (1-4; more than 1 needs --metadata)', countOption('--orchestrators', 4, 1), 1)
    .option('--metadata <url>', 'metadata in this PostgreSQL database (postgres://USER@HOST:PORT/DB, password in PGPASSWORD; default: SQLite in --dir)')
    .option('--json', 'print the cluster (servers and processes) as JSON')
    .action(async (flags: ClusterFlags) => {
      const s = await clusterUp({
        dir: resolve(state.io.cwd, flags.dir),
        nodes: flags.nodes,
        port: flags.port,
        replicate: flags.replicate,
        compressors: flags.compressors,
        chunker: flags.chunker === true,
        orchestrators: flags.orchestrators,
        ...(flags.metadata !== undefined ? { metadata: flags.metadata } : {}),
        env: state.io.env,
      });
      if (flags.json) return printJson(state, s);
      for (const p of s.processes) writeLine(state.io.stdout, `${p.name.padEnd(15)} http://127.0.0.1:${p.port}  pid ${p.pid}  log ${p.log}`);
      writeLine(state.io.stdout, `\ncluster is up. Use it with:\n  source ${join(flags.dir, 'cluster.env')}\n  dcs put FILE ; dcs ls ; dcs get NAME -o COPY`);
    });
  cluster
    .command('down')
    .description('stop the cluster (requests in flight finish first)')
    .option(...dirOption)
    .action(async (flags: { dir: string }) => {
      const stopped = await clusterDown(resolve(state.io.cwd, flags.dir));
      writeLine(state.io.stdout, stopped.length === 0 ? 'no cluster running' : `stopped ${stopped.length} processes`);
    });
  cluster
    .command('status')
    .description('show every cluster process and whether it is ready')
    .option(...dirOption)
    .option('--json', 'print as JSON')
    .action(async (flags: { dir: string; json?: boolean }) => {
      const s = await readState(resolve(state.io.cwd, flags.dir));
      if (!s) throw new DcsError('CLUSTER', `no cluster in ${flags.dir} (start one with 'dcs cluster up')`);
      const rows = await Promise.all(
        s.processes.map(async (p) => {
          const alive = isAlive(p.pid);
          const ready = alive && (await fetch(`http://127.0.0.1:${p.port}/readyz`).then((r) => r.ok, () => false));
          return { ...p, alive, ready };
        }),
      );
      if (flags.json) return printJson(state, { ...s, processes: rows });
      for (const p of rows) writeLine(state.io.stdout, `${p.name.padEnd(15)} :${p.port}  pid ${p.pid}  ${p.ready ? 'ready' : p.alive ? 'NOT READY' : 'DOWN'}`);
      if (rows.some((p) => !p.ready)) state.exitCode = 3;
    });
}
