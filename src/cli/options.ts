// Parsers for option values: they turn flag syntax into values and fail with a one-line UsageError
// that names the option. What the values may be (codec and level pairs, ranges within the file,
// names) is checked by the Repository API, the same for every front end.
import { CODEC_CHOICES, levelRanges, parseCodecChoice, type CodecChoice } from '../core/codecs.ts';
import { UsageError } from '../core/errors.ts';
import type { RangeRequest } from '../repository/repository.ts';

export function positiveInt(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
    return Number(value);
  };
}

/** `--version N`: any integer; the Repository API says which versions exist (checkVersion). */
export const versionOption = (value: string): number => intOption('--version')(value);

export function intOption(flag: string): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value)) throw new UsageError(`${flag} must be an integer, got ${JSON.stringify(value)}`);
    return Number(value);
  };
}

/** Sizes like 512K, 1M, 4MiB, 1048576. */
export function parseSize(flag: string, value: string): number {
  const m = /^(\d+)\s*([KMG]?)(i?B)?$/i.exec(value.trim());
  if (!m) throw new UsageError(`${flag}: invalid size ${JSON.stringify(value)} (examples: 65536, 512K, 4M)`);
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * mult;
}

/** `--codec`: a name from the codec registry, or auto. */
export function codecOption(value: string): CodecChoice {
  return parseCodecChoice(value);
}

/** Help texts for --codec and --level, from the codec registry. */
export const CODEC_HELP = CODEC_CHOICES.join(', ');
export const LEVEL_HELP = `compression level (${levelRanges()}; auto takes zstd's)`;

/** `--range A-B` (inclusive, like HTTP), `A-` (to the end) or `-N` (the last N bytes). */
export function parseRange(value: string): RangeRequest {
  let m = /^(\d+)-(\d+)$/.exec(value);
  if (m) return { start: Number(m[1]), end: Number(m[2]) };
  m = /^(\d+)-$/.exec(value);
  if (m) return { start: Number(m[1]) };
  m = /^-(\d+)$/.exec(value);
  if (m) return { suffix: Number(m[1]) };
  throw new UsageError(`--range: invalid range ${JSON.stringify(value)} (use START-END, START- or -SUFFIXLENGTH; byte offsets, inclusive)`);
}
