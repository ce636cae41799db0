// `dcs ls [PREFIX]`: files in name order with size, stored size, ratio and versions.
import type { Command } from 'commander';
import { REPO_OPTION_HELP, type RunState } from '../command.ts';
import { SERVER_OPTION_HELP, withTarget } from '../target.ts';
import { displayName, formatBytes, formatDate, formatRatio, table } from '../format.ts';
import { writeLine } from '../io.ts';

interface LsFlags {
  repo?: string;
  server?: string;
  json?: boolean;
}

export function defineLs(program: Command, state: RunState): void {
  program
    .command('ls')
    .description('list stored files (latest versions), optionally only names starting with PREFIX')
    .argument('[prefix]', 'name prefix, e.g. logs/')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--server <url>', SERVER_OPTION_HELP)
    .option('--json', 'one JSON array of files')
    .action(async (prefix: string | undefined, flags: LsFlags) => {
      await withTarget(state, { ...flags, unlock: 'on-use' }, async (t) => {
        const files = t.list(prefix === undefined ? {} : { prefix });
        if (flags.json) {
          // Streamed as a JSON array so a huge listing never sits in memory.
          const out = state.io.stdout;
          out.write('[');
          let first = true;
          for await (const f of files) {
            out.write(`${first ? '\n' : ',\n'}  ${JSON.stringify({ ...f, ratio: f.storedSize === 0 ? 1 : f.size / f.storedSize })}`);
            first = false;
          }
          out.write(first ? ']\n' : '\n]\n');
          return;
        }
        // Printed a thousand rows at a time (memory bounded); the header goes with the first batch.
        const rows: string[][] = [['SIZE', 'STORED', 'RATIO', 'VER', 'MODIFIED', 'NAME']];
        let printed = false;
        const flush = (): void => {
          if (rows.length > 0) writeLine(state.io.stdout, table(rows, [true, true, true, true, false, false]));
          rows.length = 0;
          printed = true;
        };
        for await (const f of files) {
          rows.push([formatBytes(f.size), formatBytes(f.storedSize), formatRatio(f.storedSize === 0 ? 1 : f.size / f.storedSize), String(f.version), formatDate(f.createdAt), displayName(f.name)]);
          if (rows.length >= 1000) flush();
        }
        // An empty listing prints nothing, not a lone header; a last batch of one row still prints.
        if (rows.length > (printed ? 0 : 1)) flush();
      });
    });
}
