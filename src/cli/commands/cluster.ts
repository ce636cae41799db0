// `dcs cluster up|down|status`: a local multi-process cluster on loopback — orchestrator, chunker,
// compressor and N storage nodes, each its own `dcs serve` process — for demos and tests. State
// (repository config, node data, logs, pids, tokens) lives in one directory.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { stringify } from 'yaml';
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
  server: string;
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
    return JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as ClusterState;
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

export async function clusterUp(options: { dir: string; nodes: number; port: number; replicate: number; compressors?: number; env: NodeJS.ProcessEnv }): Promise<ClusterState> {
  const dir = resolve(options.dir);
  const existing = await readState(dir);
  if (existing && existing.processes.some((p) => isAlive(p.pid))) throw new DcsError('CLUSTER', `a cluster is already running from ${dir} (run 'dcs cluster down --dir ${options.dir}' first)`);
  if (options.replicate > options.nodes) throw new UsageError(`--replicate ${options.replicate} needs at least as many --nodes (got ${options.nodes})`);
  await mkdir(join(dir, 'logs'), { recursive: true });
  await mkdir(join(dir, 'repo'), { recursive: true });
  // Tokens are generated once per cluster directory and kept (mode 600) so restarts keep them.
  let tokens = await readTokens(dir);
  if (!tokens) {
    tokens = { DCS_TOKEN: randomBytes(24).toString('base64url'), DCS_NODE_TOKEN: randomBytes(24).toString('base64url') };
    await writeFile(join(dir, 'tokens.json'), JSON.stringify(tokens), { mode: 0o600 });
  }
  const env = { ...options.env, ...tokens };
  const base = options.port;
  const compressorCount = options.compressors ?? 1;
  if (compressorCount < 1 || compressorCount > 8) throw new UsageError('--compressors must be 1 to 8');
  const compressors = Array.from({ length: compressorCount }, (_, i) => ({ role: 'compressor', name: i === 0 ? 'compressor' : `compressor-${i}`, port: base + 2 + i }));
  const storage = Array.from({ length: options.nodes }, (_, i) => ({ role: 'storage', name: `storage-${i}`, port: base + 11 + i }));
  const config = {
    version: 1,
    metadata: `sqlite:${join(dir, 'metadata.db')}`,
    backends: storage.map((s) => ({ name: s.name, url: `grpc://127.0.0.1:${s.port}` })),
    redundancy: { replicate: options.replicate },
    services: { chunker: `http://127.0.0.1:${base + 1}`, compressor: compressors.map((c) => `http://127.0.0.1:${c.port}`) },
  };
  await writeFile(join(dir, 'repo', 'dcs.yaml'), `# written by dcs cluster up\n${stringify(config)}`);
  const processes: ClusterProcess[] = [];
  const state: ClusterState = { dir, server: `http://127.0.0.1:${base}`, processes };
  const save = (): Promise<void> => writeFile(join(dir, STATE_FILE), JSON.stringify(state, null, 2));
  try {
    const started: ClusterProcess[] = [];
    for (const s of storage) started.push(await startProcess(dir, env, s, ['--data', join(dir, 'data', s.name), '--name', s.name]));
    started.push(await startProcess(dir, env, { role: 'chunker', name: 'chunker', port: base + 1 }, []));
    for (const c of compressors) started.push(await startProcess(dir, env, c, []));
    processes.push(...started);
    await save();
    await Promise.all(started.map((p) => waitReady(`http://127.0.0.1:${p.port}`, p.pid, p.log)));
    const orchestrator = await startProcess(dir, env, { role: 'orchestrator', name: 'orchestrator', port: base }, ['--repo', join(dir, 'repo')]);
    processes.push(orchestrator);
    await save();
    await waitReady(state.server, orchestrator.pid, orchestrator.log);
  } catch (err) {
    await clusterDown(dir);
    throw err;
  }
  await writeFile(join(dir, 'cluster.env'), `export DCS_SERVER=${state.server}\nexport DCS_TOKEN=${tokens.DCS_TOKEN}\n`, { mode: 0o600 });
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

export function defineCluster(program: Command, state: RunState): void {
  const cluster = program
    .command('cluster')
    .description('start or stop a local multi-process cluster on loopback (demos and tests)')
    .addHelpText(
      'after',
      `
Examples:
  dcs cluster up                         orchestrator :7070, chunker :7071, compressor :7072, storage :7081-7083
  dcs cluster up --compressors 2 --nodes 4
  source .dcs-cluster/cluster.env        sets DCS_SERVER and DCS_TOKEN for the other commands
  dcs put big.iso ; dcs get big.iso -o copy.iso
  dcs cluster status ; dcs cluster down`,
    );
  const dirOption = ['--dir <dir>', 'cluster state directory (config, node data, logs, tokens)', '.dcs-cluster'] as const;
  cluster
    .command('up')
    .description('start orchestrator, chunker, compressor and storage nodes as background processes')
    .option(...dirOption)
    .option('--nodes <n>', 'storage nodes', positiveInt('--nodes'), 3)
    .option('--port <port>', 'orchestrator port; others follow (chunker +1, compressor +2, storage +11…)', positiveInt('--port'), 7070)
    .option('--replicate <n>', 'copies of every chunk, on distinct storage nodes', positiveInt('--replicate'), 2)
    .option('--compressors <n>', 'compressor processes (1-8; ports follow the chunker\'s)', positiveInt('--compressors'), 1)
    .option('--json', 'print the processes as JSON')
    .action(async (flags: ClusterFlags) => {
      const s = await clusterUp({ dir: resolve(state.io.cwd, flags.dir), nodes: flags.nodes, port: flags.port, replicate: flags.replicate, compressors: flags.compressors, env: state.io.env });
      if (flags.json) return printJson(state, s);
      for (const p of s.processes) writeLine(state.io.stdout, `${p.name.padEnd(13)} http://127.0.0.1:${p.port}  pid ${p.pid}  log ${p.log}`);
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
    .description('show the cluster processes and whether they are ready')
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
      for (const p of rows) writeLine(state.io.stdout, `${p.name.padEnd(13)} :${p.port}  pid ${p.pid}  ${p.ready ? 'ready' : p.alive ? 'NOT READY' : 'DOWN'}`);
      if (rows.some((p) => !p.ready)) state.exitCode = 3;
    });
}
