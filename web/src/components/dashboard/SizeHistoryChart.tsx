// Size over time (GET /api/v1/stats/history): logical, after dedup, stored and physical bytes.
import { Area, AreaChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import type { StatsSample } from '../../api.ts';
import { byteTicks, formatBytes, formatBytesShort, formatDate, formatTime } from '../../format.ts';
import { AXIS_TICK, ChartBox, TOOLTIP_BOX } from '../charts.tsx';
import { Panel } from '../Panel.tsx';

const SERIES = [
  { key: 'logicalBytes', label: 'logical', colour: '#6366f1' },
  { key: 'uniqueBytes', label: 'after dedup', colour: '#0ea5e9' },
  { key: 'storedBytes', label: 'stored', colour: '#10b981' },
  { key: 'physicalBytes', label: 'physical (all copies)', colour: '#f59e0b' },
] as const;

const seriesLabel = (key: string): string => SERIES.find((s) => s.key === key)?.label ?? key;

export function SizeHistoryChart({ samples, logicalBytes, storedBytes }: { samples: StatsSample[]; logicalBytes: number; storedBytes: number }) {
  const ticks = byteTicks(Math.max(0, ...samples.map((s) => Math.max(s.logicalBytes, s.physicalBytes))));
  return (
    <Panel id="history" title="Size over time" testId="chart-history">
      {samples.length === 0 ? (
        <p className="muted">No samples yet: the server records one after writes.</p>
      ) : (
        <ChartBox className="chart chart--tall" label={`Logical ${formatBytes(logicalBytes)} versus stored ${formatBytes(storedBytes)} over time, ${samples.length} samples`}>
          <AreaChart data={samples} margin={{ top: 8, right: 12, left: 4, bottom: 0 }}>
            <defs>
              {SERIES.map((s) => (
                <linearGradient key={s.key} id={`g-${s.key}`} x1="0" y1="0" x2="0" y2="1">
                  <stop offset="0%" stopColor={s.colour} stopOpacity={0.35} />
                  <stop offset="100%" stopColor={s.colour} stopOpacity={0.02} />
                </linearGradient>
              ))}
            </defs>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" vertical={false} />
            <XAxis dataKey="at" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={(v: number) => formatTime(v)} tick={AXIS_TICK} minTickGap={40} />
            <YAxis tickFormatter={formatBytesShort} tick={AXIS_TICK} width={72} ticks={ticks} domain={[0, ticks[ticks.length - 1] ?? 'auto']} />
            <Tooltip labelFormatter={(v) => formatDate(Number(v))} formatter={(v, name) => [formatBytes(Number(v)), seriesLabel(String(name))]} contentStyle={TOOLTIP_BOX} />
            <Legend itemSorter={null} formatter={(v: string) => seriesLabel(v)} />
            {SERIES.map((s) => (
              <Area key={s.key} type="linear" dataKey={s.key} stroke={s.colour} fill={`url(#g-${s.key})`} strokeWidth={2} isAnimationActive={false} dot={samples.length < 3} />
            ))}
          </AreaChart>
        </ChartBox>
      )}
    </Panel>
  );
}
