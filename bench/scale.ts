// `npm run bench -- --sizes '' --scale 100000,1000000`: dcs at scale (issue 15). For each chunk
// count N, a fresh repository with fixed 1 KiB chunks (zstd) gets N/10 distinct 10 KiB text files
// through the real CLI (`put` of 5,000 paths a command, named d<k>/f<i>), then whole commands run on
// it, timed as in bench/vs-restic.ts: gc, shallow verify, stats, ls of a prefix matching every
// file, and a put of 1,000 stored files concatenated (spread over the repository), which should
// store nothing new. Time should grow linearly with N and peak RSS stay under 200 MB.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDocument } from 'yaml';
import { fillBlock } from './data.ts';
import { countFiles, dcsTimed, du, markdownTable, type Timed } from './vs-restic.ts';

const CHUNK = 1024;
const CHUNKS_PER_FILE = 10;
const FILE_SIZE = CHUNK * CHUNKS_PER_FILE;
const FILES_PER_DIR = 1000;
/** Paths per `put` command: well inside the argv limit. */
const PUT_BATCH = 5000;
/** Stored files the dedup put concatenates. */
const DEDUP_FILES = 1000;
const RSS_LIMIT_MB = 200;

const COMMANDS = ['gc', 'verify', 'stats', 'ls', 'dedup put'] as const;
type Command = (typeof COMMANDS)[number];

export interface ScaleRun {
  chunks: number;
  files: number;
  bytes: number;
  /** init, config edit, generating the files and all the puts. */
  buildSeconds: number;
  putSeconds: number;
  putMaxRssMB: number;
  /** Files under data/chunks: the fs backend's objects (small files' chunks are packed). */
  objects: number;
  repoBytes: number;
  commands: Record<Command, Timed>;
  /** Entries `ls d` printed: should be `files`. */
  lsEntries: number;
  dedup: { bytes: number; newChunks: number; newStoredBytes: number; chunks: number; sharedChunks: number };
}

export interface ScaleResult {
  runs: ScaleRun[];
}

const name = (i: number): string => `d${Math.floor(i / FILES_PER_DIR)}/f${i}`;

/** dcs.yaml with fixed 1 KiB chunks, so each 10 KiB file is exactly ten chunks. */
function useFixedChunks(repo: string): void {
  const path = join(repo, 'dcs.yaml');
  const doc = parseDocument(readFileSync(path, 'utf8'));
  doc.set('chunking', { kind: 'fixed', size: CHUNK });
  if (doc.getIn(['compression', 'codec']) !== 'zstd') throw new Error(`${path}: compression is not zstd`);
  writeFileSync(path, doc.toString());
}

/** File i: ten text blocks, each opened by its own number so no two chunks are alike. */
function fileBytes(i: number): Buffer {
  const out = Buffer.alloc(FILE_SIZE);
  for (let j = 0; j < CHUNKS_PER_FILE; j++) {
    const block = out.subarray(j * CHUNK, (j + 1) * CHUNK);
    const label = block.write(`#${i * CHUNKS_PER_FILE + j}\n`);
    fillBlock('text', block.subarray(label), i * CHUNKS_PER_FILE + j);
  }
  return out;
}

const rounded = (t: Timed): Timed => ({ seconds: Number(t.seconds.toFixed(3)), maxRssMB: t.maxRssMB });

async function scaleRun(chunks: number, work: string): Promise<ScaleRun> {
  const files = chunks / CHUNKS_PER_FILE;
  const repo = join(work, 'repo');
  const src = join(work, 'src');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  const started = performance.now();
  await dcsTimed(['init', '--repo', repo]);
  useFixedChunks(repo);
  for (let i = 0; i < files; i++) {
    if (i % FILES_PER_DIR === 0) mkdirSync(dirname(join(src, name(i))));
    writeFileSync(join(src, name(i)), fileBytes(i));
  }
  let putSeconds = 0;
  let putMaxRssMB = 0;
  for (let first = 0; first < files; first += PUT_BATCH) {
    const names = Array.from({ length: Math.min(PUT_BATCH, files - first) }, (_, k) => name(first + k));
    const put = await dcsTimed(['put', '--repo', repo, '-q', ...names], {}, src);
    putSeconds += put.seconds;
    putMaxRssMB = Math.max(putMaxRssMB, put.maxRssMB);
  }
  const buildSeconds = (performance.now() - started) / 1000;
  console.error(`scale ${chunks}: built ${files} files in ${buildSeconds.toFixed(1)} s (puts ${putSeconds.toFixed(1)} s, peak ${putMaxRssMB} MB)`);

  const out = join(work, 'stdout.txt');
  const commands = {} as Record<Command, Timed>;
  commands.gc = await dcsTimed(['gc', '--repo', repo]);
  commands.verify = await dcsTimed(['verify', '--repo', repo]);
  commands.stats = await dcsTimed(['stats', '--repo', repo], {}, undefined, out);
  // Its first line counts the chunks: checks that the fixed chunking took effect.
  const counted = Number(/chunks (\d+)/.exec(readFileSync(out, 'utf8'))?.[1]);
  if (counted !== chunks) throw new Error(`scale ${chunks}: stats counts ${counted} chunks`);
  commands.ls = await dcsTimed(['ls', '--repo', repo, 'd'], {}, undefined, out);
  // Counted, not thrown on: a short listing is a finding to report beside the timings.
  const lines = readFileSync(out, 'utf8').split('\n').filter((l) => l !== '');
  const lsEntries = lines.filter((l) => /\sd\d+\/f\d+$/.test(l)).length;
  if (lsEntries !== files || lines.length > files + 1) console.error(`scale ${chunks}: ls printed ${lines.length} lines, ${lsEntries} entries, for ${files} files`);

  // Dedup: stored files spread over the whole repository, one after another in one new file.
  const big = join(work, 'big');
  writeFileSync(big, Buffer.concat(Array.from({ length: DEDUP_FILES }, (_, k) => readFileSync(join(src, name(Math.floor((k * files) / DEDUP_FILES)))))));
  commands['dedup put'] = await dcsTimed(['put', '--repo', repo, '-q', '--json', '--name', 'dedup/big', big], {}, undefined, out);
  const put = JSON.parse(readFileSync(out, 'utf8')) as { newChunks: number; newStoredBytes: number };
  await dcsTimed(['stat', '--repo', repo, 'dedup/big', '--json'], {}, undefined, out);
  const stat = JSON.parse(readFileSync(out, 'utf8')) as { distinctChunks: number; sharedChunks: number };

  const run: ScaleRun = {
    chunks,
    files,
    bytes: files * FILE_SIZE,
    buildSeconds: Number(buildSeconds.toFixed(2)),
    putSeconds: Number(putSeconds.toFixed(2)),
    putMaxRssMB,
    objects: countFiles(join(repo, 'data', 'chunks')),
    repoBytes: du(repo),
    commands: Object.fromEntries(COMMANDS.map((c) => [c, rounded(commands[c])])) as Record<Command, Timed>,
    lsEntries,
    dedup: { bytes: DEDUP_FILES * FILE_SIZE, newChunks: put.newChunks, newStoredBytes: put.newStoredBytes, chunks: stat.distinctChunks, sharedChunks: stat.sharedChunks },
  };
  rmSync(work, { recursive: true, force: true });
  console.error(`scale ${chunks}: ${COMMANDS.map((c) => `${c} ${run.commands[c].seconds.toFixed(2)} s / ${run.commands[c].maxRssMB} MB`).join(', ')}; dedup put stored ${put.newStoredBytes} new bytes`);
  return run;
}

