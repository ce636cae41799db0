// `dcs stats`: logical vs stored bytes, dedup and compression ratios, per codec and per backend.
import type { Command } from 'commander';
import { REPO_OPTION_HELP, printJson, type RunState } from '../command.ts';
import { SERVER_OPTION_HELP, withTarget } from '../target.ts';
import { formatBytes, formatRatio, table } from '../format.ts';
import { writeLine } from '../io.ts';

interface StatsFlags {
  repo?: string;
  server?: string;
  json?: boolean;
}

export function defineStats(program: Command, state: RunState): void {
  program
    .command('stats')
    .description('repository totals: logical and stored bytes, dedup and compression ratios per codec and backend')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--server <url>', SERVER_OPTION_HELP)
    .option('--json', 'print as JSON')
    .action(async (flags: StatsFlags) => {
      await withTarget(state, { ...flags, unlock: 'on-use' }, async (t) => {
        const s = await t.stats();
        if (flags.json) {
          printJson(state, s);
          return;
        }
        const out = state.io.stdout;
        writeLine(out, `files ${s.files}, versions ${s.versions}, chunks ${s.chunks}`);
        writeLine(out, `logical ${formatBytes(s.logicalBytes)} -> unique ${formatBytes(s.uniqueBytes)} (dedup ${formatRatio(s.dedupRatio)}) -> stored ${formatBytes(s.storedBytes)} (compression ${formatRatio(s.compressionRatio)}); total ${formatRatio(s.totalRatio)}`);
        writeLine(out, `on backends (all copies): ${formatBytes(s.physicalBytes)}`);
        if (s.reclaimableChunks > 0) writeLine(out, `reclaimable by 'dcs gc': ${s.reclaimableChunks} unreferenced chunks, ${formatBytes(s.reclaimableBytes)} (one copy)`);
        if (s.perCodec.length > 0) {
          writeLine(out);
          writeLine(out, table([['CODEC', 'CHUNKS', 'RAW', 'STORED', 'RATIO'], ...s.perCodec.map((c) => [c.codec, String(c.chunks), formatBytes(c.rawBytes), formatBytes(c.storedBytes), formatRatio(c.ratio)])], [false, true, true, true, true]));
        }
        if (s.perBackend.length > 0) {
          writeLine(out);
          writeLine(out, table([['BACKEND', 'COPIES', 'BYTES', 'MISSING', 'CORRUPT'], ...s.perBackend.map((b) => [b.backend, String(b.copies), formatBytes(b.bytes), String(b.missing), String(b.corrupt)])], [false, true, true, true, true]));
        }
      });
    });
}
