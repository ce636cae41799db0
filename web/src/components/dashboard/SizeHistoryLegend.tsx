// The size history's legend: each line as the chart draws it, its name and its latest value; then
// which sizes are the same now (their lines lie on each other, drawn nested).
import type { StatsSample } from '../../api.ts';
import { formatBytes } from '../../format.ts';
import { LEGEND_ORDER, seriesOf, type SizeSeries } from './size-series.ts';

function LineSample({ series }: { series: SizeSeries }) {
  return (
    <svg width="28" height="12" viewBox="0 0 28 12" aria-hidden="true" className="line-sample">
      <line x1="2" y1="6" x2="26" y2="6" stroke={series.colour} strokeWidth={series.width} strokeLinecap="round" />
    </svg>
  );
}

/** Groups of two or more series with the same latest value, in reading order (an empty repository says nothing). */
function sameNow(series: readonly SizeSeries[], latest: StatsSample): SizeSeries[][] {
  const groups = new Map<number, SizeSeries[]>();
  for (const s of series) if (latest[s.key] > 0) groups.set(latest[s.key], [...(groups.get(latest[s.key]) ?? []), s]);
  return [...groups.values()].filter((g) => g.length > 1);
}

export function SizeHistoryLegend({ latest }: { latest: StatsSample }) {
  const series = LEGEND_ORDER.map((k) => seriesOf(k)!);
  const same = sameNow(series, latest);
  return (
    <div className="chart-legend">
      <ul className="legend" aria-label="Latest sizes" data-testid="history-legend">
        {series.map((s) => (
          <li key={s.key} className="legend__item" data-series={s.key}>
            <LineSample series={s} />
            <span className="nowrap">{s.label}</span>
            <strong className="tabular nowrap">{formatBytes(latest[s.key])}</strong>
          </li>
        ))}
      </ul>
      {same.length > 0 ? (
        <p className="muted small" data-testid="history-same">
          The same size now, so their lines lie on each other (drawn one inside the other):{' '}
          {same.map((g) => g.map((s) => s.short).join(' = ')).join('; ')}.
        </p>
      ) : null}
    </div>
  );
}
