// Make a share link to a file: how long it lives, how many downloads it allows, and whether it
// serves the version shown or always the latest. The server shows a link's secret once, in its
// answer, so the dialog then shows the full URL with Copy, and says it cannot be shown again.
import { useId, useState, type FormEvent } from 'react';
import { createShare, type CreatedShare, type NewShare } from '../../api.ts';
import { ErrorLine } from '../common.tsx';
import { Modal } from '../Modal.tsx';
import { ShareCreated } from './ShareCreated.tsx';

const HOUR = 3600;
const EXPIRIES = [
  { label: '1 hour', seconds: HOUR },
  { label: '1 day', seconds: 24 * HOUR },
  { label: '7 days', seconds: 7 * 24 * HOUR },
  { label: '30 days', seconds: 30 * 24 * HOUR },
] as const;

/** '' is no limit; otherwise a whole number of at least 1, or a sentence saying what is wrong. */
function parseLimit(typed: string): { limit?: number } | { problem: string } {
  const t = typed.trim();
  if (!t) return {};
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1) return { problem: 'The download limit is a whole number of at least 1 (or empty for none).' };
  return { limit: n };
}

export function ShareDialog({ name, version, latest, onClose, onCreated }: {
  name: string;
  /** The version the page shows. */
  version: number;
  latest: number;
  onClose: () => void;
  onCreated: () => void;
}) {
  const [expiry, setExpiry] = useState<number>(7 * 24 * HOUR);
  const [limit, setLimit] = useState('');
  const [pinned, setPinned] = useState(version !== latest);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<CreatedShare>();
  const ids = { expiry: useId(), limit: useId() };
  const parsed = parseLimit(limit);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if ('problem' in parsed) return;
    setBusy(true);
    setError(undefined);
    const body: NewShare = { name, expiresInSeconds: expiry, ...(parsed.limit ? { maxDownloads: parsed.limit } : {}), ...(pinned ? { version } : {}) };
    try {
      setCreated(await createShare(body));
      onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (created) {
    return (
      <Modal key="created" title="Share link ready" onClose={onClose} testId="share-dialog" wide>
        <ShareCreated link={created} onDone={onClose} />
      </Modal>
    );
  }
  return (
    <Modal title="Share a link" busy={busy} onClose={onClose} testId="share-dialog" wide>
      <form className="modal__form" onSubmit={(e) => void submit(e)}>
        <p className="small">Anyone with the link can download this file without signing in, until it expires, is used up or is revoked.</p>
        <div className="form-row">
          <label className="field" htmlFor={ids.expiry}>
            <span>Expires after</span>
            <select id={ids.expiry} value={expiry} onChange={(e) => setExpiry(Number(e.target.value))} data-testid="share-expiry">
              {EXPIRIES.map((x) => (
                <option key={x.seconds} value={x.seconds}>
                  {x.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field" htmlFor={ids.limit}>
            <span>Download limit (optional)</span>
            <input id={ids.limit} type="text" inputMode="numeric" placeholder="no limit" value={limit} onChange={(e) => setLimit(e.target.value)} data-testid="share-limit" />
          </label>
        </div>
        <fieldset className="choice">
          <legend>Which version</legend>
          <label className="check">
            <input type="radio" name="share-version" checked={!pinned} onChange={() => setPinned(false)} data-testid="share-follow-latest" />
            <span>Always the latest (a new upload changes what the link serves)</span>
          </label>
          <label className="check">
            <input type="radio" name="share-version" checked={pinned} onChange={() => setPinned(true)} data-testid="share-pin" />
            <span>Only version {version}, the one shown here</span>
          </label>
        </fieldset>
        {'problem' in parsed ? <p className="error-text small">{parsed.problem}</p> : null}
        <ErrorLine error={error} testId="share-error" wrap />
        <div className="modal__actions">
          <button type="button" className="btn" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="btn btn--primary" disabled={busy || 'problem' in parsed} data-testid="share-create">
            {busy ? 'Creating…' : 'Create link'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
