// One file (GET /api/v1/stat/{name}?version=): summary, a preview, versions (download, delete or
// restore any), the chunk map, codec breakdown, dedup, copy locations with backend health, share
// links and access counts; rename, move and share the file.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError, deleteFile, restoreVersion, statFile, type FileStat } from '../api.ts';
import { ChunkMap } from '../components/ChunkMap.tsx';
import { ConfirmDialog, ErrorLine, Spinner, type ConfirmRequest } from '../components/common.tsx';
import { FileAccessPanel } from '../components/file/FileAccessPanel.tsx';
import { FileCodecs } from '../components/file/FileCodecs.tsx';
import { copiesByBackend, DownBackendsBanner, FileCopies } from '../components/file/FileCopies.tsx';
import { FileHeader } from '../components/file/FileHeader.tsx';
import { FileSummaryCards } from '../components/file/FileSummaryCards.tsx';
import { FileVersions } from '../components/file/FileVersions.tsx';
import { MoveDialog } from '../components/move/MoveDialog.tsx';
import { Panel } from '../components/Panel.tsx';
import { FilePreview } from '../components/preview/FilePreview.tsx';
import { ShareDialog } from '../components/share/ShareDialog.tsx';
import { ShareLinksPanel } from '../components/share/ShareLinksPanel.tsx';
import { useShareLinks, type ShareLinks } from '../components/share/useShareLinks.ts';
import { flashFor, setFlash } from '../flash.ts';
import { baseName, parentPrefix } from '../format.ts';
import type { MoveMode } from '../move-names.ts';
import { fileHref, filesHref, Link, navigate } from '../router.tsx';

export function FilePage({ name, version }: { name: string; version?: number }) {
  const [stat, setStat] = useState<FileStat>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [confirm, setConfirm] = useState<ConfirmRequest>();
  const [moving, setMoving] = useState<MoveMode>();
  const [sharing, setSharing] = useState(false);
  const [restoring, setRestoring] = useState<number>();
  const [notice, setNotice] = useState(() => flashFor(name));
  const [actionError, setActionError] = useState<unknown>();
  const shares = useShareLinks(name);

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

  /** Makes version `v` the latest again; the page then shows the new latest. */
  const restore = async (v: number): Promise<void> => {
    setRestoring(v);
    setNotice(undefined);
    setActionError(undefined);
    try {
      const r = await restoreVersion(name, v);
      setNotice(`Version ${v} restored: it is now version ${r.version}, the latest.`);
      if (version !== undefined) navigate(fileHref(name), { replace: true });
      else await load();
    } catch (err) {
      setActionError(err);
    } finally {
      setRestoring(undefined);
    }
  };

  const moved = (to: string): void => {
    setMoving(undefined);
    setFlash(to, `${moving === 'move' ? 'Moved' : 'Renamed'} from ${name}.`);
    navigate(fileHref(to), { replace: true });
  };

  const notFound = error instanceof ApiError && error.status === 404;

  return (
    <div className="page">
      <FileHeader name={name} version={version} stat={stat} onDelete={() => askDelete(undefined)} onShare={() => setSharing(true)} onMove={setMoving} />
      {notice ? (
        <div className="banner banner--ok" role="status" data-testid="file-notice">
          <span className="break">{notice}</span>
          <button type="button" className="btn btn--small btn--ghost" onClick={() => setNotice(undefined)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ) : null}
      <ErrorLine error={actionError} testId="file-action-error" wrap />
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
      {stat && !notFound ? (
        <FileDetails
          stat={stat}
          selectedVersion={version}
          onDeleteVersion={(v) => askDelete(v)}
          onRestore={(v) => void restore(v)}
          restoring={restoring}
          shares={shares}
          onShare={() => setSharing(true)}
        />
      ) : null}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(undefined)} />
      {moving ? <MoveDialog request={{ item: { kind: 'file', name }, mode: moving }} onClose={() => setMoving(undefined)} onMoved={moved} /> : null}
      {sharing && stat ? (
        <ShareDialog
          name={name}
          version={stat.version.version}
          latest={Math.max(...stat.versions.map((v) => v.version))}
          onClose={() => setSharing(false)}
          onCreated={() => void shares.reload()}
        />
      ) : null}
    </div>
  );
}

function FileDetails({ stat, selectedVersion, onDeleteVersion, onRestore, restoring, shares, onShare }: {
  stat: FileStat;
  selectedVersion: number | undefined;
  onDeleteVersion: (v: number) => void;
  onRestore: (v: number) => void;
  restoring: number | undefined;
  shares: ShareLinks;
  onShare: () => void;
}) {
  const backends = useMemo(() => copiesByBackend(stat.chunks), [stat]);
  return (
    <>
      <DownBackendsBanner backends={backends} />
      <FileSummaryCards stat={stat} />
      <FilePreview stat={stat} />
      <Panel id="chunks" title="Chunk map" testId="file-chunks">
        <ChunkMap key={stat.version.version} chunks={stat.chunks} size={stat.size} truncated={stat.chunksTruncated} total={stat.chunkCount} />
      </Panel>
      <div className="grid-2">
        <FileCodecs stat={stat} />
        <FileCopies backends={backends} />
      </div>
      <FileVersions stat={stat} selectedVersion={selectedVersion} onDeleteVersion={onDeleteVersion} onRestore={onRestore} restoring={restoring} />
      <ShareLinksPanel shares={shares} onShare={onShare} />
      <FileAccessPanel stat={stat} />
    </>
  );
}
