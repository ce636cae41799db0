// `dcs get NAME`: restore a file (or a byte range of it) to a path or stdout, verified chunk by chunk.
import { constants, createWriteStream } from 'node:fs';
import { access, open, rename, rm, stat } from 'node:fs/promises';
import { DcsError } from '../../core/errors.ts';
import { dirname, join, resolve, basename } from 'node:path';
import type { Command } from 'commander';
import { REPO_OPTION_HELP, wantsProgress, type RunState } from '../command.ts';
import { SERVER_OPTION_HELP, withTarget } from '../target.ts';
import { localFileName } from '../names.ts';
import { parseRange, versionOption } from '../options.ts';
import { progressBar } from '../progress.ts';
import { displayName, formatBytes } from '../format.ts';
import { writeFilePieces } from '../file-writer.ts';
import { writeLine, writePieces } from '../io.ts';

interface GetFlags {
  repo?: string;
  server?: string;
  output?: string;
  version?: number;
  range?: string;
  quiet?: boolean;
}

export function defineGet(program: Command, state: RunState): void {
  program
    .command('get')
    .description('restore a file byte for byte; every chunk is verified before it is written')
    .argument('<name>', 'stored file name')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--server <url>', SERVER_OPTION_HELP)
    .option('-o, --output <path>', "where to write: a file, a directory to write into, or '-' for stdout (default: the name's last segment in the current directory)")
    .option('--version <n>', 'version to restore (default: latest)', versionOption)
    .option('--range <A-B>', 'only bytes A..B (inclusive, from 0); also A- and -N (last N bytes)')
    .option('-q, --quiet', 'no progress bar or summary')
    .addHelpText(
      'after',
      `
Examples:
  dcs get big.iso -o copy.iso
  dcs get isos/big.iso -o /tmp             writes /tmp/big.iso
  dcs get logs/app.log -o - | grep ERROR
  dcs get big.iso --version 1 --range 0-1023 -o head.bin

The file is written to a temporary name beside the target and renamed when complete, so a failed
restore never leaves a partial file behind. A device or FIFO (-o /dev/null, a named pipe) is
written to as it is.`,
    )
    .action(async (name: string, flags: GetFlags) => {
      await withTarget(state, flags, async (t) => {
        const toStdout = flags.output === '-';
        const version = await t.resolveVersion(name, flags.version);
        // Checked before anything is downloaded, and named as the user wrote it (not the temporary file).
        const target = toStdout ? undefined : await outputPath(resolve(state.io.cwd, flags.output ?? localFileName(name)), name);
        const range = flags.range === undefined ? undefined : parseRange(flags.range);
        const dl = await t.download(name, { version: version.version, range });
        const bar = progressBar(state.io, wantsProgress(flags) && !toStdout, { unit: 'bytes', label: displayName(name).slice(0, 40), total: dl.length });
        let written = 0;
        const counted = async function* (): AsyncGenerator<Uint8Array> {
          for await (const piece of dl.body) {
            written += piece.length;
            bar.update(written);
            yield piece;
          }
        };
        try {
          if (!target) {
            await writePieces(state.io.stdout, counted(), { end: false });
            return;
          }
          if ((await stat(target).catch(() => undefined))?.isFile() === false) {
            // A device or FIFO (/dev/null, a pipe): written as it is. Renaming a file over it would
            // replace the device node itself (as root, /dev/null became a regular file).
            await writePieces(createWriteStream(target), counted(), { end: true });
          } else {
            const tmp = join(dirname(target), `.${basename(target)}.dcs-partial-${process.pid}`);
            try {
              const fh = await open(tmp, 'wx');
              try {
                await writeFilePieces(fh, counted());
              } finally {
                // The descriptor is closed before the rename or the cleanup.
                await fh.close();
              }
              await rename(tmp, target);
            } catch (err) {
              await rm(tmp, { force: true });
              throw err;
            }
          }
          bar.stop();
          if (!flags.quiet) writeLine(state.io.stdout, `restored ${displayName(name)} v${version.version} (${formatBytes(written)}) to ${target}`);
        } finally {
          bar.stop();
        }
      });
    });
}

/**
 * Where to write: the path given, or NAME's last segment inside it when it is a directory (as cp
 * does). Its directory must exist and be writable.
 */
async function outputPath(path: string, name: string): Promise<string> {
  const target = (await stat(path).catch(() => undefined))?.isDirectory() ? join(path, localFileName(name)) : path;
  const fail = (why: string): never => {
    throw new DcsError('OUTPUT', `cannot write ${target}: ${why}`);
  };
  const dir = dirname(target);
  const dirInfo = await stat(dir).catch(() => fail(`directory ${dir} does not exist`));
  if (!dirInfo.isDirectory()) fail(`${dir} is not a directory`);
  await access(dir, constants.W_OK).catch(() => fail(`directory ${dir} is not writable`));
  if ((await stat(target).catch(() => undefined))?.isDirectory()) fail('a directory of that name is in the way');
  return target;
}
