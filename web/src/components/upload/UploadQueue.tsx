// The uploads of this visit, newest first, with how many are still running and Clear finished.
import { ACTIVE, clearFinished, type UploadRow } from '../../uploads.ts';
import { UploadItem } from './UploadItem.tsx';

export function UploadQueue({ rows }: { rows: UploadRow[] }) {
  if (rows.length === 0) return null;
  const active = rows.filter((r) => ACTIVE.has(r.state)).length;
  const finished = rows.length - active;
  return (
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
  );
}
