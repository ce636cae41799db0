// `dcs verify [NAME] [--deep]`: check metadata against storage; exit 3 when problems are found.
import type { Command } from 'commander';
import type { VerifyReport } from '../../repository/repository.ts';
import { REPO_OPTION_HELP, printJson, wantsProgress, type RunState } from '../command.ts';
import { SERVER_OPTION_HELP, withTarget } from '../target.ts';
import { formatBytes } from '../format.ts';
import { writeLine } from '../io.ts';
import { parseSize, versionOption } from '../options.ts';
import { UsageError } from '../../core/errors.ts';
import { progressBar } from '../progress.ts';
import { EXIT_PROBLEMS } from '../exit-codes.ts';

interface VerifyFlags {
  repo?: string;
  server?: string;
  deep?: boolean;
  rate?: number;
  version?: number;
  json?: boolean;
  quiet?: boolean;
}

export function hasProblems(r: VerifyReport): boolean {
  return r.missing + r.corrupt + r.unreachable + r.lost + r.underReplicated + r.orphans > 0;
}

export function defineVerify(program: Command, state: RunState): void {
  program
    .command('verify')
    .description('check that every chunk copy recorded in metadata exists (and with --deep, reads back correctly)')
    .argument('[name]', 'only this file')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--server <url>', SERVER_OPTION_HELP)
    .option('--deep', 'read every copy and verify checksum, decryption, decompression and chunk id')
    .option('--rate <size>', "with --deep: read at most this much per second (e.g. 50M), so a scrub leaves the backends to users", (v) => parseSize('--rate', v))
    .option('--version <n>', 'with NAME: this version', versionOption)
    .option('--json', 'print the report as JSON')
    .option('-q, --quiet', 'no progress bar')
    .addHelpText('after', "\nExamples:\n  dcs verify                 every copy exists with the right size\n  dcs verify --deep --rate 50M   read back every copy (bitrot scrub), at 50 MB/s\n\nExit status: 0 all healthy, 3 problems found (run 'dcs repair'), 1 could not run.")
    .action(async (name: string | undefined, flags: VerifyFlags) => {
      if (flags.rate !== undefined && !flags.deep) throw new UsageError('--rate paces the reads of --deep; add --deep');
      if (flags.rate === 0) throw new UsageError('--rate must be more than 0');
      // A shallow verify reads only metadata and object sizes: no key unlock.
      await withTarget(state, { ...flags, unlock: flags.deep ? 'at-open' : 'on-use' }, async (t) => {
        const bar = progressBar(state.io, wantsProgress(flags), { unit: 'items', label: flags.deep ? 'verifying (deep)' : 'verifying' });
        let report: VerifyReport;
        try {
          report = await t.verify({
            deep: flags.deep ?? false,
            ...(flags.rate !== undefined ? { rateBytesPerSec: flags.rate } : {}),
            ...(name !== undefined ? { name } : {}),
            ...(flags.version !== undefined ? { version: flags.version } : {}),
            onProgress: (p) => bar.update(p.chunks),
          });
        } finally {
          bar.stop();
        }
        if (hasProblems(report)) state.exitCode = EXIT_PROBLEMS;
        if (flags.json) {
          printJson(state, { ok: !hasProblems(report), ...report });
          return;
        }
        const out = state.io.stdout;
        writeLine(out, `checked ${report.chunks} chunks, ${report.copies} copies${report.deep ? `, read ${formatBytes(report.bytesChecked)}` : ''}`);
        writeLine(out, `  ok ${report.okCopies}, missing ${report.missing}, corrupt ${report.corrupt}, unreachable ${report.unreachable}`);
        writeLine(out, `  under-replicated chunks ${report.underReplicated}, lost chunks ${report.lost}${name === undefined ? `, orphaned objects ${report.orphans}` : ''}`);
        if (report.perBackend.some((b) => b.health !== 'healthy')) {
          for (const b of report.perBackend) {
            writeLine(out, `  backend ${b.backend}: ${b.health} (ok ${b.ok}, missing ${b.missing}, corrupt ${b.corrupt}, unreachable ${b.unreachable})`);
          }
        }
        for (const p of report.problems.slice(0, 50)) {
          writeLine(out, `  ${p.kind}: chunk ${p.chunkId.slice(0, 16)}${p.backend ? ` on ${p.backend}` : ''}: ${p.detail}`);
        }
        if (report.problems.length > 50) writeLine(out, `  … and more (use --json for the full list)`);
        writeLine(out, hasProblems(report) ? "problems found: run 'dcs repair' (orphans: 'dcs gc')" : 'repository is healthy');
      });
    });
}
