// `npm run bench -- --sizes '' --vs-restic-small LIST [--small-root DIR] [--rounds N]`: many small
// files through dcs and restic as a user backs up a source tree, whole commands timed as in
// bench/vs-restic.ts. LIST holds paths relative to --small-root, one a line; both tools run in that
// directory and get exactly those paths (dcs as arguments, restic through --files-from-verbatim of
// the list as read here, so neither globs nor skips what the other stores).
//
// Per round and tool, in a fresh repository: the first put/backup (timed, peak RSS), a second one of
// the same unchanged files (timed), a get/restore of the list's middle file (timed; its bytes are
// checked outside the timing), and the objects the repository holds (restic: files under data/;
// dcs: files under data/chunks/, its fs backend's objects).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { countFiles, dcsTimed, markdownTable, median, PASSWORD, resticVersion, rotated, same, timed, type Timed } from './vs-restic.ts';

type Tool = 'restic' | 'dcs';
const TOOLS: Tool[] = ['restic', 'dcs'];

interface SmallRun {
  firstSeconds: number;
  firstFilesPerSecond: number;
  firstMBps: number;
  firstRssMB: number;
  secondSeconds: number;
  /** First put's time over the second's: what recognising unchanged files saves. */
  speedUp: number;
  getMs: number;
  objects: number;
}

interface SmallInput {
  root: string;
  files: string[];
  /** The files' list as restic reads it (one path a line, as given to dcs). */
  list: string;
  bytes: number;
  /** The list's middle file, the one restored. */
  middle: string;
}

async function runTool(tool: Tool, input: SmallInput, work: string): Promise<SmallRun> {
  const repo = join(work, 'repo');
  const out = join(work, 'out');
  const original = resolve(input.root, input.middle);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  let first: Timed;
  let second: Timed;
  let get: Timed;
  let restored: string;
  let objects: number;
  if (tool === 'restic') {
    // Its cache where a user's would be used, but in the work directory: gone with the repository.
    const env = { RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: join(work, 'cache') };
    await timed('restic', ['init', '--repo', repo, '--quiet'], env);
    const backup = ['backup', '--repo', repo, '--compression', 'auto', '--quiet', '--files-from-verbatim', input.list];
    first = await timed('restic', backup, env, input.root);
    second = await timed('restic', backup, env, input.root);
    // Where the snapshot holds the file, looked up untimed: restic 0.14 roots relative targets at
    // '/' (/fs/ext4/acl.c) though the snapshot lists them absolute; others may keep the absolute path.
    const listed = spawnSync('restic', ['ls', 'latest', '--repo', repo], { env: { ...process.env, ...env }, maxBuffer: 1 << 30 }).stdout.toString().split('\n');
    const path = listed.find((p) => p === original) ?? listed.find((p) => p === `/${input.middle}`);
    if (path === undefined) throw new Error(`restic's snapshot holds no ${input.middle}`);
    get = await timed('restic', ['restore', 'latest', '--repo', repo, '--target', out, '--include', path, '--quiet'], env);
    restored = join(out, path);
    objects = countFiles(join(repo, 'data'));
  } else {
    await dcsTimed(['init', '--repo', repo]);
    const put = ['put', '--repo', repo, '-q', ...input.files];
    first = await dcsTimed(put, {}, input.root);
    second = await dcsTimed(put, {}, input.root);
    get = await dcsTimed(['get', '--repo', repo, input.middle, '-o', out, '-q']);
    restored = out;
    objects = countFiles(join(repo, 'data', 'chunks'));
  }
  if (!same(restored, original)) throw new Error(`${tool} restored different bytes of ${input.middle}`);
  rmSync(work, { recursive: true, force: true });
  return {
    firstSeconds: Number(first.seconds.toFixed(3)),
    firstFilesPerSecond: Math.round(input.files.length / first.seconds),
    firstMBps: Number((input.bytes / 1e6 / first.seconds).toFixed(1)),
    firstRssMB: first.maxRssMB,
    secondSeconds: Number(second.seconds.toFixed(3)),
    speedUp: Number((first.seconds / second.seconds).toFixed(2)),
    getMs: Math.round(get.seconds * 1000),
    objects,
  };
}

