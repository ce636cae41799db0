// Size over time (GET /api/v1/stats/history): logical, after dedup, stored and physical bytes, as
// lines that stay distinguishable when their values coincide (size-series.ts), with a legend of
// the latest values.
import { CartesianGrid, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { StatsSample } from '../../api.ts';
import { byteTicks, formatBytes, formatBytesShort, formatDate, formatTime } from '../../format.ts';
import { AXIS_TICK, ChartBox, TOOLTIP_BOX } from '../charts.tsx';
import { Panel } from '../Panel.tsx';
import { SIZE_SERIES, seriesOf } from './size-series.ts';
import { SizeHistoryLegend } from './SizeHistoryLegend.tsx';

export function SizeHistoryChart({ samples, logicalBytes, storedBytes }: { samples: StatsSample[]; logicalBytes: number; storedBytes: number }) {
  const ticks = byteTicks(Math.max(0, ...samples.map((s) => Math.max(s.logicalBytes, s.physicalBytes))));
  const latest = samples[samples.length - 1];
  return (
    <Panel id="history" title="Size over time" testId="chart-history">
      {!latest ? (
        <p className="muted">No samples yet: the server records one after writes.</p>
      ) : (
        <>
          <ChartBox className="chart chart--tall" label={`Logical ${formatBytes(logicalBytes)} versus stored ${formatBytes(storedBytes)} over time, ${samples.length} samples`}>
            <LineChart data={samples} margin={{ top: 8, right: 12, left: 4, bottom: 0 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" vertical={false} />
              <XAxis dataKey="at" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={(v: number) => formatTime(v)} tick={AXIS_TICK} minTickGap={40} />
              <YAxis tickFormatter={formatBytesShort} tick={AXIS_TICK} width={72} ticks={ticks} domain={[0, ticks[ticks.length - 1] ?? 'auto']} />
              <Tooltip
                labelFormatter={(v) => formatDate(Number(v))}
                formatter={(v, name) => [formatBytes(Number(v)), seriesOf(String(name))?.label ?? String(name)]}
                contentStyle={TOOLTIP_BOX}
              />
              {SIZE_SERIES.map((s) => (
                <Line
                  key={s.key}
                  className={`size-line size-line--${s.key}`}
                  type="linear"
                  dataKey={s.key}
                  stroke={s.colour}
                  strokeWidth={s.width}
                  strokeLinecap="round"
                  strokeLinejoin="round"
                  isAnimationActive={false}
                  dot={samples.length < 3 ? { r: s.width / 2 + 1.5, fill: s.colour, strokeWidth: 0 } : false}
                  activeDot={{ r: s.width / 2 + 2.5, fill: s.colour, stroke: 'var(--panel)', strokeWidth: 1 }}
                />
              ))}
            </LineChart>
          </ChartBox>
          <SizeHistoryLegend latest={latest} />
        </>
      )}
    </Panel>
  );
}
