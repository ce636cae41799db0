// The file browser: folders (delimiter=/), breadcrumbs, search (q=, debounced), "load more" via
// the `next` cursor, client-side sort over the loaded rows, download links, rename and move of
// files and folders, delete, and ticked rows downloaded as one ZIP or deleted together.
import { useMemo, useState } from 'react';
import { deleteFile, deleteMany, type FileSummary } from '../api.ts';
import { ConfirmDialog, ErrorLine, Spinner, type ConfirmRequest } from '../components/common.tsx';
import { bulkDeleteRequest } from '../components/files/BulkDelete.tsx';
import { FilesEmpty, FilesFoot } from '../components/files/FilesFoot.tsx';
import { FilesToolbar } from '../components/files/FilesToolbar.tsx';
import { FileTable, nextSort, sortFiles, type Sort } from '../components/files/FileTable.tsx';
import { SelectionBar } from '../components/files/SelectionBar.tsx';
import { useFileList } from '../components/files/useFileList.ts';
import { useSelection } from '../components/files/useSelection.ts';
import { MoveDialog, type MoveRequest } from '../components/move/MoveDialog.tsx';
import { baseName } from '../format.ts';
import type { Movable } from '../move-names.ts';

export function FilesPage({ prefix, q }: { prefix: string; q: string }) {
  const list = useFileList(prefix, q);
  const [sort, setSort] = useState<Sort>({ key: 'name', desc: false });
  const [confirm, setConfirm] = useState<ConfirmRequest>();
  const [moving, setMoving] = useState<MoveRequest>();
  const [notice, setNotice] = useState('');
  const sorted = useMemo(() => sortFiles(list.files, sort), [list.files, sort]);
  const folders = useMemo(() => (q ? [] : list.folders), [q, list.folders]);
  const rows = useMemo<Movable[]>(() => [...folders.map((name) => ({ kind: 'folder' as const, name })), ...sorted.map((f) => ({ kind: 'file' as const, name: f.name }))], [folders, sorted]);
  const selection = useSelection(rows);

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

  /** Asks before deleting the ticked rows, or the one folder `folder` (its row's Delete). */
  const askDeleteMany = (folder?: string): void => {
    const items = folder === undefined ? selection.items : [{ kind: 'folder' as const, name: folder }];
    setConfirm(
      bulkDeleteRequest(items, list.files, async () => {
        const r = await deleteMany({
          names: items.filter((i) => i.kind === 'file').map((i) => i.name),
          prefixes: items.filter((i) => i.kind === 'folder').map((i) => i.name),
        });
        setNotice(`Deleted ${r.files} file${r.files === 1 ? '' : 's'} (${r.versions} version${r.versions === 1 ? '' : 's'}).`);
        await list.reload();
      }),
    );
  };

  const moved = (request: MoveRequest, to: string, count: number): void => {
    setMoving(undefined);
    const what = request.item.kind === 'folder' ? `${request.item.name} (${count} file${count === 1 ? '' : 's'})` : request.item.name;
    setNotice(`${request.mode === 'rename' ? 'Renamed' : 'Moved'} ${what} to ${to}.`);
    void list.reload();
  };

  return (
    <div className="page">
      <FilesToolbar prefix={prefix} q={q} onRefresh={() => void list.reload()} />
      {notice ? (
        <div className="banner banner--ok" role="status" data-testid="files-notice">
          <span className="break">{notice}</span>
          <button type="button" className="btn btn--small btn--ghost" onClick={() => setNotice('')} aria-label="Dismiss">
            ×
          </button>
        </div>
      ) : null}
      <ErrorLine error={list.error} onRetry={() => void list.reload()} />

      <section className="panel panel--flush" aria-label="Files" data-testid="file-browser">
        <SelectionBar
          rows={rows}
          selected={selection.items}
          base={prefix}
          onSelectAll={(on) => selection.setAll(rows, on)}
          onClear={selection.clear}
          onDelete={() => askDeleteMany()}
        />
        <FileTable
          prefix={prefix}
          files={sorted}
          folders={folders}
          sort={sort}
          onSort={(key) => setSort((s) => nextSort(s, key))}
          selection={selection}
          onDelete={askDelete}
          onDeleteFolder={askDeleteMany}
          onMove={(item, mode) => setMoving({ item, mode })}
        />
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
      {moving ? <MoveDialog request={moving} onClose={() => setMoving(undefined)} onMoved={(to, n) => moved(moving, to, n)} /> : null}
    </div>
  );
}
