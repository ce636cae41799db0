// `dcs gc`: delete chunks no version references, and leftovers of crashed uploads.
import type { Command } from 'commander';
import { gc } from '../../engine/gc.ts';
import { REPO_OPTION_HELP, printJson, withRepository, type RunState } from '../command.ts';
import { formatBytes } from '../format.ts';
import { writeLine } from '../io.ts';

interface GcFlags {
  repo?: string;
  json?: boolean;
}

export function defineGc(program: Command, state: RunState): void {
  program
    .command('gc')
    .description('reclaim space: delete unreferenced chunks and orphans of crashed uploads (safe beside running uploads)')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--json', 'print the report as JSON')
    .action(async (flags: GcFlags) => {
      await withRepository(state, flags, async (repo) => {
        const r = await gc(repo.ctx);
        if (flags.json) {
          printJson(state, r);
          return;
        }
        writeLine(
          state.io.stdout,
          `deleted ${r.chunksDeleted} unreferenced chunks (${formatBytes(r.bytesFreed)}) and ${r.orphansDeleted} orphaned objects (${formatBytes(r.orphanBytes)})` +
            (r.sessionsExpired > 0 ? `; expired ${r.sessionsExpired} dead uploads` : ''),
        );
        if (r.deferred > 0) writeLine(state.io.stdout, `${r.deferred} chunks could not be deleted now (backend unreachable); the next gc retries them`);
      });
    });
}
