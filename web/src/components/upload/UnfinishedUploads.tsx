// Multipart uploads begun in this browser and not finished: picking the same file again resumes
// one; Discard aborts it on the server.
import { formatBytes } from '../../format.ts';
import { discardUnfinished, type Unfinished } from '../../uploads.ts';

export function UnfinishedUploads({ uploads }: { uploads: Unfinished[] }) {
  if (uploads.length === 0) return null;
  return (
    <section className="panel" aria-labelledby="unfinished-title" data-testid="unfinished-uploads">
      <h2 id="unfinished-title">Unfinished uploads</h2>
      <p className="muted small">Pick the same file again (same folder) to continue where it stopped; the parts already sent are not sent again.</p>
      <ul className="plain-list">
        {uploads.map((u) => (
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
  );
}
