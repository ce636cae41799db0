// `dcs gc`: delete chunks no version references, and leftovers of crashed uploads.
import type { Command } from 'commander';
import { REPO_OPTION_HELP, printJson, type RunState } from '../command.ts';
import { SERVER_OPTION_HELP, withTarget } from '../target.ts';
import { formatBytes } from '../format.ts';
import { writeLine } from '../io.ts';
import { positiveInt } from '../options.ts';

interface GcFlags {
  repo?: string;
  server?: string;
  json?: boolean;
  sessionTimeout?: number;
}

export function defineGc(program: Command, state: RunState): void {
  program
    .command('gc')
    .description('reclaim space: delete unreferenced chunks and orphans of crashed uploads (safe beside running uploads)')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--server <url>', SERVER_OPTION_HELP)
    .option('--session-timeout <seconds>', 'treat uploads silent this long as crashed (default 600; live uploads heartbeat every 30 s)', positiveInt('--session-timeout'))
    .option('--json', 'print the report as JSON')
    .action(async (flags: GcFlags) => {
      await withTarget(state, flags, async (t) => {
        const r = await t.gc(flags.sessionTimeout === undefined ? {} : { sessionTimeoutMs: flags.sessionTimeout * 1000 });
        if (flags.json) {
          printJson(state, r);
          return;
        }
        writeLine(
          state.io.stdout,
          `deleted ${r.chunksDeleted} unreferenced chunks (${formatBytes(r.bytesFreed)}) and ${r.orphansDeleted} orphaned objects (${formatBytes(r.orphanBytes)})` +
            (r.sessionsExpired > 0 ? `; expired ${r.sessionsExpired} dead uploads` : ''),
        );
        if (r.packsRewritten) writeLine(state.io.stdout, `rewrote ${r.packsRewritten} packs mostly of deleted chunks (${formatBytes(r.repackedBytes ?? 0)} of chunks still in use copied)`);
        if (r.deferred > 0) writeLine(state.io.stdout, `${r.deferred} chunks could not be deleted now (backend unreachable); the next gc retries them`);
      });
    });
}
