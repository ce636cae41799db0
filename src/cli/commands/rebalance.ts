// `dcs rebalance`: after editing backends in dcs.yaml (added, removed, reweighted), move copies to
// where the rendezvous ranking now places them.
import type { Command } from 'commander';
import type { RebalanceReport } from '../../repository/repository.ts';
import { REPO_OPTION_HELP, printJson, wantsProgress, withRepository, type RunState } from '../command.ts';
import { formatBytes } from '../format.ts';
import { writeLine } from '../io.ts';
import { progressBar } from '../progress.ts';
import { EXIT_PROBLEMS } from '../exit-codes.ts';

interface RebalanceFlags {
  repo?: string;
  dryRun?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function defineRebalance(program: Command, state: RunState): void {
  program
    .command('rebalance')
    .description('move chunk copies to the backends dcs.yaml now ranks first (after adding, removing or reweighting backends)')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--dry-run', 'count what would move, move nothing')
    .option('--json', 'print the report as JSON')
    .option('-q, --quiet', 'no progress bar')
    .addHelpText(
      'after',
      `
Rendezvous hashing keeps moves minimal: adding one backend to n moves about replicas/(n+1) of the
copies, all onto the new backend. New copies are written (from a verified copy) before old ones are
deleted. Copies on backends removed from dcs.yaml are forgotten, not deleted: empty those yourself.

Examples:
  dcs rebalance --dry-run      how much would move
  dcs rebalance                move it`,
    )
    .action(async (flags: RebalanceFlags) => {
      await withRepository(state, flags, async (repo) => {
        const bar = progressBar(state.io, wantsProgress(flags), { unit: 'items', label: flags.dryRun ? 'planning' : 'rebalancing' });
        let r: RebalanceReport;
        try {
          r = await repo.rebalance({ dryRun: flags.dryRun ?? false, onProgress: (p) => bar.update(p.chunks) });
        } finally {
          bar.stop();
        }
        if (r.failed > 0) state.exitCode = EXIT_PROBLEMS;
        if (flags.json) return printJson(state, { dryRun: flags.dryRun ?? false, ...r });
        const verb = flags.dryRun ? 'would move' : 'moved';
        writeLine(
          state.io.stdout,
          `${r.chunks} chunks: ${r.inPlace} in place; ${verb} ${r.copiesAdded} copies (${formatBytes(r.bytesMoved)}), ${flags.dryRun ? 'would delete' : 'deleted'} ${r.copiesRemoved} old copies, forgot ${r.forgotten} on removed backends`,
        );
        for (const p of r.problems.slice(0, 20)) writeLine(state.io.stdout, `  ${p}`);
        if (r.failed > 0) writeLine(state.io.stdout, `${r.failed} chunks could not be moved now; run again when their backends answer`);
      });
    });
}
