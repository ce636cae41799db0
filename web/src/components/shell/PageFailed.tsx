// What a page that failed shows in its place (PageBoundary.tsx): why, in words, and Retry — or,
// when the server now serves a newer build, Reload first (the old chunks may be gone for good).
import { errorMessage } from '../../api.ts';
import { isChunkLoadError } from '../../lazy-page.tsx';
import { useNewerBuild } from '../../newer-build.ts';

export function PageFailed({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const newer = useNewerBuild();
  const chunk = isChunkLoadError(error);
  return (
    <section className="panel page-failed" role="alert" aria-labelledby="page-failed-title" data-testid="page-failed">
      <h1 id="page-failed-title">{chunk ? 'This page could not be loaded' : 'This page stopped working'}</h1>
      {chunk ? (
        <p>
          {newer
            ? 'dcs was updated on the server since this tab was opened, and this page’s code is no longer there. Reload to use the new version.'
            : 'Its code did not arrive from the server: the server may be restarting, or the connection dropped. Try again in a moment.'}
        </p>
      ) : (
        <p>
          Something went wrong while showing it: <span className="break">{errorMessage(error)}</span>
        </p>
      )}
      <p className="muted small">The other pages, and uploads that are running, are not affected.</p>
      <div className="toolbar">
        {newer ? (
          <button type="button" className="btn btn--primary" onClick={() => window.location.reload()} data-testid="page-reload">
            Reload
          </button>
        ) : null}
        <button type="button" className={`btn${newer ? '' : ' btn--primary'}`} onClick={onRetry} data-testid="page-retry">
          Retry
        </button>
      </div>
    </section>
  );
}
