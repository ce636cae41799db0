// Where a version's chunks live: per backend, its copies by state, their bytes, whether it answers.
import type { FileStat } from '../../api.ts';
import { formatBytes, formatCount } from '../../format.ts';
import { UpBadge } from '../common.tsx';
import { Panel } from '../Panel.tsx';
import { ProblemCount, Table, type Column } from '../Table.tsx';

export interface BackendCopies {
  backend: string;
  up: boolean;
  ok: number;
  missing: number;
  corrupt: number;
  bytes: number;
  shards: Set<number>;
}

export function copiesByBackend(chunks: FileStat['chunks']): BackendCopies[] {
  const m = new Map<string, BackendCopies>();
  for (const c of chunks) {
    for (const copy of c.copies) {
      const e = m.get(copy.backend) ?? { backend: copy.backend, up: copy.up, ok: 0, missing: 0, corrupt: 0, bytes: 0, shards: new Set<number>() };
      e.up = e.up && copy.up;
      e[copy.state]++;
      e.bytes += c.storedSize;
      if (copy.shard !== undefined) e.shards.add(copy.shard);
      m.set(copy.backend, e);
    }
  }
  return [...m.values()].sort((a, b) => a.backend.localeCompare(b.backend));
}

/** Said first on the page: copies on backends that are down cannot be read now. */
export function DownBackendsBanner({ backends }: { backends: BackendCopies[] }) {
  const down = backends.filter((b) => !b.up);
  if (down.length === 0) return null;
  return (
    <div className="banner banner--bad" role="alert" data-testid="file-backend-down">
      Backend{down.length > 1 ? 's' : ''} {down.map((b) => b.backend).join(', ')} {down.length > 1 ? 'are' : 'is'} down: copies there cannot
      be read right now.
    </div>
  );
}

const COLUMNS: Column[] = [
  { label: 'Backend' },
  { label: 'Status' },
  { label: 'OK', className: 'num' },
  { label: 'Missing', className: 'num' },
  { label: 'Corrupt', className: 'num' },
  { label: 'Bytes', className: 'num' },
];

export function FileCopies({ backends }: { backends: BackendCopies[] }) {
  return (
    <Panel id="copies" title="Copies" testId="file-copies">
      <p className="muted small">Where the chunks of this version live, and whether each backend answers now.</p>
      <Table className="table table--compact" label="Copies per backend" columns={COLUMNS}>
        {backends.map((b) => (
          <tr key={b.backend} data-testid="copy-row" data-backend={b.backend} className={b.up ? undefined : 'row--bad'}>
            <td>
              {b.backend}
              {b.shards.size > 0 ? <span className="muted small"> shards {[...b.shards].sort((x, y) => x - y).join(',')}</span> : null}
            </td>
            <td>
              <UpBadge up={b.up} />
            </td>
            <td className="num">{formatCount(b.ok)}</td>
            <ProblemCount n={b.missing} />
            <ProblemCount n={b.corrupt} />
            <td className="num">{formatBytes(b.bytes)}</td>
          </tr>
        ))}
        {backends.length === 0 ? (
          <tr>
            <td colSpan={6} className="muted">
              No copies (empty file).
            </td>
          </tr>
        ) : null}
      </Table>
    </Panel>
  );
}
