// The four sizes the size history plots, how each is drawn, and the legend's reading order.
// The sizes often coincide (no duplicates: logical = after dedup; codec none: = stored; one copy:
// stored = physical), and lines drawn alike on top of each other would show only the last one.
// So each line is drawn narrower than the one beneath it: where they coincide they show as nested
// bands of their colours, and the legend draws each line as it is drawn in the chart.
import type { StatsSample } from '../../api.ts';

export type SizeKey = keyof Omit<StatsSample, 'at' | 'files'>;

export interface SizeSeries {
  key: SizeKey;
  /** the legend's and tooltip's name; `short` in running text */
  label: string;
  short: string;
  colour: string;
  /** stroke width in px; drawing order is widest (bottom) to narrowest (top) */
  width: number;
}

/** In drawing order, bottom first; neighbours in this order have contrasting colours. */
export const SIZE_SERIES: readonly SizeSeries[] = [
  { key: 'logicalBytes', label: 'logical', short: 'logical', colour: '#6366f1', width: 10 },
  { key: 'physicalBytes', label: 'physical (all copies)', short: 'physical', colour: '#f59e0b', width: 6.5 },
  { key: 'uniqueBytes', label: 'after dedup', short: 'after dedup', colour: '#0ea5e9', width: 3.5 },
  { key: 'storedBytes', label: 'stored', short: 'stored', colour: '#10b981', width: 1.5 },
];

/** In reading order: what was uploaded, then what dedup, compression and copies make of it. */
export const LEGEND_ORDER: readonly SizeKey[] = ['logicalBytes', 'uniqueBytes', 'storedBytes', 'physicalBytes'];

export const seriesOf = (key: string): SizeSeries | undefined => SIZE_SERIES.find((s) => s.key === key);
