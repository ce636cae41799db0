// Parsers for option values, each failing with a one-line UsageError that names the option.
import { parseCodecChoice, codecByName, validateLevel, type CodecChoice } from '../core/codecs.ts';
import { UsageError } from '../core/errors.ts';
import type { ByteSpan } from '../engine/download.ts';

export function positiveInt(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(value)}`);
    return Number(value);
  };
}

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

export function codecOption(value: string): CodecChoice {
  try {
    return parseCodecChoice(value);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function checkLevel(codec: CodecChoice, level: number | undefined): void {
  if (level === undefined) return;
  if (codec === 'auto') {
    validateLevel(codecByName('zstd'), level);
    return;
  }
  validateLevel(codecByName(codec), level);
}

/** `--range A-B` (inclusive, like HTTP), `A-` (to the end) or `-N` (the last N bytes). */
export function parseRange(value: string, size?: number): ByteSpan {
  let m = /^(\d+)-(\d+)$/.exec(value);
  if (m) {
    const span = { start: Number(m[1]), end: Number(m[2]) };
    if (span.end < span.start) throw new UsageError(`--range ${value}: end is before start`);
    return span;
  }
  m = /^(\d+)-$/.exec(value);
  if (m) return { start: Number(m[1]), end: Number.MAX_SAFE_INTEGER };
  m = /^-(\d+)$/.exec(value);
  if (m && size !== undefined) {
    const n = Number(m[1]);
    if (n === 0) throw new UsageError(`--range ${value}: empty range`);
    return { start: Math.max(0, size - n), end: Number.MAX_SAFE_INTEGER };
  }
  throw new UsageError(`--range: invalid range ${JSON.stringify(value)} (use START-END, START- or -SUFFIXLENGTH; byte offsets, inclusive)`);
}
