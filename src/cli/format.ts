// Human-readable numbers for terminal output (JSON output keeps raw numbers).

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${UNITS[u]}`;
}

export function formatRatio(r: number): string {
  return `${r >= 100 ? r.toFixed(0) : r.toFixed(2)}x`;
}

let lastSecond = Number.NaN;
let lastFormatted = '';

export function formatDate(ms: number): string {
  // `ls` formats one per file, and files put together share their second: the last one is kept.
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    // 2026-12-07T01:23:26.123Z → 2026-12-07 01:23:26Z
    const iso = new Date(second * 1000).toISOString();
    lastSecond = second;
    lastFormatted = `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
  }
  return lastFormatted;
}

/** Names can hold newlines and control characters; show them escaped so one file is one line. */
export function displayName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f]/.test(name) ? JSON.stringify(name) : name;
}

/** Left-aligned columns, right-aligned where `right[i]`. */
export function table(rows: string[][], right: boolean[] = []): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 && !right[i] ? cell : right[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  '),
    )
    .join('\n');
}
