// `dcs init`: create a repository (dcs.yaml, metadata, backends, key file when encrypted).
import { Option, type Command } from 'commander';
import { validateChunkerParams } from '../../core/chunker.ts';
import type { CodecChoice } from '../../core/codecs.ts';
import { SHARING, type Sharing } from '../../core/file-modes.ts';
import { locateRepository } from '../../repository/locate.ts';
import { printJson, REPO_OPTION_HELP, type RunState } from '../command.ts';
import { writeLine } from '../io.ts';
import { CODEC_HELP, codecOption, intOption, LEVEL_HELP, parseSize, positiveInt } from '../options.ts';
import { newPassphrase } from '../passphrase.ts';
import { UsageError } from '../../core/errors.ts';

interface InitFlags {
  repo?: string;
  backend: string[];
  replicate?: number;
  erasure?: { data: number; parity: number };
  encrypt?: boolean;
  codec?: CodecChoice;
  level?: number;
  chunkSize?: string;
  fixed?: string;
  permissions?: Sharing;
  json?: boolean;
}

export function defineInit(program: Command, state: RunState): void {
  program
    .command('init')
    .description('create a repository: dcs.yaml, SQLite metadata and one or more storage backends')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--backend <url>', 'storage backend, repeatable: fs:PATH or NAME=fs:PATH (default: fs:data inside the repository)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--replicate <n>', 'copies of every chunk on distinct backends', positiveInt('--replicate'))
    .option('--erasure <k+m>', 'Reed-Solomon: k data + m parity shards of every chunk on k+m distinct backends, e.g. 4+2 (any m may be lost)', (v: string) => {
      const m = /^(\d+)\+(\d+)$/.exec(v.trim());
      if (!m) throw new UsageError(`--erasure takes DATA+PARITY, e.g. 4+2 (got ${JSON.stringify(v)})`);
      return { data: Number(m[1]), parity: Number(m[2]) };
    })
    .option('--encrypt', 'encrypt chunks with AES-256-GCM; passphrase from $DCS_PASSPHRASE or a prompt')
    .option('--codec <codec>', `default codec: ${CODEC_HELP} (default: zstd)`, codecOption)
    .option('--level <n>', `default ${LEVEL_HELP}`, intOption('--level'))
    .option('--chunk-size <avg>', 'average FastCDC chunk size (min = avg/2, max = avg*4), e.g. 1M')
    .option('--fixed <size>', 'fixed-size chunks instead of content-defined ones, e.g. 4M')
    .addOption(new Option('--permissions <who>', 'who may read the repository\'s local files: private (0700/0600) or group (0750/0640)').choices(SHARING).default('private'))
    .option('--json', 'print the created configuration as JSON')
    .addHelpText(
      'after',
      `
Examples:
  dcs init                                  ./.dcs with one local backend
  dcs init --repo /tmp/r --backend fs:/disk1/dcs --backend fs:/disk2/dcs --replicate 2
  dcs init --repo /tmp/e --backend fs:/d1 --backend fs:/d2 --backend fs:/d3 --erasure 2+1
  DCS_PASSPHRASE=… dcs init --encrypt --codec auto`,
    )
    .action(async (flags: InitFlags) => {
      const { io } = state;
      const dir = locateRepository(flags.repo, io.env, io.cwd);
      if (flags.erasure && flags.replicate !== undefined) throw new UsageError('--replicate and --erasure exclude each other');
      if (flags.chunkSize && flags.fixed) throw new UsageError('--chunk-size and --fixed exclude each other');
      let chunking;
      if (flags.fixed) chunking = validateChunkerParams({ kind: 'fixed', size: parseSize('--fixed', flags.fixed) });
      if (flags.chunkSize) {
        const avg = parseSize('--chunk-size', flags.chunkSize);
        chunking = validateChunkerParams({ kind: 'fastcdc', min: Math.floor(avg / 2), avg, max: avg * 4 });
      }
      const passphrase = flags.encrypt ? await newPassphrase(io) : undefined;
      const { initRepository } = await import('../../repository/init-repository.ts');
      const config = await initRepository(dir, {
        ...(flags.backend.length > 0 ? { backends: flags.backend } : {}),
        ...(flags.replicate !== undefined ? { replicate: flags.replicate } : {}),
        ...(flags.erasure ? { erasure: flags.erasure } : {}),
        ...(passphrase !== undefined ? { passphrase } : {}),
        ...(flags.codec !== undefined ? { codec: flags.codec } : {}),
        ...(flags.level !== undefined ? { level: flags.level } : {}),
        ...(chunking ? { chunking } : {}),
        ...(flags.permissions ? { permissions: flags.permissions } : {}),
      });
      if (flags.json) {
        printJson(state, { repository: dir, ...config });
        return;
      }
      writeLine(io.stdout, `created repository ${dir}`);
      for (const b of config.backends) writeLine(io.stdout, `  backend ${b.name}: ${b.url}`);
      const r = config.redundancy;
      writeLine(
        io.stdout,
        `  redundancy: ${'erasure' in r ? `erasure ${r.erasure.data}+${r.erasure.parity} shards` : `${r.replicate} cop${r.replicate === 1 ? 'y' : 'ies'}`} of every chunk`,
      );
      writeLine(io.stdout, `  encryption: ${config.encryption.enabled ? 'AES-256-GCM (keep your passphrase safe: without it the data is unreadable)' : 'off'}`);
    });
}
