// The file browser: folders (delimiter=/), breadcrumbs, search (q=, debounced), "load more" via
// the `next` cursor, client-side sort over the loaded rows, download links and delete.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { deleteFile, fileUrl, listFiles, type FileSummary } from '../api.ts';
import { ConfirmDialog, ErrorLine, Spinner, useDebounced, type ConfirmRequest } from '../components/common.tsx';
import { baseName, formatBytes, formatDate, formatRatio, isoDate } from '../format.ts';
import { fileHref, filesHref, Link, navigate } from '../router.tsx';

type SortKey = 'name' | 'size' | 'stored' | 'ratio' | 'date';
const PAGE = 100;

const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
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

export function FilesPage({ prefix, q }: { prefix: string; q: string }) {
  const [search, setSearch] = useState(q);
  const debounced = useDebounced(search, 300);
  const [files, setFiles] = useState<FileSummary[]>([]);
  const [folders, setFolders] = useState<string[]>([]);
  const [next, setNext] = useState<string>();
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<unknown>();
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'name', desc: false });
  const [confirm, setConfirm] = useState<ConfirmRequest>();
  const [notice, setNotice] = useState('');
  const abortRef = useRef<AbortController | undefined>(undefined);

  // The search box drives the URL (replace, not push, while typing).
  useEffect(() => {
    if (debounced !== q) navigate(filesHref(prefix, debounced), { replace: true });
  }, [debounced, q, prefix]);
  // Browser back/forward changes q under us.
  useEffect(() => setSearch(q), [q]);

  const query = useMemo(() => (q ? { prefix, q, limit: PAGE } : { prefix, delimiter: '/' as const, limit: PAGE }), [prefix, q]);

  const load = useCallback(async (): Promise<void> => {
    abortRef.current?.abort();
    const ac = new AbortController();
    abortRef.current = ac;
    setLoading(true);
    setError(undefined);
    try {
      const page = await listFiles(query, ac.signal);
      if (ac.signal.aborted) return;
      setFiles(page.files);
      setFolders(page.folders ?? []);
      setNext(page.next);
    } catch (err) {
      if (!ac.signal.aborted) setError(err);
    } finally {
      if (!ac.signal.aborted) setLoading(false);
    }
  }, [query]);

  useEffect(() => {
    void load();
    return () => abortRef.current?.abort();
  }, [load]);

  const loadMore = async (): Promise<void> => {
    if (!next) return;
    setLoadingMore(true);
    setError(undefined);
    try {
      const page = await listFiles({ ...query, after: next });
      setFiles((f) => [...f, ...page.files]);
      setFolders((f) => [...f, ...(page.folders ?? []).filter((x) => !f.includes(x))]);
      setNext(page.next);
    } catch (err) {
      setError(err);
    } finally {
      setLoadingMore(false);
    }
  };

  const sorted = useMemo(() => {
    const out = [...files].sort((a, b) => compare(a, b, sort.key));
    return sort.desc ? out.reverse() : out;
  }, [files, sort]);

  const askDelete = (f: FileSummary): void => {
    setConfirm({
      title: `Delete ${baseName(f.name)}?`,
      body: (
        <p>
          This removes <strong className="break">{f.name}</strong>
          {f.versions > 1 ? ` and all ${f.versions} of its versions` : ''}. Space comes back when gc runs.
        </p>
      ),
      confirmLabel: f.versions > 1 ? `Delete ${f.versions} versions` : 'Delete',
      danger: true,
      action: async () => {
        const r = await deleteFile(f.name);
        setFiles((list) => list.filter((x) => x.name !== f.name));
        setNotice(`Deleted ${f.name} (${r.removed} version${r.removed === 1 ? '' : 's'}).`);
      },
    });
  };

  const crumbs = breadcrumbs(prefix);
  const sortBy = (key: SortKey): void => setSort((s) => ({ key, desc: s.key === key ? !s.desc : key !== 'name' }));

  return (
    <div className="page">
      <div className="page__head page__head--row">
        <nav aria-label="Breadcrumbs" className="crumbs" data-testid="breadcrumbs">
          <ol>
            {crumbs.map((c, i) => (
              <li key={c.prefix}>
                {i === crumbs.length - 1 ? (
                  <span aria-current="page">{c.label}</span>
                ) : (
                  <Link to={filesHref(c.prefix)}>{c.label}</Link>
                )}
              </li>
            ))}
          </ol>
        </nav>
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
          <button type="button" className="btn" onClick={() => void load()} aria-label="Refresh the list">
            Refresh
          </button>
          <Link to="/" className="btn btn--primary">
            Upload
          </Link>
        </div>
      </div>

      {notice ? (
        <div className="banner banner--ok" role="status" data-testid="files-notice">
          {notice}
          <button type="button" className="btn btn--small btn--ghost" onClick={() => setNotice('')} aria-label="Dismiss">
            ×
          </button>
        </div>
      ) : null}
      <ErrorLine error={error} onRetry={() => void load()} />

      <section className="panel panel--flush" aria-label="Files" data-testid="file-browser">
        <div className="table-wrap">
          <table className="table rtable files-table">
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th
                    key={c.key}
                    className={c.numeric ? 'num' : undefined}
                    aria-sort={sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : 'none'}
                    scope="col"
                  >
                    <button type="button" className="th-sort" onClick={() => sortBy(c.key)} data-testid={`sort-${c.key}`}>
                      {c.numeric && sort.key === c.key ? <SortArrow desc={sort.desc} /> : null}
                      {c.label}
                      {!c.numeric && sort.key === c.key ? <SortArrow desc={sort.desc} /> : null}
                    </button>
                  </th>
                ))}
                <th scope="col" className="num">
                  Versions
                </th>
                <th scope="col" className="actions-col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {!q &&
                folders.map((f) => (
                  <tr key={`d:${f}`} className="folder-row" data-testid="folder-row" data-name={f}>
                    <td className="name-cell" colSpan={7}>
                      <Link to={filesHref(f)} className="name-link">
                        <span className="icon-folder" aria-hidden="true" />
                        {f.slice(prefix.length)}
                      </Link>
                    </td>
                  </tr>
                ))}
              {sorted.map((f) => (
                <tr key={f.name} data-testid="file-row" data-name={f.name}>
                  <td className="name-cell" data-label="Name">
                    <Link to={fileHref(f.name)} className="name-link" title={f.name}>
                      <span className="icon-file" aria-hidden="true" />
                      <span className="ellipsis">{f.name.startsWith(prefix) ? f.name.slice(prefix.length) : f.name}</span>
                    </Link>
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
                  <td className="actions-cell">
                    <a className="btn btn--small" href={fileUrl(f.name)} download={baseName(f.name)} data-testid="download-link" aria-label={`Download ${f.name}`}>
                      Download
                    </a>
                    <button type="button" className="btn btn--small btn--danger-ghost" onClick={() => askDelete(f)} data-testid="delete-button" aria-label={`Delete ${f.name}`}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {loading ? (
          <div className="center-block">
            <Spinner label="Loading files" />
          </div>
        ) : files.length === 0 && (q || folders.length === 0) && !error ? (
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
        ) : null}
        <div className="table-foot">
          <span className="muted small" data-testid="files-count">
            {files.length} file{files.length === 1 ? '' : 's'}
            {!q && folders.length > 0 ? `, ${folders.length} folder${folders.length === 1 ? '' : 's'}` : ''}
            {next ? ' loaded (more on the server)' : ''}
            {sort.key !== 'name' && next ? ' · sorted among the loaded rows' : ''}
          </span>
          {next ? (
            <button type="button" className="btn" onClick={() => void loadMore()} disabled={loadingMore} data-testid="load-more">
              {loadingMore ? 'Loading…' : 'Load more'}
            </button>
          ) : null}
        </div>
      </section>
      <ConfirmDialog request={confirm} onClose={() => setConfirm(undefined)} />
    </div>
  );
}

function SortArrow({ desc }: { desc: boolean }) {
  return (
    <span aria-hidden="true" className="th-sort__arrow">
      {desc ? '▼' : '▲'}
    </span>
  );
}

function breadcrumbs(prefix: string): { label: string; prefix: string }[] {
  const out = [{ label: 'All files', prefix: '' }];
  let acc = '';
  for (const part of prefix.split('/')) {
    if (!part) continue;
    acc += `${part}/`;
    out.push({ label: part, prefix: acc });
  }
  // A prefix that does not end with "/" (typed by hand) still gets a last crumb.
  if (prefix && !prefix.endsWith('/')) out[out.length - 1]!.prefix = prefix;
  return out;
}
