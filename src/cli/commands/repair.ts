// `dcs repair`: rewrite missing or corrupt copies from healthy ones and restore the replica count.
import type { Command } from 'commander';
import type { RepairReport } from '../../repository/repository.ts';
import { REPO_OPTION_HELP, printJson, wantsProgress, type RunState } from '../command.ts';
import { SERVER_OPTION_HELP, withTarget } from '../target.ts';
import { writeLine } from '../io.ts';
import { progressBar } from '../progress.ts';
import { EXIT_PROBLEMS } from '../exit-codes.ts';

interface RepairFlags {
  repo?: string;
  server?: string;
  deep?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function defineRepair(program: Command, state: RunState): void {
  program
    .command('repair')
    .description('rewrite missing or corrupt chunk copies from healthy ones; add copies where too few remain')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--server <url>', SERVER_OPTION_HELP)
    .option('--deep', 'read and verify every copy first (finds bit rot that verify --deep has not yet marked)')
    .option('--json', 'print the report as JSON')
    .option('-q, --quiet', 'no progress bar')
    .addHelpText('after', '\nExit status: 0 everything healthy now, 3 some chunks could not be repaired, 1 could not run.')
    .action(async (flags: RepairFlags) => {
      await withTarget(state, flags, async (t) => {
        const bar = progressBar(state.io, wantsProgress(flags), { unit: 'items', label: 'repairing' });
        let report: RepairReport;
        try {
          report = await t.repair({ deep: flags.deep ?? false, onProgress: (p) => bar.update(p.chunks) });
        } finally {
          bar.stop();
        }
        const unresolved = report.lost + report.stillDegraded > 0;
        if (unresolved) state.exitCode = EXIT_PROBLEMS;
        if (flags.json) {
          printJson(state, { ok: !unresolved, ...report });
          return;
        }
        const out = state.io.stdout;
        writeLine(out, `checked ${report.chunks} chunks: rewrote ${report.rewritten} copies, added ${report.added} copies`);
        if (report.lost > 0) writeLine(out, `  ${report.lost} chunks have no healthy copy left and cannot be repaired`);
        if (report.stillDegraded > 0) writeLine(out, `  ${report.stillDegraded} chunks are still below the redundancy policy (backends unreachable?)`);
        for (const p of report.problems.slice(0, 50)) writeLine(out, `  ${p.kind}: chunk ${p.chunkId.slice(0, 16)}${p.backend ? ` on ${p.backend}` : ''}: ${p.detail}`);
        writeLine(out, unresolved ? 'repair incomplete' : 'repository is healthy');
      });
    });
}
