// `npm run bench -- --sizes '' --vs-restic FILE [--rounds N]`: dcs beside restic (Debian's
// `restic`, `apt-get install restic`) as a user times them. Every command is a whole process,
// timed from spawn to exit (peak RSS from /usr/bin/time); restores and gets write real files,
// checked against the input outside the timing. Rounds alternate the tools (and rotate who goes
// first), and the tables show medians and each round's ratio to restic.
//
//   restic: init, `backup FILE --compression auto`, `restore latest --target DIR` (always encrypted)
//   dcs:    init [--encrypt], `put FILE`, `get NAME -o FILE` (zstd-3, one fs backend), run as bin/dcs.js itself
//
// Dedup: after the first put, a copy with 100 one-byte inserts (seed 42, spread over the file) is
// put as the next version (dcs) or backed up (restic); "added" is the repository's growth over the
// file's size (du of the repository directory), the measure issue 15 names.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { withInserts } from './edits.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'dcs.js');
const TIME = '/usr/bin/time';
export const PASSWORD = 'bench-passphrase';

export interface Timed {
  seconds: number;
  maxRssMB: number;
}

/**
 * One command as its own process: wall time from spawn to exit, peak RSS from /usr/bin/time. Its
 * stdout is dropped, or written to the file `stdout` names (a real file, not a pipe read here, so
 * a command that prints much is timed as a user redirecting it would see).
 */
export async function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string, stdout?: string): Promise<Timed> {
  const report = join(tmpdir(), `dcs-vs-restic-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  const out = stdout === undefined ? 'ignore' : openSync(stdout, 'w');
  const started = performance.now();
  const child = spawn(TIME, ['-f', '%M', '-o', report, cmd, ...args], { env: { ...process.env, DCS_REPO: undefined, DCS_SERVER: undefined, ...env }, stdio: ['ignore', out, 'inherit'], ...(cwd === undefined ? {} : { cwd }) });
  const [code] = (await once(child, 'exit')) as [number | null];
  const seconds = (performance.now() - started) / 1000;
  if (typeof out === 'number') closeSync(out);
  const rssKB = Number(readFileSync(report, 'utf8').trim().split('\n').at(-1));
  rmSync(report, { force: true });
  if (code !== 0) throw new Error(`${cmd} ${args.slice(0, 4).join(' ')} … exited ${code}`);
  return { seconds, maxRssMB: Math.round(rssKB / 1024) };
}

/**
 * `dcs` as a user starts it: the executable itself (its shebang sets glibc's arena limit), the
 * pinned Node first on PATH, as `npx dcs` has it.
 */
export const dcsTimed = (args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string, stdout?: string): Promise<Timed> =>
  timed(BIN, args, { ...env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` }, cwd, stdout);

/** `restic version`'s line; throws, naming the option that needs it, when restic is missing. */
export function resticVersion(option: string): string {
  const r = spawnSync('restic', ['version']);
  if (r.status !== 0) throw new Error(`${option} needs restic (apt-get install restic)`);
  return r.stdout.toString().trim();
}

export const du = (path: string): number => Number(spawnSync('du', ['-sb', path]).stdout.toString().split('\t')[0]);
/** Regular files under `dir`, at any depth: a directory backend's objects. */
export const countFiles = (dir: string): number => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
export const same = (a: string, b: string): boolean => statSync(a).size === statSync(b).size && spawnSync('cmp', ['-s', a, b]).status === 0;

interface ToolRun {
  putMBps: number;
  getMBps: number;
  storedRatio: number;
  putRssMB: number;
  getRssMB: number;
  /** Repository growth from the copy with 100 inserts, as a fraction of the file's size. */
  insertsAdded: number;
}

type Tool = 'restic' | 'dcs' | 'dcs --encrypt';

