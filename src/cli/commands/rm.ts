// `dcs rm NAME`: delete a file or one version; `dcs gc` then reclaims the space.
import type { Command } from 'commander';
import { REPO_OPTION_HELP, printJson, type RunState } from '../command.ts';
import { SERVER_OPTION_HELP, withTarget } from '../target.ts';
import { displayName } from '../format.ts';
import { writeLine } from '../io.ts';
import { versionOption } from '../options.ts';

interface RmFlags {
  repo?: string;
  server?: string;
  version?: number;
  json?: boolean;
}

export function defineRm(program: Command, state: RunState): void {
  program
    .command('rm')
    .description("delete a file (all versions, or one with --version); run 'dcs gc' to reclaim space")
    .argument('<name>', 'stored file name')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--server <url>', SERVER_OPTION_HELP)
    .option('--version <n>', 'delete only this version', versionOption)
    .option('--json', 'print the result as JSON')
    .action(async (name: string, flags: RmFlags) => {
      await withTarget(state, { ...flags, unlock: 'on-use' }, async (t) => {
        const r = await t.remove(name, flags.version === undefined ? {} : { version: flags.version });
        if (flags.json) printJson(state, { name, ...r });
        else writeLine(state.io.stdout, `removed ${displayName(name)} (${r.versionsRemoved} version${r.versionsRemoved === 1 ? '' : 's'})`);
      });
    });
}
