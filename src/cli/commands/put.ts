// `dcs put FILE... | -`: store files (or stdin) as a new version of their names.
import { stat as fsStat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CodecChoice } from '../../core/codecs.ts';
import { DcsError, UsageError } from '../../core/errors.ts';
import type { ChunkInput } from '../../engine/chunk-source.ts';
import type { UploadResult } from '../../engine/upload.ts';
import { printJson, REPO_OPTION_HELP, wantsProgress, type RunState } from '../command.ts';
import { SERVER_OPTION_HELP, withTarget } from '../target.ts';
import { displayName, formatBytes, formatRatio } from '../format.ts';
import { writeLine } from '../io.ts';
import { nameFromPath, validateName } from '../names.ts';
import { checkLevel, codecOption, intOption } from '../options.ts';
import { progressBar } from '../progress.ts';

interface PutFlags {
  repo?: string;
  server?: string;
  name?: string;
  codec?: CodecChoice;
  level?: number;
  json?: boolean;
  quiet?: boolean;
}

async function inputFor(state: RunState, path: string): Promise<{ source: ChunkInput; size?: number }> {
  if (path === '-') return { source: state.io.stdin };
  let info;
  try {
    info = await fsStat(resolve(state.io.cwd, path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DcsError('INPUT', `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
  }
  if (info.isDirectory()) throw new UsageError(`${path} is a directory (dcs put stores files; pass the files, e.g. with a shell glob)`);
  return { source: { path: resolve(state.io.cwd, path) }, size: info.size };
}

interface PutSummary {
  name: string;
  version: number;
  size: number;
  chunks: number;
  newChunks: number;
  newStoredBytes: number;
  newRawBytes: number;
  codecs: UploadResult['codecs'];
  /** Stored size of the whole version (new and deduplicated chunks), as `stat` reports it. */
  storedSize: number;
  ratio: number;
}

function summary(r: UploadResult, stored: { storedSize: number; ratio: number }): PutSummary {
  return {
    name: r.version.name,
    version: r.version.version,
    size: r.size,
    chunks: r.chunks,
    newChunks: r.newChunks,
    newStoredBytes: r.newStoredBytes,
    newRawBytes: r.newRawBytes,
    codecs: r.codecs,
    storedSize: stored.storedSize,
    ratio: stored.ratio,
  };
}

/** Files up to this size are put up to SMALL_FILES_AT_ONCE at a time. */
const SMALL_FILE = 1024 * 1024;
const SMALL_FILES_AT_ONCE = 4;

function summaryLine(r: PutSummary): string {
  const dedup = r.chunks === 0 ? 0 : 1 - r.newChunks / r.chunks;
  return (
    `${displayName(r.name)}  v${r.version}  ${formatBytes(r.size)} -> ${formatBytes(r.storedSize)} stored  ratio ${formatRatio(r.ratio)}  ` +
    `(${r.chunks} chunks, ${(dedup * 100).toFixed(1)}% already stored, ${formatBytes(r.newStoredBytes)} new)`
  );
}

export function definePut(program: Command, state: RunState): void {
  program
    .command('put')
    .description('store files as a new version of their names (FILE "-" reads stdin; needs --name)')
    .argument('<files...>', 'files to store, or - for stdin')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--server <url>', SERVER_OPTION_HELP)
    .option('--name <name>', 'name to store under (default: the path as given; required for stdin)')
    .option('--codec <codec>', 'auto, zstd, gzip, brotli, snappy, lz4 or none (default: from dcs.yaml)', codecOption)
    .option('--level <n>', 'compression level (zstd 1-19, gzip 1-9, brotli 0-11)', intOption('--level'))
    .option('--json', 'print results as JSON')
    .option('-q, --quiet', 'no progress bar or summary')
    .addHelpText(
      'after',
      `
Examples:
  dcs put big.iso --codec zstd --level 9
  cat app.log | dcs put - --name logs/app.log --codec auto
  dcs put *.csv --json

Putting an existing name adds a version; unchanged chunks are not stored again. Files up to 1 MiB
are stored four at a time; results print in the order the files were given. A file that cannot be
read stops the command: the files before it are stored, the ones after it are not.`,
    )
    .action(async (files: string[], flags: PutFlags) => {
      if (flags.name !== undefined && files.length > 1) throw new UsageError('--name needs exactly one FILE');
      if (files.includes('-') && flags.name === undefined) throw new UsageError('reading stdin (-) needs --name NAME');
      if (files.filter((f) => f === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
      if (flags.codec) checkLevel(flags.codec, flags.level);
      else if (flags.level !== undefined) throw new UsageError('--level needs --codec');
      const names = files.map((f) => (flags.name !== undefined ? validateName(flags.name) : nameFromPath(f)));
      await withTarget(state, flags, async (t) => {
        const results: (PutSummary | undefined)[] = [];
        let printed = 0;
        /** Summary lines go out in the order of the arguments, whatever order uploads finish in. */
        const printReady = (skipGaps = false): void => {
          for (; printed < files.length; printed++) {
            const r = results[printed];
            if (r === undefined && !skipGaps) break;
            if (r && !flags.json && !flags.quiet) writeLine(state.io.stdout, summaryLine(r));
          }
        };
        const putOne = async (i: number, input: { source: ChunkInput; size?: number }, showBar: boolean): Promise<void> => {
          const name = names[i]!;
          const bar = progressBar(state.io, showBar && wantsProgress(flags), { unit: 'bytes', label: displayName(name).slice(0, 40), ...(input.size !== undefined ? { total: input.size } : {}) });
          let result: UploadResult;
          try {
            result = await t.upload(input.source, {
              name,
              ...(flags.codec !== undefined ? { codec: flags.codec } : {}),
              ...(flags.level !== undefined ? { level: flags.level } : {}),
              onProgress: (p) => bar.update(p.bytesRead),
            });
          } finally {
            bar.stop();
          }
          results[i] = summary(result, await t.stat(name, { version: result.version.version }));
          printReady();
        };
        // Small files go several at a time (each is milliseconds of work and mostly waits for
        // fsync); anything larger goes alone, with its progress bar, so memory stays that of one
        // upload. The first failure stops new uploads; those already running finish.
        const running = new Set<Promise<void>>();
        let failure: { err: unknown } | undefined;
        for (const [i, path] of files.entries()) {
          if (failure) break;
          let input: { source: ChunkInput; size?: number };
          try {
            input = await inputFor(state, path);
          } catch (err) {
            failure = { err };
            break;
          }
          if (files.length > 1 && input.size !== undefined && input.size <= SMALL_FILE) {
            while (running.size >= SMALL_FILES_AT_ONCE) await Promise.race(running);
            const task: Promise<void> = putOne(i, input, false)
              .catch((err: unknown) => void (failure ??= { err }))
              .finally(() => running.delete(task));
            running.add(task);
          } else {
            await Promise.all(running);
            if (failure) break;
            await putOne(i, input, true);
          }
        }
        await Promise.all(running);
        if (failure) {
          printReady(true);
          throw failure.err;
        }
        if (flags.json) printJson(state, files.length === 1 ? results[0] : results);
      });
    });
}
