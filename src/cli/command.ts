// What every command file shares: the run context, repository opening, and output conventions.
import type { Command } from 'commander';
import type { LocalRepository } from '../repository/repository.ts';
import { locateRepository } from '../repository/locate.ts';
import { writeLine, type CliIO } from './io.ts';
import { passphraseFromEnvOrPrompt } from './passphrase.ts';

export interface RunState {
  io: CliIO;
  /** Commands set a non-zero code for "ran fine, found problems" (verify, repair). */
  exitCode: number;
}

export type CommandDefinition = (program: Command, state: RunState) => void;

export interface RepoOptions {
  repo?: string;
  json?: boolean;
  quiet?: boolean;
  /** Set by commands, not flags: 'on-use' for those that may read only metadata (no key unlock, no prompt). */
  unlock?: 'at-open' | 'on-use';
}

export const REPO_OPTION_HELP = 'repository directory (default: $DCS_REPO, else ./.dcs)';

export async function withRepository<T>(state: RunState, options: RepoOptions, fn: (repo: LocalRepository) => Promise<T>): Promise<T> {
  const { io } = state;
  const dir = locateRepository(options.repo, io.env, io.cwd);
  // Loaded here, not with the command tree: `dcs --version` and `--help` need none of it.
  const { openRepository } = await import('../repository/local-repository.ts');
  const repo = await openRepository(dir, {
    passphrase: passphraseFromEnvOrPrompt(io),
    ...(options.unlock ? { unlock: options.unlock } : {}),
    warn: (message) => {
      if (!options.quiet) writeLine(io.stderr, `dcs: warning: ${message}`);
    },
  });
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

export function printJson(state: RunState, value: unknown): void {
  writeLine(state.io.stdout, JSON.stringify(value, null, 2));
}

/** Progress bars only for people: a terminal, and neither --json nor --quiet. */
export function wantsProgress(options: RepoOptions): boolean {
  return !options.json && !options.quiet;
}