async function runTool(tool: Tool, file: string, edited: string, work: string): Promise<ToolRun> {
  const size = statSync(file).size;
  const repo = join(work, 'repo');
  const out = join(work, 'out');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  let put: Timed;
  let get: Timed;
  let stored: number;
  let added: number;
  if (tool === 'restic') {
    const env = { RESTIC_PASSWORD: PASSWORD };
    await timed('restic', ['init', '--repo', repo, '--quiet'], env);
    const empty = du(repo);
    put = await timed('restic', ['backup', file, '--repo', repo, '--compression', 'auto', '--quiet'], env);
    stored = du(repo) - empty;
    get = await timed('restic', ['restore', 'latest', '--repo', repo, '--target', out, '--quiet'], env);
    if (!same(join(out, file), file)) throw new Error('restic restored different bytes');
    const before = du(repo);
    await timed('restic', ['backup', edited, '--repo', repo, '--compression', 'auto', '--quiet'], env);
    added = du(repo) - before;
  } else {
    const env = tool === 'dcs --encrypt' ? { DCS_PASSPHRASE: PASSWORD } : {};
    await dcsTimed(['init', '--repo', repo, ...(tool === 'dcs --encrypt' ? ['--encrypt'] : [])], env);
    const empty = du(repo);
    put = await dcsTimed(['put', file, '--name', 'f', '--repo', repo, '-q'], env);
    stored = du(repo) - empty;
    get = await dcsTimed(['get', 'f', '-o', out, '--repo', repo, '-q'], env);
    if (!same(out, file)) throw new Error(`${tool} got different bytes`);
    const before = du(repo);
    await dcsTimed(['put', edited, '--name', 'f', '--repo', repo, '-q'], env);
    added = du(repo) - before;
  }
  rmSync(work, { recursive: true, force: true });
  return {
    putMBps: Math.round(size / 1e6 / put.seconds),
    getMBps: Math.round(size / 1e6 / get.seconds),
    storedRatio: Number((size / stored).toFixed(2)),
    putRssMB: put.maxRssMB,
    getRssMB: get.maxRssMB,
    insertsAdded: added / size,
  };
}

export interface VsResticResult {
  file: string;
  size: number;
  rounds: Record<Tool, ToolRun>[];
  restic: string;
}

export async function vsResticBench(options: { file: string; work: string; rounds: number }): Promise<VsResticResult> {
  const restic = resticVersion('--vs-restic');
  const file = resolve(options.file);
  if (!existsSync(file)) throw new Error(`no such file: ${file}`);
  const edited = join(options.work, 'vs-restic-inserts.bin');
  mkdirSync(options.work, { recursive: true });
  await withInserts(file, edited, 100, 42);
  const tools: Tool[] = ['restic', 'dcs', 'dcs --encrypt'];
  const rounds: Record<Tool, ToolRun>[] = [];
  for (let r = 0; r < options.rounds; r++) {
    const order = rotated(tools, r);
    const round = {} as Record<Tool, ToolRun>;
    for (const tool of order) {
      round[tool] = await runTool(tool, file, edited, join(options.work, 'vs-restic'));
      console.error(`vs-restic round ${r + 1}: ${tool}: put ${round[tool].putMBps} MB/s, get ${round[tool].getMBps} MB/s, ratio ${round[tool].storedRatio}, inserts added ${(round[tool].insertsAdded * 100).toFixed(2)}%`);
    }
    rounds.push(round);
  }
  rmSync(edited, { force: true });
  return { file, size: statSync(file).size, rounds, restic };
}

/** Round r's order: the tools rotated by r, so none always runs first (or always after another). */
export const rotated = <T>(tools: T[], r: number): T[] => [...tools.slice(r % tools.length), ...tools.slice(0, r % tools.length)];

/** A markdown table's lines. */
export const markdownTable = (head: string[], rows: string[][]): string[] => [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((x) => `| ${x.join(' | ')} |`)];

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export function vsResticMarkdown(r: VsResticResult): string {
  const tools: Tool[] = ['restic', 'dcs', 'dcs --encrypt'];
  const m = (tool: Tool, key: keyof ToolRun): number => median(r.rounds.map((x) => x[tool][key]));
  // Ratios per round (same minutes, same machine state), then their median.
  const vs = (tool: Tool, key: 'putMBps' | 'getMBps'): string => (tool === 'restic' ? '1.00×' : `${median(r.rounds.map((x) => x[tool][key] / x.restic[key])).toFixed(2)}×`);
  const rows = tools.map((t) => [
    t,
    String(m(t, 'putMBps')),
    vs(t, 'putMBps'),
    String(m(t, 'getMBps')),
    vs(t, 'getMBps'),
    m(t, 'storedRatio').toFixed(2),
    `${m(t, 'putRssMB')} / ${m(t, 'getRssMB')}`,
    `${(m(t, 'insertsAdded') * 100).toFixed(2)}%`,
  ]);
  const head = ['', 'put MB/s', 'put vs restic', 'get MB/s', 'get vs restic', 'stored ratio', 'peak RSS put / get MB', '100 inserts add'];
  return [
    `### vs restic: ${r.file} (${(r.size / 2 ** 20).toFixed(1)} MiB), median of ${r.rounds.length} alternating round(s); ${r.restic}`,
    '',
    ...markdownTable(head, rows),
  ].join('\n');
}