export async function scaleBench(options: { counts: number[]; work: string }): Promise<ScaleResult> {
  const bad = options.counts.filter((n) => !Number.isInteger(n) || n % CHUNKS_PER_FILE !== 0 || n < DEDUP_FILES * CHUNKS_PER_FILE);
  if (bad.length > 0) throw new Error(`--scale takes chunk counts that are multiples of ${CHUNKS_PER_FILE} from ${DEDUP_FILES * CHUNKS_PER_FILE}, got ${bad.join(', ')}`);
  const runs: ScaleRun[] = [];
  for (const n of options.counts) runs.push(await scaleRun(n, join(options.work, `scale-${n}`)));
  return { runs };
}

const cell = (t: Timed): string => `${t.seconds.toFixed(2)} s / ${t.maxRssMB} MB`;

export function scaleMarkdown(r: ScaleResult): string {
  const head = ['chunks', 'files', 'build s', 'puts s / peak MB', 'objects', 'repo on disk MB', ...COMMANDS.map((c) => (c === 'ls' ? 'ls d' : c)), 'dedup put new stored bytes'];
  const rows = r.runs.map((x) => [
    String(x.chunks),
    String(x.files),
    x.buildSeconds.toFixed(1),
    cell({ seconds: x.putSeconds, maxRssMB: x.putMaxRssMB }),
    String(x.objects),
    (x.repoBytes / 1e6).toFixed(1),
    ...COMMANDS.map((c) => cell(x.commands[c])),
    `${x.dedup.newStoredBytes} (${x.dedup.sharedChunks} of ${x.dedup.chunks} chunks shared)`,
  ]);
  const lines = [`### at scale: N chunks of 1 KiB (fixed chunking, zstd) in N/10 files of 10 KiB; whole commands, seconds / peak RSS`, '', ...markdownTable(head, rows), ''];
  const sorted = [...r.runs].sort((a, b) => a.chunks - b.chunks);
  const [small, large] = [sorted[0]!, sorted.at(-1)!];
  if (large.chunks > small.chunks) {
    const ratio = (a: number, b: number): string => `${(a / b).toFixed(1)}×`;
    const ratios = [`build ${ratio(large.buildSeconds, small.buildSeconds)}`, `puts ${ratio(large.putSeconds, small.putSeconds)}`, ...COMMANDS.map((c) => `${c} ${ratio(large.commands[c].seconds, small.commands[c].seconds)}`)];
    lines.push(`Time ratio ${large.chunks} / ${small.chunks} chunks (${ratio(large.chunks, small.chunks)} the data; linear growth is about that): ${ratios.join(', ')}.`);
  }
  const over = r.runs.flatMap((x) => [...(x.putMaxRssMB > RSS_LIMIT_MB ? [`put ${x.putMaxRssMB} MB`] : []), ...COMMANDS.filter((c) => x.commands[c].maxRssMB > RSS_LIMIT_MB).map((c) => `${c} ${x.commands[c].maxRssMB} MB`)].map((s) => `${s} at ${x.chunks}`));
  const short = r.runs.filter((x) => x.lsEntries !== x.files).map((x) => `${x.lsEntries} of ${x.files} at ${x.chunks}`);
  if (short.length > 0) lines.push(`ls d listed fewer entries than files: ${short.join(', ')}.`);
  lines.push(`Peak RSS over ${RSS_LIMIT_MB} MB: ${over.length > 0 ? over.join(', ') : 'none'}.`);
  return lines.join('\n');
}
