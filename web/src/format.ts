// Human formats: binary units (KiB, MiB, GiB), ratios as "3.42×", dates in the browser's locale.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '—';
  const sign = n < 0 ? '-' : '';
  let v = Math.abs(n);
  if (v < 1024) return `${sign}${v} B`;
  let i = 0;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${sign}${v.toFixed(digits)} ${UNITS[i]}`;
}

export function formatSpeed(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '—';
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

export function formatRatio(r: number): string {
  if (!Number.isFinite(r) || r <= 0) return '—';
  return `${r.toFixed(2)}×`;
}

export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return '100%';
  return `${Math.floor((part / whole) * 100)}%`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

const dateFmt = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function formatDate(ms: number | undefined): string {
  if (!ms) return '—';
  return dateFmt.format(new Date(ms));
}

export function formatTime(ms: number): string {
  return timeFmt.format(new Date(ms));
}

export function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** "3s", "2m 05s", "1h 04m" */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** The last path segment, for display. */
export function baseName(name: string): string {
  const trimmed = name.endsWith('/') ? name.slice(0, -1) : name;
  const i = trimmed.lastIndexOf('/');
  return i >= 0 ? trimmed.slice(i + 1) : trimmed;
}

/** The folder part including its trailing slash ('' at the root). */
export function parentPrefix(name: string): string {
  const i = name.lastIndexOf('/');
  return i >= 0 ? name.slice(0, i + 1) : '';
}

/** Round axis ticks in binary units from 0 to at least `max` (e.g. 0, 10, 20, 30, 40 MiB). */
export function byteTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1024];
  let unit = 1;
  while (max / unit >= 1024 && unit < 1024 ** 6) unit *= 1024;
  const raw = max / unit / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow) * unit;
  const ticks: number[] = [];
  for (let i = 0; ticks.length === 0 || ticks[ticks.length - 1]! < max; i++) ticks.push(i * step);
  return ticks;
}

/** formatBytes without a trailing ".0" / ".00" (axis labels). */
export function formatBytesShort(n: number): string {
  return formatBytes(n).replace(/\.0+ /, ' ');
}

const relativeFmt = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** How far `ms` (epoch) is from now in the largest whole unit: "in 6 days", "in 45 minutes". */
export function formatFromNow(ms: number, now = Date.now()): string {
  const s = (ms - now) / 1000;
  const abs = Math.abs(s);
  if (abs < 60) return relativeFmt.format(Math.round(s), 'second');
  if (abs < 3600) return relativeFmt.format(Math.round(s / 60), 'minute');
  if (abs < 86_400) return relativeFmt.format(Math.round(s / 3600), 'hour');
  return relativeFmt.format(Math.round(s / 86_400), 'day');
}
