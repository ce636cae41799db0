// The file browser's table: sortable columns, folders first (not while searching), then files with
// their sizes, ratio, date, versions; a tick box on every row (SelectionBar acts on them), and
// Download, Rename, Move to… and Delete (a folder downloads as a ZIP and deletes with all it holds).
import type { FileSummary } from '../../api.ts';
import { archiveLink } from '../../archive.ts';
import { formatBytes, formatDate, formatRatio, isoDate } from '../../format.ts';
import type { Movable, MoveMode } from '../../move-names.ts';
import { fileHref, filesHref, Link } from '../../router.tsx';
import { FileActions } from '../FileActions.tsx';
import { MoveButtons } from '../move/MoveButtons.tsx';
import { ACTIONS_COLUMN, Table, type Column } from '../Table.tsx';
import type { Selection } from './useSelection.ts';

export type SortKey = 'name' | 'size' | 'stored' | 'ratio' | 'date';
export interface Sort {
  key: SortKey;
  desc: boolean;
}

const SORTABLE: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: 'name', label: 'Name' },
  { key: 'size', label: 'Size', numeric: true },
  { key: 'stored', label: 'Stored', numeric: true },
  { key: 'ratio', label: 'Ratio', numeric: true },
  { key: 'date', label: 'Modified', numeric: true },
];

function compare(a: FileSummary, b: FileSummary, key: SortKey): number {
  switch (key) {
    case 'name':
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    case 'size':
      return a.size - b.size;
    case 'stored':
      return a.storedSize - b.storedSize;
    case 'ratio':
      return a.ratio - b.ratio;
    case 'date':
      return a.createdAt - b.createdAt;
  }
}

/** The loaded rows in the order of `sort` (the server sends name order). */
export function sortFiles(files: readonly FileSummary[], sort: Sort): FileSummary[] {
  const out = [...files].sort((a, b) => compare(a, b, sort.key));
  return sort.desc ? out.reverse() : out;
}

/** Clicking a column sorts by it; again reverses. Numbers and dates start largest first. */
export const nextSort = (s: Sort, key: SortKey): Sort => ({ key, desc: s.key === key ? !s.desc : key !== 'name' });

export function FileTable({ prefix, files, folders, sort, onSort, selection, onDelete, onDeleteFolder, onMove }: {
  prefix: string;
  /** Already sorted. */
  files: FileSummary[];
  /** Shown above the files (none while searching). */
  folders: string[];
  sort: Sort;
  onSort: (key: SortKey) => void;
  selection: Selection;
  onDelete: (file: FileSummary) => void;
  onDeleteFolder: (folder: string) => void;
  onMove: (item: Movable, mode: MoveMode) => void;
}) {
  const columns: Column[] = [
    ...SORTABLE.map((c) => ({
      key: c.key,
      className: c.numeric ? 'num' : undefined,
      sort: sort.key === c.key ? (sort.desc ? ('descending' as const) : ('ascending' as const)) : ('none' as const),
      label: (
        <button type="button" className="th-sort" onClick={() => onSort(c.key)} data-testid={`sort-${c.key}`}>
          {c.numeric && sort.key === c.key ? <SortArrow desc={sort.desc} /> : null}
          {c.label}
          {!c.numeric && sort.key === c.key ? <SortArrow desc={sort.desc} /> : null}
        </button>
      ),
    })),
    { label: 'Versions', className: 'num' },
    ACTIONS_COLUMN,
  ];
  return (
    <Table className="table rtable files-table" label="Files" columns={columns}>
      {folders.map((f) => {
        const item: Movable = { kind: 'folder', name: f };
        const shown = f.slice(prefix.length);
        return (
          <tr key={`d:${f}`} className="folder-row" data-testid="folder-row" data-name={f}>
            <td className="name-cell" colSpan={6}>
              <div className="name-row">
                <RowCheck item={item} label={`folder ${shown}`} selection={selection} />
                <Link to={filesHref(f)} className="name-link" title={f} data-testid="folder-link">
                  <span className="icon-folder" aria-hidden="true" />
                  <span className="ellipsis">{shown}</span>
                </Link>
              </div>
            </td>
            <FolderActions item={item} label={`folder ${shown}`} base={prefix} onMove={onMove} onDelete={() => onDeleteFolder(f)} />
          </tr>
        );
      })}
      {files.map((f) => (
        <tr key={f.name} data-testid="file-row" data-name={f.name}>
          <td className="name-cell" data-label="Name">
            <div className="name-row">
              <RowCheck item={{ kind: 'file', name: f.name }} label={f.name} selection={selection} />
              <Link to={fileHref(f.name)} className="name-link" title={f.name}>
                <span className="icon-file" aria-hidden="true" />
                <span className="ellipsis">{f.name.startsWith(prefix) ? f.name.slice(prefix.length) : f.name}</span>
              </Link>
            </div>
          </td>
          <td className="num" data-label="Size" data-testid="cell-size">
            {formatBytes(f.size)}
          </td>
          <td className="num" data-label="Stored" data-testid="cell-stored">
            {formatBytes(f.storedSize)}
          </td>
          <td className="num" data-label="Ratio" data-testid="cell-ratio">
            {formatRatio(f.ratio)}
          </td>
          <td className="num" data-label="Modified">
            <time dateTime={isoDate(f.createdAt)}>{formatDate(f.createdAt)}</time>
          </td>
          <td className="num" data-label="Versions" data-testid="cell-versions">
            {f.versions}
          </td>
          <FileActions name={f.name} label={f.name} onDelete={() => onDelete(f)} testIds={{ download: 'download-link', delete: 'delete-button' }}>
            <MoveButtons item={{ kind: 'file', name: f.name }} label={f.name} onMove={onMove} />
          </FileActions>
        </tr>
      ))}
    </Table>
  );
}

function FolderActions({ item, label, base, onMove, onDelete }: { item: Movable; label: string; base: string; onMove: (item: Movable, mode: MoveMode) => void; onDelete: () => void }) {
  const zip = archiveLink([item], base);
  return (
    <td className="actions-cell">
      {zip ? (
        <a className="btn btn--small" href={zip} download="" data-testid="folder-download" aria-label={`Download ${label} as a zip`}>
          Download
        </a>
      ) : null}
      <MoveButtons item={item} label={label} onMove={onMove} />
      <button type="button" className="btn btn--small btn--danger-ghost" onClick={onDelete} data-testid="folder-delete" aria-label={`Delete ${label} with everything in it`}>
        Delete
      </button>
    </td>
  );
}

function RowCheck({ item, label, selection }: { item: Movable; label: string; selection: Selection }) {
  return (
    <input
      type="checkbox"
      className="row-check"
      checked={selection.has(item)}
      onChange={(e) => selection.toggle(item, e.target.checked)}
      aria-label={`Select ${label}`}
      data-testid="row-select"
    />
  );
}

function SortArrow({ desc }: { desc: boolean }) {
  return (
    <span aria-hidden="true" className="th-sort__arrow">
      {desc ? '▼' : '▲'}
    </span>
  );
}
