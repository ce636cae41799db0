// The file browser: folders (delimiter=/), breadcrumbs, search (q=, debounced), "load more" via
// the `next` cursor, client-side sort over the loaded rows, download links and delete.
import { useMemo, useState } from 'react';
import { deleteFile, type FileSummary } from '../api.ts';
import { ConfirmDialog, ErrorLine, Spinner, type ConfirmRequest } from '../components/common.tsx';
import { FilesEmpty, FilesFoot } from '../components/files/FilesFoot.tsx';
import { FilesToolbar } from '../components/files/FilesToolbar.tsx';
import { FileTable, nextSort, sortFiles, type Sort } from '../components/files/FileTable.tsx';
import { useFileList } from '../components/files/useFileList.ts';
import { baseName } from '../format.ts';

export function FilesPage({ prefix, q }: { prefix: string; q: string }) {
  const list = useFileList(prefix, q);
  const [sort, setSort] = useState<Sort>({ key: 'name', desc: false });
  const [confirm, setConfirm] = useState<ConfirmRequest>();
  const [notice, setNotice] = useState('');
  const sorted = useMemo(() => sortFiles(list.files, sort), [list.files, sort]);
  const folders = q ? [] : list.folders;

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
        list.forget(f.name);
        setNotice(`Deleted ${f.name} (${r.removed} version${r.removed === 1 ? '' : 's'}).`);
      },
    });
  };

  return (
    <div className="page">
      <FilesToolbar prefix={prefix} q={q} onRefresh={() => void list.reload()} />
      {notice ? (
        <div className="banner banner--ok" role="status" data-testid="files-notice">
          {notice}
          <button type="button" className="btn btn--small btn--ghost" onClick={() => setNotice('')} aria-label="Dismiss">
            ×
          </button>
        </div>
      ) : null}
      <ErrorLine error={list.error} onRetry={() => void list.reload()} />

      <section className="panel panel--flush" aria-label="Files" data-testid="file-browser">
        <FileTable prefix={prefix} files={sorted} folders={folders} sort={sort} onSort={(key) => setSort((s) => nextSort(s, key))} onDelete={askDelete} />
        {list.loading ? (
          <div className="center-block">
            <Spinner label="Loading files" />
          </div>
        ) : list.files.length === 0 && folders.length === 0 && !list.error ? (
          <FilesEmpty prefix={prefix} q={q} />
        ) : null}
        <FilesFoot
          files={list.files.length}
          folders={folders.length}
          more={Boolean(list.next)}
          sortedByName={sort.key === 'name'}
          loadingMore={list.loadingMore}
          onLoadMore={() => void list.loadMore()}
        />
      </section>
      <ConfirmDialog request={confirm} onClose={() => setConfirm(undefined)} />
    </div>
  );
}
