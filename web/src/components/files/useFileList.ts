// One folder or search of the file browser: the first page (again whenever the folder or the
// search changes, cancelling the previous request), further pages by the `next` cursor, and
// rows removed after a delete.
import { useCallback, useMemo, useState } from 'react';
import { listFiles, type FileSummary } from '../../api.ts';
import { useLatestLoad } from '../../use-latest-load.ts';

const PAGE = 100;

export interface FileList {
  files: FileSummary[];
  folders: string[];
  /** Cursor of the next page; undefined when everything is loaded. */
  next: string | undefined;
  loading: boolean;
  loadingMore: boolean;
  error: unknown;
  reload(): Promise<void>;
  loadMore(): Promise<void>;
  /** Drops a deleted file from the rows. */
  forget(name: string): void;
}

export function useFileList(prefix: string, q: string): FileList {
  const [files, setFiles] = useState<FileSummary[]>([]);
  const [folders, setFolders] = useState<string[]>([]);
  const [next, setNext] = useState<string>();
  const [loadingMore, setLoadingMore] = useState(false);

  // A search lists matching names flat; a folder groups deeper names into subfolders.
  const query = useMemo(() => (q ? { prefix, q, limit: PAGE } : { prefix, delimiter: '/' as const, limit: PAGE }), [prefix, q]);

  const load = useCallback(
    async (signal: AbortSignal): Promise<void> => {
      const page = await listFiles(query, signal);
      if (signal.aborted) return;
      setFiles(page.files);
      setFolders(page.folders ?? []);
      setNext(page.next);
    },
    [query],
  );
  const { loading, error, setError, reload } = useLatestLoad(load);

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

  const forget = (name: string): void => setFiles((list) => list.filter((x) => x.name !== name));

  return { files, folders, next, loading, loadingMore, error, reload, loadMore, forget };
}
