// The most downloaded files (GET /api/v1/stats/top), each with a bar relative to the first.
import type { FileAccess } from '../../api.ts';
import { formatBytes, formatCount, formatDate } from '../../format.ts';
import { fileHref, Link } from '../../router.tsx';
import { Panel } from '../Panel.tsx';
import { Table, type Column } from '../Table.tsx';

const COLUMNS: Column[] = [
  { label: 'File' },
  { label: 'Downloads', className: 'num' },
  { label: 'Bytes out', className: 'num hide-narrow' },
  { label: 'Last access', className: 'hide-narrow' },
];

export function TopFiles({ files }: { files: FileAccess[] }) {
  const maxDownloads = Math.max(1, ...files.map((f) => f.downloads));
  return (
    <Panel id="top" title="Most accessed" testId="top-files">
      <p className="muted">Most downloaded first; files not downloaded yet follow, most recently uploaded first.</p>
      {files.length === 0 ? (
        <p className="muted">No files yet.</p>
      ) : (
        <Table className="table table--compact top-table" label="Most accessed files" columns={COLUMNS}>
          {files.map((f) => (
            <tr key={f.name} data-testid="top-row" data-name={f.name}>
              <td className="top-name">
                <Link to={fileHref(f.name)} className="ellipsis" title={f.name}>
                  {f.name}
                </Link>
                <span className="meter" aria-hidden="true">
                  <span style={{ width: `${(f.downloads / maxDownloads) * 100}%` }} />
                </span>
              </td>
              <td className="num">{formatCount(f.downloads)}</td>
              <td className="num hide-narrow">{formatBytes(f.bytesOut)}</td>
              <td className="hide-narrow">{formatDate(f.lastAccessAt)}</td>
            </tr>
          ))}
        </Table>
      )}
    </Panel>
  );
}
