// The live share links of a file: which version each serves, when it expires, downloads so far
// (of the limit), and Revoke. Their secrets are never shown again (the server has only hashes).
import { useState } from 'react';
import type { ShareLink } from '../../api.ts';
import { formatDate, formatFromNow, isoDate } from '../../format.ts';
import { ErrorLine, Spinner } from '../common.tsx';
import { Panel } from '../Panel.tsx';
import { ACTIONS_COLUMN, Table, type Column } from '../Table.tsx';
import type { ShareLinks } from './useShareLinks.ts';

const COLUMNS: Column[] = [{ label: 'Serves' }, { label: 'Created' }, { label: 'Expires' }, { label: 'Downloads', className: 'num' }, ACTIONS_COLUMN];

export function ShareLinksPanel({ shares, onShare }: { shares: ShareLinks; onShare: () => void }) {
  const [revoking, setRevoking] = useState<string>();
  const [error, setError] = useState<unknown>();
  const revoke = async (l: ShareLink): Promise<void> => {
    setRevoking(l.ref);
    setError(undefined);
    try {
      await shares.revoke(l.ref);
    } catch (err) {
      setError(err);
    } finally {
      setRevoking(undefined);
    }
  };
  return (
    <Panel id="shares" title="Share links" testId="share-links">
      <ErrorLine error={shares.error} onRetry={() => void shares.reload()} />
      <ErrorLine error={error} testId="share-revoke-error" wrap />
      {shares.links.length > 0 ? (
        <Table className="table rtable table--compact" label="Share links" columns={COLUMNS}>
          {shares.links.map((l) => (
            <tr key={l.ref} data-testid="share-row" data-ref={l.ref}>
              <td data-label="Serves">{l.version !== undefined ? `version ${l.version}` : 'the latest version'}</td>
              <td data-label="Created">
                <time dateTime={isoDate(l.createdAt)}>{formatDate(l.createdAt)}</time>
              </td>
              <td data-label="Expires">
                <time dateTime={isoDate(l.expiresAt)} title={formatDate(l.expiresAt)}>
                  {formatFromNow(l.expiresAt)}
                </time>
              </td>
              <td className="num" data-label="Downloads" data-testid="share-downloads">
                {l.downloads}
                {l.maxDownloads !== undefined ? ` / ${l.maxDownloads}` : ''}
                {l.maxDownloads !== undefined && l.downloads >= l.maxDownloads ? <span className="badge badge--degraded">used up</span> : null}
              </td>
              <td className="actions-cell">
                <button type="button" className="btn btn--small btn--danger-ghost" onClick={() => void revoke(l)} disabled={revoking !== undefined} data-testid="share-revoke">
                  {revoking === l.ref ? 'Revoking…' : 'Revoke'}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      ) : shares.loading ? (
        <Spinner label="Loading share links" />
      ) : (
        <p className="muted small" data-testid="share-none">
          No live links.{' '}
          <button type="button" className="btn btn--small" onClick={onShare}>
            Share…
          </button>{' '}
          makes one that downloads this file without a token.
        </p>
      )}
    </Panel>
  );
}
