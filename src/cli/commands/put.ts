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

function summary(r: UploadResult): Record<string, unknown> {
  return {
    name: r.version.name,
    version: r.version.version,
    size: r.size,
    chunks: r.chunks,
    newChunks: r.newChunks,
    newStoredBytes: r.newStoredBytes,
    newRawBytes: r.newRawBytes,
    codecs: r.codecs,
  };
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

Putting an existing name adds a version; unchanged chunks are not stored again.`,
    )
    .action(async (files: string[], flags: PutFlags) => {
      if (flags.name !== undefined && files.length > 1) throw new UsageError('--name needs exactly one FILE');
      if (files.includes('-') && flags.name === undefined) throw new UsageError('reading stdin (-) needs --name NAME');
      if (files.filter((f) => f === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
      if (flags.codec) checkLevel(flags.codec, flags.level);
      else if (flags.level !== undefined) throw new UsageError('--level needs --codec');
      const names = files.map((f) => (flags.name !== undefined ? validateName(flags.name) : nameFromPath(f)));
      await withTarget(state, flags, async (t) => {
        const results: Record<string, unknown>[] = [];
        for (const [i, path] of files.entries()) {
          const name = names[i]!;
          const input = await inputFor(state, path);
          const bar = progressBar(state.io, wantsProgress(flags), { unit: 'bytes', label: displayName(name).slice(0, 40), ...(input.size !== undefined ? { total: input.size } : {}) });
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
          // Stored size of the whole version (new and deduplicated chunks), as `stat` reports it.
          const stored = await t.stat(name, { version: result.version.version });
          results.push({ ...summary(result), storedSize: stored.storedSize, ratio: stored.ratio });
          if (!flags.json && !flags.quiet) {
            const dedup = result.chunks === 0 ? 0 : 1 - result.newChunks / result.chunks;
            writeLine(
              state.io.stdout,
              `${displayName(name)}  v${result.version.version}  ${formatBytes(result.size)} -> ${formatBytes(stored.storedSize)} stored  ratio ${formatRatio(stored.ratio)}  ` +
                `(${result.chunks} chunks, ${(dedup * 100).toFixed(1)}% already stored, ${formatBytes(result.newStoredBytes)} new)`,
            );
          }
        }
        if (flags.json) printJson(state, files.length === 1 ? results[0] : results);
      });
    });
}
