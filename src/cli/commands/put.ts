// `dcs put FILE... | -`: store files (or stdin) as a new version of their names.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DcsError, errnoCode, errorMessage, UsageError } from '../../core/errors.ts';
import type { FileToUpload, UploadInput, UploadResult } from '../../repository/repository.ts';
import { GROUP_FILES, SMALL_FILE, SMALL_FILES_AT_ONCE } from '../../repository/upload-files.ts';
import { printJson, REPO_OPTION_HELP, wantsProgress, type RunState } from '../command.ts';
import { SERVER_OPTION_HELP, withTarget } from '../target.ts';
import { displayName, formatBytes, formatRatio } from '../format.ts';
import { writeLine } from '../io.ts';
import { nameFromPath } from '../names.ts';
import { CODEC_HELP, codecOption, intOption, LEVEL_HELP } from '../options.ts';
import { progressBar } from '../progress.ts';

interface PutFlags {
  repo?: string;
  server?: string;
  name?: string;
  codec?: string;
  level?: number;
  json?: boolean;
  quiet?: boolean;
  compressOn?: 'client' | 'server';
  reread?: boolean;
}

function compressOnOption(v: string): 'client' | 'server' {
  if (v === 'client' || v === 'server') return v;
  throw new UsageError(`--compress-on takes client or server (got ${JSON.stringify(v)})`);
}

async function inputFor(state: RunState, path: string): Promise<{ input: UploadInput; size?: number }> {
  if (path === '-') return { input: state.io.stdin };
  let info;
  try {
    // Synchronous: a put of thousands of files paid a thread-pool round trip for each stat.
    info = statSync(resolve(state.io.cwd, path));
  } catch (err) {
    const code = errnoCode(err);
    throw new DcsError('INPUT', `cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : errorMessage(err)}`);
  }
  if (info.isDirectory()) throw new UsageError(`${path} is a directory (dcs put stores files; pass the files, e.g. with a shell glob)`);
  return { input: { path: resolve(state.io.cwd, path) }, size: info.size };
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
  /**
   * Stored size of the whole version (new and deduplicated chunks), as `stat` reports it; null when
   * that look-up failed after the version was stored (e.g. an orchestrator stopping).
   */
  storedSize: number | null;
  ratio: number | null;
}

function summary(r: UploadResult, stored: { storedSize: number; ratio: number } | undefined): PutSummary {
  return {
    name: r.version.name,
    version: r.version.version,
    size: r.size,
    chunks: r.chunks,
    newChunks: r.newChunks,
    newStoredBytes: r.newStoredBytes,
    newRawBytes: r.newRawBytes,
    codecs: r.codecs,
    storedSize: stored?.storedSize ?? null,
    ratio: stored?.ratio ?? null,
  };
}

function summaryLine(r: PutSummary): string {
  const dedup = r.chunks === 0 ? 0 : 1 - r.newChunks / r.chunks;
  return (
    `${displayName(r.name)}  v${r.version}  ${formatBytes(r.size)}${r.storedSize === null || r.ratio === null ? '' : ` -> ${formatBytes(r.storedSize)} stored  ratio ${formatRatio(r.ratio)}`}  ` +
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
    .option('--codec <codec>', `${CODEC_HELP} (default: from dcs.yaml)`, codecOption)
    .option('--level <n>', `${LEVEL_HELP}; without --codec, for dcs.yaml's codec`, intOption('--level'))
    .option('--compress-on <where>', 'with --server: compress new chunks here (client, the default) or on the orchestrator (server: for weak clients, or its compressor services)', compressOnOption)
    .option('--reread', 'read every file, even one unchanged since its latest version was put from it (same path, size, times and inode), whose chunks are otherwise reused unread')
    .option('--json', 'print results as JSON (with --server, one file: also bytesSent, what the command wrote to the network)')
    .option('-q, --quiet', 'no progress bar or summary')
    .addHelpText(
      'after',
      `
Examples:
  dcs put big.iso --codec zstd --level 9
  cat app.log | dcs put - --name logs/app.log --codec auto
  dcs put *.csv --json

Putting an existing name adds a version; unchanged chunks are not stored again. With --server the
file is chunked here and only chunks the repository lacks are sent. In a local repository, files
up to ${formatBytes(SMALL_FILE)} are stored in groups (up to ${GROUP_FILES} at once: one commit, their new chunks
packed into a few objects), and a file unchanged since its name's latest version was put from it
is not read again (--reread reads it); with --server they go ${SMALL_FILES_AT_ONCE} at a time. Results print in the order the files were given. A file
that cannot be read stops the command: the files before it are stored, the ones after it are not.`,
    )
    .action(async (files: string[], flags: PutFlags) => {
      if (flags.name !== undefined && files.length > 1) throw new UsageError('--name needs exactly one FILE');
      if (files.includes('-') && flags.name === undefined) throw new UsageError('reading stdin (-) needs --name NAME');
      if (files.filter((f) => f === '-').length > 1) throw new UsageError('stdin (-) can be read only once');
      const names = files.map((f) => (flags.name !== undefined ? flags.name : nameFromPath(f)));
      const uploads: FileToUpload[] = files.map((path, i) => ({ name: names[i]!, open: () => inputFor(state, path) }));
      const results: PutSummary[] = [];
      let sent: number | undefined;
      await withTarget(state, flags, async (repo) => {
        await repo.uploadFiles(uploads, {
          ...(flags.codec !== undefined ? { codec: flags.codec } : {}),
          ...(flags.level !== undefined ? { level: flags.level } : {}),
          ...(flags.reread ? { reread: true } : {}),
          progress: (file, size) => {
            const bar = progressBar(state.io, wantsProgress(flags), { unit: 'bytes', label: displayName(file.name).slice(0, 40), ...(size !== undefined ? { total: size } : {}) });
            return { update: (bytes) => bar.update(bytes), stop: () => bar.stop() };
          },
          onResult: async (_i, result) => {
            // The version is stored and committed: a failed look-up of its stored size must not
            // make the command report a failure (a retry would store it again).
            let stored;
            try {
              stored =
                result.storedSize !== undefined
                  ? { storedSize: result.storedSize, ratio: result.storedSize === 0 ? 1 : result.size / result.storedSize }
                  : await repo.stat(result.version.name, { version: result.version.version });
            } catch (err) {
              if (!flags.quiet) writeLine(state.io.stderr, `dcs: warning: stored ${displayName(result.version.name)} v${result.version.version}, but could not read its stored size: ${errorMessage(err)}`);
            }
            const r = summary(result, stored);
            results.push(r);
            if (!flags.json && !flags.quiet) writeLine(state.io.stdout, summaryLine(r));
          },
        });
        sent = repo.bytesSent;
      });
      if (flags.json) printJson(state, files.length === 1 ? { ...results[0], ...(sent === undefined ? {} : { bytesSent: sent }) } : results);
    });
}
