// The file browser's head: where we are (breadcrumbs), the search box, Refresh and Upload. The
// search box drives the URL (debounced, replacing the history entry while typing).
import { useEffect, useState } from 'react';
import { filesHref, Link, navigate } from '../../router.tsx';
import { Breadcrumbs } from '../Breadcrumbs.tsx';
import { useDebounced } from '../common.tsx';

export function FilesToolbar({ prefix, q, onRefresh }: { prefix: string; q: string; onRefresh: () => void }) {
  const [search, setSearch] = useState(q);
  const debounced = useDebounced(search, 300);
  useEffect(() => {
    if (debounced !== q) navigate(filesHref(prefix, debounced), { replace: true });
  }, [debounced, q, prefix]);
  // Browser back/forward changes q under us.
  useEffect(() => setSearch(q), [q]);

  return (
    <div className="page__head page__head--row">
      <Breadcrumbs prefix={prefix} lastIsCurrent testId="breadcrumbs" />
      <div className="toolbar">
        <input
          type="search"
          className="search"
          placeholder={prefix ? `Search in ${prefix}` : 'Search names'}
          aria-label="Search file names"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          data-testid="search-input"
        />
        <button type="button" className="btn" onClick={onRefresh} aria-label="Refresh the list">
          Refresh
        </button>
        <Link to="/" className="btn btn--primary">
          Upload
        </Link>
      </div>
    </div>
  );
}
