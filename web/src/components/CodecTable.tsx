// Chunks, raw and stored bytes and ratio per codec: the dashboard (whole repository) and the file
// page (one version) show the same table. Unknown sizes (a truncated chunk list) show as a dash.
import { useCodecColour } from '../codec-colours.ts';
import { formatBytes, formatCount, formatRatio } from '../format.ts';
import { Table, type Column } from './Table.tsx';

export interface CodecRow {
  codec: string;
  chunks: number;
  raw?: number | undefined;
  stored?: number | undefined;
}

const COLUMNS: Column[] = [
  { label: 'Codec' },
  { label: 'Chunks', className: 'num' },
  { label: 'Raw', className: 'num' },
  { label: 'Stored', className: 'num' },
  { label: 'Ratio', className: 'num' },
];

export function CodecTable({ rows }: { rows: readonly CodecRow[] }) {
  const codecColour = useCodecColour();
  return (
    <Table className="table table--compact" label="Chunks per codec" columns={COLUMNS}>
      {rows.map((c) => (
        <tr key={c.codec}>
          <td>
            <span className="swatch" style={{ background: codecColour(c.codec) }} aria-hidden="true" /> {c.codec}
          </td>
          <td className="num">{formatCount(c.chunks)}</td>
          <td className="num">{c.raw === undefined ? '—' : formatBytes(c.raw)}</td>
          <td className="num">{c.stored === undefined ? '—' : formatBytes(c.stored)}</td>
          <td className="num">{c.raw && c.stored ? formatRatio(c.raw / c.stored) : '—'}</td>
        </tr>
      ))}
    </Table>
  );
}
