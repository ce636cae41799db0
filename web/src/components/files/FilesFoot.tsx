// Below the file browser's table: what an empty folder or search says, and the paging line (how
// many rows are loaded, Load more while the server has more).
import { Link } from '../../router.tsx';

export function FilesEmpty({ prefix, q }: { prefix: string; q: string }) {
  return (
    <div className="empty" data-testid="files-empty">
      {q ? (
        <>No names contain “{q}”{prefix ? ` in ${prefix}` : ''}.</>
      ) : prefix ? (
        <>This folder is empty.</>
      ) : (
        <>
          No files yet. <Link to="/">Upload some</Link>.
        </>
      )}
    </div>
  );
}

export function FilesFoot({ files, folders, more, sortedByName, loadingMore, onLoadMore }: {
  files: number;
  /** Folders listed (none while searching). */
  folders: number;
  /** The server has more rows. */
  more: boolean;
  sortedByName: boolean;
  loadingMore: boolean;
  onLoadMore: () => void;
}) {
  return (
    <div className="table-foot">
      <span className="muted small" data-testid="files-count">
        {files} file{files === 1 ? '' : 's'}
        {folders > 0 ? `, ${folders} folder${folders === 1 ? '' : 's'}` : ''}
        {more ? ' loaded (more on the server)' : ''}
        {!sortedByName && more ? ' · sorted among the loaded rows' : ''}
      </span>
      {more ? (
        <button type="button" className="btn" onClick={onLoadMore} disabled={loadingMore} data-testid="load-more">
          {loadingMore ? 'Loading…' : 'Load more'}
        </button>
      ) : null}
    </div>
  );
}
