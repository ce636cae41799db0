// Progress bars on a terminal (stderr), nothing when piped or with --json/--quiet, so scripts and
// logs never see control characters.
import { createRequire } from 'node:module';
import type { CliIO } from './io.ts';
import { formatBytes } from './format.ts';

export interface Progress {
  update(value: number, extra?: Record<string, string | number>): void;
  stop(): void;
}

const NONE: Progress = { update: () => {}, stop: () => {} };

export interface ProgressOptions {
  /** Total units, or undefined when unknown (stdin). */
  total?: number;
  /** 'bytes' shows sizes and speed; 'items' shows counts. */
  unit: 'bytes' | 'items';
  label: string;
}

// Loaded only when a bar is drawn (a terminal): scripts and other commands never pay for it.
const require = createRequire(import.meta.url);

export function progressBar(io: CliIO, enabled: boolean, options: ProgressOptions): Progress {
  if (!enabled || !io.stderr.isTTY) return NONE;
  const cliProgress = require('cli-progress') as typeof import('cli-progress');
  const started = Date.now();
  const speed = (value: number): string => {
    const secs = (Date.now() - started) / 1000;
    return secs > 0 ? `${formatBytes(value / secs)}/s` : '';
  };
  const known = options.total !== undefined && options.total > 0;
  const format =
    options.unit === 'bytes'
      ? known
        ? `${options.label} [{bar}] {percentage}% | {done} / {all} | {speed} | eta {eta_formatted}`
        : `${options.label} {done} | {speed}`
      : known
        ? `${options.label} [{bar}] {percentage}% | {value}/{total}`
        : `${options.label} {value}`;
  const bar = new cliProgress.SingleBar(
    { format, stream: io.stderr, hideCursor: true, clearOnComplete: true, fps: 8, barsize: 30, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  const fields = (v: number): Record<string, string> => ({ done: formatBytes(v), all: formatBytes(options.total ?? 0), speed: speed(v) });
  bar.start(known ? options.total! : 0, 0, fields(0));
  return {
    update: (value, extra) => bar.update(value, { ...fields(value), ...extra }),
    stop: () => bar.stop(),
  };
}
