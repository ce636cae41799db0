// One folder or search of the file browser: the first page (again whenever the folder or the
// search changes, cancelling the previous request), further pages by the `next` cursor, and
// rows removed after a delete.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { listFiles, type FileSummary } from '../../api.ts';

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
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<unknown>();
  const abortRef = useRef<AbortController | undefined>(undefined);

  // A search lists matching names flat; a folder groups deeper names into subfolders.
  const query = useMemo(() => (q ? { prefix, q, limit: PAGE } : { prefix, delimiter: '/' as const, limit: PAGE }), [prefix, q]);

  const reload = useCallback(async (): Promise<void> => {
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
    void reload();
    return () => abortRef.current?.abort();
  }, [reload]);

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
