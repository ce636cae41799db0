// `dcs stat NAME`: size, stored bytes, ratio, chunks, codecs, where each chunk lives, health.
import type { Command } from 'commander';
import { REPO_OPTION_HELP, printJson, type RunState } from '../command.ts';
import { SERVER_OPTION_HELP, withTarget } from '../target.ts';
import { displayName, formatBytes, formatDate, formatRatio, table } from '../format.ts';
import { writeLine } from '../io.ts';
import { versionOption } from '../options.ts';

interface StatFlags {
  repo?: string;
  server?: string;
  version?: number;
  json?: boolean;
  chunks?: boolean;
}

export function defineStat(program: Command, state: RunState): void {
  program
    .command('stat')
    .description('show a file: sizes, ratio, chunks, codecs, where every chunk lives, health')
    .argument('<name>', 'stored file name')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--server <url>', SERVER_OPTION_HELP)
    .option('--version <n>', 'version (default: latest)', versionOption)
    .option('--no-chunks', 'omit the per-chunk table')
    .option('--json', 'print as JSON')
    .action(async (name: string, flags: StatFlags) => {
      await withTarget(state, { ...flags, unlock: 'on-use' }, async (t) => {
        const s = await t.stat(name, { ...(flags.version !== undefined ? { version: flags.version } : {}), chunks: flags.chunks !== false });
        if (flags.json) {
          printJson(state, s);
          return;
        }
        const out = state.io.stdout;
        const v = s.version;
        writeLine(out, `name:      ${displayName(v.name)}`);
        writeLine(out, `version:   ${v.version} of ${s.versions} (${formatDate(v.createdAt)})`);
        writeLine(out, `size:      ${formatBytes(v.size)} (${v.size} bytes)`);
        writeLine(out, `stored:    ${formatBytes(s.storedSize)} per copy, ratio ${formatRatio(s.ratio)}`);
        writeLine(out, `chunks:    ${s.chunks} (${s.distinctChunks} distinct, ${s.sharedChunks} shared with other versions or files)`);
        writeLine(out, `codecs:    ${Object.entries(s.codecs).map(([c, n]) => `${c} x${n}`).join(', ') || '-'} (requested: ${v.codec})`);
        const p = t.policy;
        const policy = p === undefined
          ? ''
          : 'erasure' in p
            ? ` (policy: erasure ${p.erasure.data}+${p.erasure.parity} shards)`
            : ` (policy: ${p.replicas} cop${p.replicas === 1 ? 'y' : 'ies'})`;
        writeLine(out, `health:    ${s.health}${policy}`);
        if (s.chunkList && s.chunkList.length > 0) {
          writeLine(out);
          const rows = [['#', 'OFFSET', 'SIZE', 'STORED', 'CODEC', 'REFS', 'HEALTH', 'COPIES', 'CHUNK']];
          for (const c of s.chunkList) {
            rows.push([String(c.seq), String(c.offset), formatBytes(c.length), formatBytes(c.storedSize), c.codec, String(c.refcount), c.health, c.copies.map((k) => `${k.backend}${k.shard === undefined ? '' : `#${k.shard}`}${k.state === 'ok' ? '' : `(${k.state})`}`).join(',') || '-', c.pack ? `${c.id.slice(0, 16)} in pack ${c.pack.slice(0, 12)}` : c.id.slice(0, 16)]);
          }
          writeLine(out, table(rows, [true, true, true, true, false, true, false, false, false]));
        }
      });
    });
}
