// One file (GET /api/v1/stat/{name}?version=): summary, versions (download or delete any), the
// chunk map, codec breakdown, dedup, copy locations with backend health, and access counts.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError, deleteFile, statFile, type FileStat } from '../api.ts';
import { ChunkMap } from '../components/ChunkMap.tsx';
import { ConfirmDialog, ErrorLine, Spinner, type ConfirmRequest } from '../components/common.tsx';
import { FileAccessPanel } from '../components/file/FileAccessPanel.tsx';
import { FileCodecs } from '../components/file/FileCodecs.tsx';
import { copiesByBackend, DownBackendsBanner, FileCopies } from '../components/file/FileCopies.tsx';
import { FileHeader } from '../components/file/FileHeader.tsx';
import { FileSummaryCards } from '../components/file/FileSummaryCards.tsx';
import { FileVersions } from '../components/file/FileVersions.tsx';
import { Panel } from '../components/Panel.tsx';
import { baseName, parentPrefix } from '../format.ts';
import { fileHref, filesHref, Link, navigate } from '../router.tsx';

export function FilePage({ name, version }: { name: string; version?: number }) {
  const [stat, setStat] = useState<FileStat>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [confirm, setConfirm] = useState<ConfirmRequest>();

  const load = useCallback(
    async (signal?: AbortSignal): Promise<void> => {
      setLoading(true);
      setError(undefined);
      try {
        const s = await statFile(name, version, signal);
        if (!signal?.aborted) setStat(s);
      } catch (err) {
        if (!signal?.aborted) setError(err);
      } finally {
        if (!signal?.aborted) setLoading(false);
      }
    },
    [name, version],
  );

  useEffect(() => {
    const ac = new AbortController();
    void load(ac.signal);
    return () => ac.abort();
  }, [load]);

  const folder = parentPrefix(name);

  /** Asks before deleting version `v`, or the whole file when `v` is undefined. */
  const askDelete = (v: number | undefined): void => {
    const all = v === undefined;
    const count = stat?.versions.length ?? 1;
    setConfirm({
      title: all ? `Delete ${baseName(name)}?` : `Delete version ${v}?`,
      body: all ? (
        <p>
          This removes <strong className="break">{name}</strong> with all {count} version{count === 1 ? '' : 's'}.
        </p>
      ) : (
        <p>
          This removes version {v} of <strong className="break">{name}</strong>
          {count === 1 ? ' — its only version, so the file goes away' : ''}.
        </p>
      ),
      confirmLabel: all ? 'Delete file' : `Delete version ${v}`,
      danger: true,
      action: async () => {
        await deleteFile(name, v);
        if (all || count <= 1) navigate(filesHref(folder));
        else if (version !== undefined && v === version) navigate(fileHref(name), { replace: true });
        else await load();
      },
    });
  };

  const notFound = error instanceof ApiError && error.status === 404;

  return (
    <div className="page">
      <FileHeader name={name} version={version} stat={stat} onDelete={() => askDelete(undefined)} />
      {notFound ? (
        <section className="panel" data-testid="file-missing">
          <ErrorLine error={error} />
          <p>
            <Link to={filesHref(folder)}>Back to {folder || 'all files'}</Link>
          </p>
        </section>
      ) : (
        <ErrorLine error={error} onRetry={() => void load()} />
      )}
      {loading && !stat ? (
        <div className="center-block">
          <Spinner label="Loading file details" />
        </div>
      ) : null}
      {stat && !notFound ? <FileDetails stat={stat} selectedVersion={version} onDeleteVersion={(v) => askDelete(v)} /> : null}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(undefined)} />
    </div>
  );
}

function FileDetails({ stat, selectedVersion, onDeleteVersion }: { stat: FileStat; selectedVersion: number | undefined; onDeleteVersion: (v: number) => void }) {
  const backends = useMemo(() => copiesByBackend(stat.chunks), [stat]);
  return (
    <>
      <DownBackendsBanner backends={backends} />
      <FileSummaryCards stat={stat} />
      <Panel id="chunks" title="Chunk map" testId="file-chunks">
        <ChunkMap key={stat.version.version} chunks={stat.chunks} size={stat.size} truncated={stat.chunksTruncated} total={stat.chunkCount} />
      </Panel>
      <div className="grid-2">
        <FileCodecs stat={stat} />
        <FileCopies backends={backends} />
      </div>
      <FileVersions stat={stat} selectedVersion={selectedVersion} onDeleteVersion={onDeleteVersion} />
      <FileAccessPanel stat={stat} />
    </>
  );
}
