// Chart pieces shared by the dashboard's charts (recharts): the sized box with its text
// alternative, the axis and tooltip look, and a bar chart with one bar per category.
import type { ReactElement } from 'react';
import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export const AXIS_TICK = { fontSize: 12, fill: 'var(--muted)' };
export const TOOLTIP_BOX = { background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 8 };

/** The chart's box (its CSS gives the height) and what a screen reader says instead of it. */
export function ChartBox({ className = 'chart', label, children }: { className?: string; label: string; children: ReactElement }) {
  return (
    <div className={className} role="img" aria-label={label}>
      <ResponsiveContainer width="100%" height="100%">
        {children}
      </ResponsiveContainer>
    </div>
  );
}

interface ValueAxis {
  tickFormatter: (v: number) => string;
  width?: number;
  /** Fixed ticks from 0 (the axis ends at the last one). */
  ticks?: number[];
}

/**
 * One bar per row: `columns` puts the categories along the bottom (short names), `rows` down the
 * side (names of any length, bars growing right).
 */
export function CategoryBars<T extends object>({ data, category, value, layout, valueAxis, categoryWidth, tooltip, colour, maxBarSize }: {
  data: T[];
  category: keyof T & string;
  value: keyof T & string;
  layout: 'columns' | 'rows';
  valueAxis: ValueAxis;
  categoryWidth?: number;
  /** The tooltip's value and its name. */
  tooltip: { format: (v: number) => string; name: string };
  colour: (row: T) => string;
  maxBarSize: number;
}) {
  const rows = layout === 'rows';
  // recharts types data keys per data row, which a generic row type cannot satisfy: plain names.
  const categoryKey: string = category;
  const valueKey: string = value;
  const domain: [number, number | 'auto'] | undefined = valueAxis.ticks ? [0, valueAxis.ticks[valueAxis.ticks.length - 1] ?? 'auto'] : undefined;
  const valueProps = { tickFormatter: valueAxis.tickFormatter, tick: AXIS_TICK, ...(valueAxis.width ? { width: valueAxis.width } : {}), ...(valueAxis.ticks ? { ticks: valueAxis.ticks, domain } : {}) };
  return (
    <BarChart data={data} {...(rows ? { layout: 'vertical' as const } : {})} margin={rows ? { top: 4, right: 16, left: 4, bottom: 0 } : { top: 8, right: 12, left: 4, bottom: 0 }}>
      <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" {...(rows ? { horizontal: false } : { vertical: false })} />
      {rows ? <XAxis type="number" {...valueProps} /> : <XAxis dataKey={categoryKey} tick={AXIS_TICK} />}
      {rows ? <YAxis type="category" dataKey={categoryKey} tick={AXIS_TICK} {...(categoryWidth ? { width: categoryWidth } : {})} /> : <YAxis {...valueProps} />}
      <Tooltip cursor={{ fill: 'var(--hover)' }} formatter={(v) => [tooltip.format(Number(v)), tooltip.name]} contentStyle={TOOLTIP_BOX} />
      <Bar dataKey={valueKey} radius={rows ? [0, 4, 4, 0] : [4, 4, 0, 0]} isAnimationActive={false} maxBarSize={maxBarSize}>
        {data.map((row) => (
          <Cell key={String(row[category])} fill={colour(row)} />
        ))}
      </Bar>
    </BarChart>
  );
}
