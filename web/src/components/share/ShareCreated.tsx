// A share link just made: its full URL (this origin + /s/{id}) to copy, what it allows, and that
// it is shown only now (the server keeps only a hash of its secret).
import type { CreatedShare } from '../../api.ts';
import { formatDate } from '../../format.ts';
import { CopyButton } from '../CopyButton.tsx';

export function ShareCreated({ link, onDone }: { link: CreatedShare; onDone: () => void }) {
  const url = window.location.origin + link.path;
  return (
    <div className="modal__form">
      <label className="field">
        <span>Link</span>
        <textarea className="share-url" readOnly rows={2} value={url} data-autofocus onFocus={(e) => e.target.select()} data-testid="share-url" />
      </label>
      <div className="toolbar">
        <CopyButton text={url} caption="Copy link" title="Copy the link to the clipboard" testId="share-copy" variant="primary" />
      </div>
      <p className="banner banner--warn small" data-testid="share-once">
        Copy it now: the link is shown only this once. Revoke it under Share links if it gets out.
      </p>
      <p className="muted small">
        {link.version !== undefined ? `Version ${link.version}` : 'The latest version'}, until {formatDate(link.expiresAt)}
        {link.maxDownloads !== undefined ? `, for ${link.maxDownloads} download${link.maxDownloads === 1 ? '' : 's'}` : ''}.
      </p>
      <div className="modal__actions">
        <button type="button" className="btn" onClick={onDone} data-testid="share-done">
          Done
        </button>
      </div>
    </div>
  );
}