export interface VsResticSmallResult {
  list: string;
  root: string;
  files: number;
  bytes: number;
  rounds: Record<Tool, SmallRun>[];
  restic: string;
}

export async function vsResticSmallBench(options: { list: string; root: string; work: string; rounds: number }): Promise<VsResticSmallResult> {
  const restic = resticVersion('--vs-restic-small');
  const root = resolve(options.root);
  // './a' is stored by dcs as 'a': strip it here so the name got back is the path put.
  const files = readFileSync(options.list, 'utf8')
    .split('\n')
    .map((line) => line.replace(/\r$/, '').replace(/^(\.\/)+/, ''))
    .filter((line) => line !== '');
  if (files.length === 0) throw new Error(`${options.list} lists no files`);
  // statSync also stops the bench on a listed file that is missing, before any tool runs.
  const bytes = files.reduce((sum, f) => sum + statSync(resolve(root, f)).size, 0);
  mkdirSync(options.work, { recursive: true });
  const list = join(options.work, 'vs-restic-small-files.txt');
  writeFileSync(list, `${files.join('\n')}\n`);
  const input: SmallInput = { root, files, list, bytes, middle: files[Math.floor(files.length / 2)]! };
  const rounds: Record<Tool, SmallRun>[] = [];
  for (let r = 0; r < options.rounds; r++) {
    const round = {} as Record<Tool, SmallRun>;
    for (const tool of rotated(TOOLS, r)) {
      const x = await runTool(tool, input, join(options.work, 'vs-restic-small'));
      round[tool] = x;
      console.error(`vs-restic-small round ${r + 1}: ${tool}: first put ${x.firstFilesPerSecond} files/s (${x.firstMBps} MB/s, ${x.firstRssMB} MB RSS), second ${x.secondSeconds} s (${x.speedUp}×), get ${x.getMs} ms, ${x.objects} objects`);
    }
    console.error(`vs-restic-small round ${r + 1}: dcs/restic first-put files/s ${(round.dcs.firstFilesPerSecond / round.restic.firstFilesPerSecond).toFixed(2)}×`);
    rounds.push(round);
  }
  rmSync(list, { force: true });
  return { list: options.list, root, files: files.length, bytes, rounds, restic };
}

export function vsResticSmallMarkdown(r: VsResticSmallResult): string {
  const m = (tool: Tool, key: keyof SmallRun): number => median(r.rounds.map((x) => x[tool][key]));
  // Ratios per round (same minutes, same machine state), then their median.
  const perRound = (key: keyof SmallRun): number[] => r.rounds.map((x) => x.dcs[key] / x.restic[key]);
  const vs = (tool: Tool, key: keyof SmallRun): string => (tool === 'restic' ? '1.00×' : `${median(perRound(key)).toFixed(2)}×`);
  const rows = TOOLS.map((t) => [
    t,
    String(m(t, 'firstFilesPerSecond')),
    vs(t, 'firstFilesPerSecond'),
    m(t, 'firstMBps').toFixed(1),
    String(m(t, 'firstRssMB')),
    m(t, 'secondSeconds').toFixed(2),
    `${m(t, 'speedUp').toFixed(1)}×`,
    vs(t, 'speedUp'),
    String(m(t, 'getMs')),
    vs(t, 'getMs'),
    String(m(t, 'objects')),
  ]);
  const head = ['', 'first put files/s', 'files/s vs restic', 'first put MB/s', 'peak RSS first put MB', 'second put s', 'speed-up first / second', 'speed-up vs restic', 'get one file ms', 'get ms vs restic', 'objects stored'];
  return [
    `### vs restic, small files: ${r.files} files (${(r.bytes / 2 ** 20).toFixed(1)} MiB) from ${r.list} under ${r.root}, median of ${r.rounds.length} alternating round(s); ${r.restic}`,
    '',
    ...markdownTable(head, rows),
    '',
    `"vs restic" is dcs / restic (get ms: below 1 is faster). dcs/restic first-put files/s per round: ${perRound('firstFilesPerSecond').map((x) => `${x.toFixed(2)}×`).join(', ')}`,
  ].join('\n');
}
