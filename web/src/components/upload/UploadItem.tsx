// One upload: name, progress, status (with the resume countdown), Resume/Retry (only when trying
// again can help), Cancel or remove, the reason of a failure in full, and once stored, the result (stored size, ratio, new vs deduplicated chunks, codecs).
import { formatBytes, formatDuration, formatPercent, formatRatio, formatSpeed, parentPrefix } from '../../format.ts';
import { fileHref, filesHref, Link } from '../../router.tsx';
import { ACTIVE, cancel, dismiss, retry, type UploadRow, type UploadState } from '../../uploads.ts';
import { ErrorLine, ProgressBar, useTicker } from '../common.tsx';

const STATE_LABEL: Record<UploadState, string> = {
  queued: 'waiting',
  uploading: 'uploading',
  interrupted: 'interrupted — resuming',
  completing: 'committing',
  done: 'done',
  failed: 'failed',
  cancelled: 'cancelled',
};

export function UploadItem({ row }: { row: UploadRow }) {
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
          {row.state === 'interrupted' || (row.state === 'failed' && row.retryable !== false) ? (
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
      {row.state === 'failed' ? <ErrorLine error={new Error(row.message)} testId="upload-error" wrap /> : null}
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
          <Link to={filesHref(parentPrefix(r.name))} className="small">
            show in folder
          </Link>
        </div>
      ) : null}
    </li>
  );
}
