// Above the file browser's table: Select all (the rows loaded), how many rows are ticked, and what
// to do with them: Download (.zip) and Delete. Shown at every width (phones hide table headers, so
// Select all cannot live in one).
import { useEffect, useRef } from 'react';
import { archiveLink } from '../../archive.ts';
import type { Movable } from '../../move-names.ts';

function countText(items: readonly Movable[]): string {
  const files = items.filter((i) => i.kind === 'file').length;
  const folders = items.length - files;
  const parts = [files ? `${files} file${files === 1 ? '' : 's'}` : '', folders ? `${folders} folder${folders === 1 ? '' : 's'}` : ''];
  return parts.filter(Boolean).join(' and ');
}

export function SelectionBar({ rows, selected, base, onSelectAll, onClear, onDelete }: {
  /** Every row on screen. */
  rows: readonly Movable[];
  selected: readonly Movable[];
  /** The folder being viewed: archive entries are named relative to it. */
  base: string;
  onSelectAll: (on: boolean) => void;
  onClear: () => void;
  onDelete: () => void;
}) {
  const allRef = useRef<HTMLInputElement>(null);
  const n = selected.length;
  const all = n > 0 && n === rows.length;
  useEffect(() => {
    if (allRef.current) allRef.current.indeterminate = n > 0 && !all;
  }, [n, all]);
  if (rows.length === 0) return null;
  const link = n > 0 ? archiveLink(selected, base) : undefined;
  return (
    <div className={`selection-bar${n > 0 ? ' selection-bar--active' : ''}`} data-testid="selection-bar">
      <label className="check">
        <input ref={allRef} type="checkbox" checked={all} onChange={(e) => onSelectAll(e.target.checked)} data-testid="select-all" />
        <span>Select all</span>
      </label>
      {n === 0 ? (
        <span className="muted small hide-narrow">Tick files or folders to download or delete several at once.</span>
      ) : (
        <>
          <span className="selection-bar__count" role="status" data-testid="selection-count">
            {n} selected <span className="muted small">({countText(selected)})</span>
          </span>
          <div className="selection-bar__actions">
            {link ? (
              <a className="btn btn--small" href={link} download="" data-testid="selection-download">
                Download (.zip)
              </a>
            ) : (
              <span className="error-text small" role="alert" data-testid="selection-too-many">
                Too many files selected to download at once — select folders or fewer files.
              </span>
            )}
            <button type="button" className="btn btn--small btn--danger-ghost" onClick={onDelete} data-testid="selection-delete">
              Delete
            </button>
            <button type="button" className="btn btn--small btn--ghost" onClick={onClear} data-testid="selection-clear">
              Clear
            </button>
          </div>
        </>
      )}
    </div>
  );
}
