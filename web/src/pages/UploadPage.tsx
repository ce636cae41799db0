// Upload: drop zone + file picker, codec, folder prefix; one row per file with progress, speed,
// cancel/resume, and the result (stored size, ratio, new vs deduplicated chunks).
import { useId, useRef, useState, useSyncExternalStore, type DragEvent } from 'react';
import { ErrorLine, ProgressBar, useTicker } from '../components/common.tsx';
import { formatBytes, formatDuration, formatPercent, formatRatio, formatSpeed } from '../format.ts';
import { useInfo } from '../info.ts';
import { fileHref, filesHref, Link } from '../router.tsx';
import {
  ACTIVE,
  addUploads,
  cancel,
  clearFinished,
  discardUnfinished,
  dismiss,
  joinName,
  retry,
  subscribeUnfinished,
  subscribeUploads,
  unfinishedUploads,
  uploadsSnapshot,
  type UploadRow,
} from '../uploads.ts';

const PREFS = 'dcs.uploadPrefs';

function loadPrefs(): { codec?: string; prefix?: string } {
  try {
    return JSON.parse(localStorage.getItem(PREFS) ?? '{}') as { codec?: string; prefix?: string };
  } catch {
    return {};
  }
}

export function UploadPage() {
  const info = useInfo();
  const rows = useSyncExternalStore(subscribeUploads, uploadsSnapshot);
  const unfinished = useSyncExternalStore(subscribeUnfinished, unfinishedUploads);
  const prefs = loadPrefs();
  const [codec, setCodec] = useState(prefs.codec && info.codecs.includes(prefs.codec) ? prefs.codec : info.defaultCodec);
  const [prefix, setPrefix] = useState(prefs.prefix ?? '');
  const [dragging, setDragging] = useState(false);
  const [notice, setNotice] = useState<unknown>();
  const inputRef = useRef<HTMLInputElement>(null);
  const dragDepth = useRef(0);
  const codecId = useId();
  const prefixId = useId();

  const remember = (next: { codec?: string; prefix?: string }): void => {
    try {
      localStorage.setItem(PREFS, JSON.stringify({ codec, prefix, ...next }));
    } catch {
      // ignore
    }
  };

  const add = (list: FileList | File[] | null): void => {
    if (!list || list.length === 0) return;
    const files = [...list];
    const tooBig = files.filter((f) => f.size > info.maxUploadBytes);
    const ok = files.filter((f) => f.size <= info.maxUploadBytes);
    setNotice(tooBig.length > 0 ? new Error(`${tooBig.map((f) => f.name).join(', ')}: larger than the server's limit of ${formatBytes(info.maxUploadBytes)}`) : undefined);
    addUploads(ok, { codec, prefix, partSize: info.partSize });
  };

  const onDrop = (e: DragEvent<HTMLDivElement>): void => {
    e.preventDefault();
    dragDepth.current = 0;
    setDragging(false);
    const files = [...e.dataTransfer.files];
    // Folders show up as zero-byte entries without a type; they cannot be read as files.
    const items = e.dataTransfer.items ? [...e.dataTransfer.items] : [];
    const folders = items.filter((i) => i.kind === 'file' && i.webkitGetAsEntry?.()?.isDirectory).length;
    if (folders > 0) setNotice(new Error('Folders cannot be dropped; drop the files inside them (or pick them with the file picker).'));
    add(folders > 0 ? files.filter((_, i) => !items[i]?.webkitGetAsEntry?.()?.isDirectory) : files);
  };

  const active = rows.filter((r) => ACTIVE.has(r.state)).length;
  const finished = rows.length - active;
  const waitingToResume = unfinished.filter((u) => !rows.some((r) => r.name === u.name && r.size === u.size && ACTIVE.has(r.state)));

  return (
    <div className="page">
      <div className="page__head">
        <h1>Upload</h1>
        <p className="muted">
          Files under {formatBytes(info.partSize)} go up in one request; larger ones in {formatBytes(info.partSize)} parts that resume after a network
          error or a reload.
        </p>
      </div>

      <section className="panel upload-form" aria-label="Upload files">
        <div className="upload-options">
          <label className="field" htmlFor={codecId}>
            <span>Compression</span>
            <select
              id={codecId}
              value={codec}
              onChange={(e) => {
                setCodec(e.target.value);
                remember({ codec: e.target.value });
              }}
              data-testid="codec-select"
            >
              {info.codecs.map((c) => (
                <option key={c} value={c}>
                  {info.codecSummaries?.[c] ? `${c} — ${info.codecSummaries[c]}` : c}
                  {c === info.defaultCodec ? ' (server default)' : ''}
                </option>
              ))}
            </select>
          </label>
          <label className="field field--grow" htmlFor={prefixId}>
            <span>Folder (optional)</span>
            <input
              id={prefixId}
              type="text"
              placeholder="e.g. photos/2024/"
              value={prefix}
              spellCheck={false}
              autoCapitalize="off"
              onChange={(e) => {
                setPrefix(e.target.value);
                remember({ prefix: e.target.value });
              }}
              data-testid="prefix-input"
            />
          </label>
        </div>
        <div
          className={`dropzone${dragging ? ' dropzone--over' : ''}`}
          data-testid="dropzone"
          role="button"
          tabIndex={0}
          aria-label="Drop files here, or press Enter to choose files"
          onClick={() => inputRef.current?.click()}
          onKeyDown={(e) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              inputRef.current?.click();
            }
          }}
          onDragEnter={(e) => {
            e.preventDefault();
            dragDepth.current++;
            setDragging(true);
          }}
          onDragOver={(e) => {
            e.preventDefault();
            e.dataTransfer.dropEffect = 'copy';
          }}
          onDragLeave={() => {
            dragDepth.current = Math.max(0, dragDepth.current - 1);
            if (dragDepth.current === 0) setDragging(false);
          }}
          onDrop={onDrop}
        >
          <svg className="dropzone__icon" viewBox="0 0 24 24" width="36" height="36" aria-hidden="true">
            <path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 16v2.5A1.5 1.5 0 0 0 5.5 20h13a1.5 1.5 0 0 0 1.5-1.5V16" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          <div className="dropzone__title">Drop files here</div>
          <div className="muted">
            or <span className="linkish">choose files</span> · several at once · stored as{' '}
            <strong>{prefix.trim() ? joinName(prefix, 'NAME') : 'NAME'}</strong> with <strong>{codec}</strong>
          </div>
          <input
            ref={inputRef}
            type="file"
            multiple
            className="visually-hidden"
            tabIndex={-1}
            aria-label="Choose files to upload"
            data-testid="file-input"
            onChange={(e) => {
              add(e.target.files);
              e.target.value = '';
            }}
          />
        </div>
        <ErrorLine error={notice} testId="upload-notice" />
      </section>

      {waitingToResume.length > 0 ? (
        <section className="panel" aria-labelledby="unfinished-title" data-testid="unfinished-uploads">
          <h2 id="unfinished-title">Unfinished uploads</h2>
          <p className="muted small">Pick the same file again (same folder) to continue where it stopped; the parts already sent are not sent again.</p>
          <ul className="plain-list">
            {waitingToResume.map((u) => (
              <li key={u.storageKey} className="unfinished">
                <span className="ellipsis" title={u.name}>
                  {u.name}
                </span>
                <span className="muted small">{formatBytes(u.size)}</span>
                <button type="button" className="btn btn--small btn--ghost" onClick={() => void discardUnfinished(u)}>
                  Discard
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      {rows.length > 0 ? (
        <section className="panel" aria-labelledby="queue-title">
          <div className="panel__head">
            <h2 id="queue-title">
              Uploads <span className="muted small">{active > 0 ? `${active} in progress` : 'all finished'}</span>
            </h2>
            {finished > 0 ? (
              <button type="button" className="btn btn--small btn--ghost" onClick={clearFinished}>
                Clear finished
              </button>
            ) : null}
          </div>
          <ul className="upload-list" aria-label="Uploads" data-testid="upload-list">
            {rows.map((r) => (
              <UploadItem key={r.key} row={r} />
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}

const STATE_LABEL: Record<string, string> = {
  queued: 'waiting',
  uploading: 'uploading',
  interrupted: 'interrupted — resuming',
  completing: 'committing',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

function UploadItem({ row }: { row: UploadRow }) {
  useTicker(1000, row.state === 'interrupted');
  const uploaded = row.state === 'uploading' && row.loaded >= row.size && row.size > 0;
  const statusText =
    row.state === 'interrupted' && row.retryAt
      ? `interrupted — resuming in ${formatDuration(Math.max(0, row.retryAt - Date.now()))}`
      : uploaded
        ? 'storing (chunking, compressing)…'
        : row.state === 'interrupted' && row.mode === 'single'
          ? 'interrupted — retrying'
          : STATE_LABEL[row.state];
  const r = row.result;
  const dedup = r ? r.chunks - r.newChunks : 0;
  return (
    <li className={`upload upload--${row.state}`} data-testid="upload-row" data-name={row.name} data-state={row.state} aria-label={`Upload ${row.name}`}>
      <div className="upload__top">
        <div className="upload__name ellipsis" title={row.name}>
          {row.state === 'done' ? <Link to={fileHref(row.name)}>{row.name}</Link> : row.name}
        </div>
        <div className="upload__actions">
          {row.state === 'interrupted' || row.state === 'failed' ? (
            <button type="button" className="btn btn--small btn--primary" onClick={() => retry(row.key)} data-testid="upload-resume">
              {row.mode === 'multipart' ? 'Resume' : 'Retry'}
            </button>
          ) : null}
          {ACTIVE.has(row.state) ? (
            <button type="button" className="btn btn--small" onClick={() => cancel(row.key)} data-testid="upload-cancel" aria-label={`Cancel upload of ${row.name}`}>
              Cancel
            </button>
          ) : (
            <button type="button" className="btn btn--small btn--ghost icon-btn" onClick={() => dismiss(row.key)} aria-label={`Remove ${row.name} from the list`}>
              ×
            </button>
          )}
        </div>
      </div>
      <ProgressBar value={row.loaded} max={row.size} label={`Upload progress of ${row.name}`} state={row.state} testId="upload-progress" />
      <div className="upload__meta">
        <span className={`status status--${row.state}`} data-testid="upload-status" role="status">
          {statusText}
        </span>
        {row.state !== 'done' ? (
          <span className="tabular">
            {formatBytes(row.loaded)} / {formatBytes(row.size)} · {formatPercent(row.loaded, row.size)}
            {row.state === 'uploading' && !uploaded ? ` · ${formatSpeed(row.speed)}` : ''}
          </span>
        ) : null}
        {row.parts ? (
          <span className="muted tabular" data-testid="upload-parts" data-sent={row.parts.sent} data-resumed={row.parts.resumed}>
            parts {row.parts.done}/{row.parts.total}
          </span>
        ) : null}
        <span className="muted">{row.codec}</span>
      </div>
      {row.message && row.state !== 'failed' ? (
        <div className="upload__message muted small" data-testid="upload-message">
          {row.message}
        </div>
      ) : null}
      {row.state === 'failed' ? <ErrorLine error={new Error(row.message)} testId="upload-error" /> : null}
      {r ? (
        <div className="upload__result" data-testid="upload-result">
          <span>
            <strong>{formatBytes(r.size)}</strong> → stored <strong data-testid="upload-stored">{formatBytes(r.storedSize)}</strong>
          </span>
          <span>
            ratio <strong data-testid="upload-ratio">{formatRatio(r.ratio)}</strong>
          </span>
          <span data-testid="upload-chunks">
            {r.chunks} chunk{r.chunks === 1 ? '' : 's'}: {r.newChunks} new, {dedup} deduplicated
          </span>
          <span>
            version {r.version}
            {Object.keys(r.codecs).length > 0 ? ` · stored as ${Object.entries(r.codecs).map(([c, n]) => `${c} ×${n}`).join(', ')}` : ''}
          </span>
          {row.finishedAt ? <span className="muted">in {formatDuration(row.finishedAt - row.startedAt)}</span> : null}
          <Link to={filesHref(prefixOf(r.name))} className="small">
            show in folder
          </Link>
        </div>
      ) : null}
    </li>
  );
}

function prefixOf(name: string): string {
  const i = name.lastIndexOf('/');
  return i >= 0 ? name.slice(0, i + 1) : '';
}
