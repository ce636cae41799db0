// Every version of a file, newest first: show, download or delete any of them, and make an older
// one the latest again (Restore as latest: a new version with its chunks, nothing is copied).
import type { FileStat } from '../../api.ts';
import { formatBytes, formatCount, formatDate, isoDate } from '../../format.ts';
import { fileHref, Link } from '../../router.tsx';
import { FileActions } from '../FileActions.tsx';
import { Panel } from '../Panel.tsx';
import { ACTIONS_COLUMN, Table, type Column } from '../Table.tsx';

const COLUMNS: Column[] = [
  { label: 'Version' },
  { label: 'Size', className: 'num' },
  { label: 'Chunks', className: 'num' },
  { label: 'Codec' },
  { label: 'Created' },
  ACTIONS_COLUMN,
];

export function FileVersions({ stat, selectedVersion, onDeleteVersion, onRestore, restoring }: {
  stat: FileStat;
  selectedVersion: number | undefined;
  onDeleteVersion: (v: number) => void;
  onRestore: (v: number) => void;
  /** The version being restored right now (its button waits). */
  restoring: number | undefined;
}) {
  const current = stat.version.version;
  const latest = Math.max(...stat.versions.map((x) => x.version));
  return (
    <Panel id="versions" title="Versions" testId="file-versions">
      <Table className="table rtable" label="Versions" columns={COLUMNS}>
        {stat.versions
          .slice()
          .sort((a, b) => b.version - a.version)
          .map((v) => (
            <tr key={v.version} data-testid="version-row" data-version={v.version} className={v.version === current ? 'row--current' : undefined}>
              <td data-label="Version">
                {v.version === current ? (
                  <strong>v{v.version} (shown)</strong>
                ) : (
                  <Link to={fileHref(stat.name, v.version)} aria-label={`Show version ${v.version}`}>
                    v{v.version}
                  </Link>
                )}
                {v.version === latest ? <span className="badge badge--info" data-testid="latest-badge">latest</span> : null}
              </td>
              <td className="num" data-label="Size">
                {formatBytes(v.size)}
              </td>
              <td className="num" data-label="Chunks">
                {formatCount(v.chunkCount)}
              </td>
              <td data-label="Codec">{v.codec}</td>
              <td data-label="Created">
                <time dateTime={isoDate(v.createdAt)}>{formatDate(v.createdAt)}</time>
              </td>
              <FileActions
                name={stat.name}
                version={v.version}
                label={`version ${v.version}`}
                onDelete={() => onDeleteVersion(v.version)}
                testIds={{ download: 'version-download', delete: 'version-delete' }}
              >
                {v.version !== latest ? (
                  <button
                    type="button"
                    className="btn btn--small"
                    onClick={() => onRestore(v.version)}
                    disabled={restoring !== undefined}
                    data-testid="version-restore"
                    aria-label={`Restore version ${v.version} as the latest`}
                  >
                    {restoring === v.version ? 'Restoring…' : 'Restore as latest'}
                  </button>
                ) : null}
              </FileActions>
            </tr>
          ))}
      </Table>
      {selectedVersion !== undefined && selectedVersion !== current ? <p className="muted small">Showing version {current}.</p> : null}
    </Panel>
  );
}
