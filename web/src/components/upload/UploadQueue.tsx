// The uploads of this visit, newest first, with how many are running, finished and failed, and
// Clear finished.
import { ACTIVE, clearFinished, type UploadRow, type UploadState } from '../../uploads.ts';
import { UploadItem } from './UploadItem.tsx';

/** "2 in progress, 3 finished, 1 failed": every state that has rows, failures never hidden. */
function queueSummary(rows: readonly UploadRow[]): { text: string; failed: number } {
  const active = rows.filter((r) => ACTIVE.has(r.state)).length;
  const count = (state: UploadState): number => rows.filter((r) => r.state === state).length;
  const failed = count('failed');
  const parts = [
    [active, 'in progress'],
    [count('done'), 'finished'],
    [failed, 'failed'],
    [count('cancelled'), 'cancelled'],
  ] as const;
  return { text: parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`).join(', '), failed };
}

export function UploadQueue({ rows }: { rows: UploadRow[] }) {
  if (rows.length === 0) return null;
  const active = rows.filter((r) => ACTIVE.has(r.state)).length;
  const finished = rows.length - active;
  const summary = queueSummary(rows);
  return (
    <section className="panel" aria-labelledby="queue-title">
      <div className="panel__head">
        <h2 id="queue-title">
          Uploads{' '}
          <span className={`small ${summary.failed > 0 ? 'text-bad' : 'muted'}`} data-testid="upload-summary">
            {summary.text}
          </span>
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
  );
}
