// Every configured backend: bytes held (bars, red when down), then a table with status, copies
// and missing or corrupt copies, backends that are down first.
import type { Stats } from '../../api.ts';
import { byteTicks, formatBytes, formatBytesShort, formatCount } from '../../format.ts';
import { CategoryBars, ChartBox } from '../charts.tsx';
import { UpBadge } from '../common.tsx';
import { Panel } from '../Panel.tsx';
import { ProblemCount, Table, type Column } from '../Table.tsx';

const COLUMNS: Column[] = [
  { label: 'Backend' },
  { label: 'Status' },
  { label: 'Copies', className: 'num' },
  { label: 'Bytes', className: 'num' },
  { label: 'Missing', className: 'num' },
  { label: 'Corrupt', className: 'num' },
];

export function BackendsPanel({ backends }: { backends: Stats['perBackend'] }) {
  const ticks = byteTicks(Math.max(0, ...backends.map((b) => b.bytes)), 3);
  return (
    <Panel id="backend" title="Backends" testId="chart-backends">
      <ChartBox className="chart chart--short" label={backends.map((b) => `${b.backend} ${formatBytes(b.bytes)} ${b.up ? 'up' : 'down'}`).join(', ')}>
        <CategoryBars
          data={backends}
          layout="rows"
          category="backend"
          value="bytes"
          valueAxis={{ tickFormatter: formatBytesShort, ticks }}
          categoryWidth={88}
          tooltip={{ format: formatBytes, name: 'bytes' }}
          colour={(b) => (b.up ? '#6366f1' : '#ef4444')}
          maxBarSize={26}
        />
      </ChartBox>
      <Table className="table table--compact" label="Backends" columns={COLUMNS}>
        {[...backends]
          .sort((a, b) => Number(a.up) - Number(b.up) || a.backend.localeCompare(b.backend))
          .map((b) => (
            <tr key={b.backend} data-testid="backend-row" data-backend={b.backend} data-up={b.up} className={b.up ? undefined : 'row--bad'}>
              <td>{b.backend}</td>
              <td>
                <UpBadge up={b.up} />
                {!b.up && b.error ? (
                  <span className="backend-error" title={b.error}>
                    {b.error}
                  </span>
                ) : null}
              </td>
              <td className="num">{formatCount(b.copies)}</td>
              <td className="num">{formatBytes(b.bytes)}</td>
              <ProblemCount n={b.missing} />
              <ProblemCount n={b.corrupt} />
            </tr>
          ))}
      </Table>
    </Panel>
  );
}
