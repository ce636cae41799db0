// /s3: the S3 API — its endpoint, the buckets (each a folder of the Files page) and the access
// keys S3 clients sign with: create (the secret is shown once, here), and revoke.
import { useCallback, useState } from 'react';
import { createS3Key, getS3, revokeS3Key, type CreatedS3Key, type S3Overview } from '../api.ts';
import { ConfirmDialog, ErrorLine, Spinner, type ConfirmRequest } from '../components/common.tsx';
import { CopyButton } from '../components/CopyButton.tsx';
import { Panel } from '../components/Panel.tsx';
import { ACTIONS_COLUMN, Table } from '../components/Table.tsx';
import { formatDate } from '../format.ts';
import { Link } from '../router.tsx';
import { useLatestLoad } from '../use-latest-load.ts';

function grantText(k: { readOnly: boolean; bucket?: string; prefix?: string }): string {
  const scope = k.bucket === undefined ? 'every bucket' : `bucket ${k.bucket}${k.prefix === undefined ? '' : `, keys ${k.prefix}…`}`;
  return `${k.readOnly ? 'read only' : 'read and write'}, ${scope}`;
}

export function S3Page() {
  const [overview, setOverview] = useState<S3Overview>();
  const [created, setCreated] = useState<CreatedS3Key>();
  const [confirm, setConfirm] = useState<ConfirmRequest>();
  const [form, setForm] = useState({ readOnly: false, bucket: '', prefix: '' });
  const [createError, setCreateError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const load = useCallback(async (signal: AbortSignal) => {
    const o = await getS3(signal);
    if (!signal.aborted) setOverview(o);
  }, []);
  const { loading, error, reload } = useLatestLoad(load);

  const create = async (): Promise<void> => {
    setBusy(true);
    setCreateError(undefined);
    try {
      const key = await createS3Key({
        ...(form.readOnly ? { readOnly: true } : {}),
        ...(form.bucket.trim() ? { bucket: form.bucket.trim() } : {}),
        ...(form.bucket.trim() && form.prefix ? { prefix: form.prefix } : {}),
      });
      setCreated(key);
      await reload();
    } catch (err) {
      setCreateError(err);
    } finally {
      setBusy(false);
    }
  };

  const active = overview?.keys.filter((k) => k.revokedAt === undefined) ?? [];
  const revoked = overview?.keys.filter((k) => k.revokedAt !== undefined) ?? [];
  return (
    <div className="page" data-testid="s3-page">
      <h1>S3 API</h1>
      {error !== undefined ? <ErrorLine error={error} onRetry={() => void reload()} /> : null}
      {loading && !overview ? <Spinner label="Loading the S3 API" /> : null}
      {overview ? (
        <>
          <Panel id="s3-endpoint" title="Endpoint" testId="s3-endpoint">
            {overview.endpoint ? (
              <p>
                S3 clients reach dcs at <code data-testid="s3-endpoint-url">{overview.endpoint}</code>, region <code>{overview.region}</code>, path-style addressing. See docs/s3.md for rclone, restic and the AWS CLI.
              </p>
            ) : (
              <p className="muted">This server does not serve the S3 API (start it with <code>dcs start</code>, or <code>dcs serve --s3-listen HOST:PORT</code>). Keys made here work on any orchestrator of this repository that does.</p>
            )}
          </Panel>
          <Panel id="s3-buckets" title={`Buckets (${overview.buckets.length})`} testId="s3-buckets">
            {overview.buckets.length === 0 ? (
              <p className="muted">No buckets yet: S3 clients create them (<code>rclone mkdir dcs:photos</code>, <code>s3cmd mb s3://photos</code>).</p>
            ) : (
              <Table className="table" label="Buckets" columns={[{ label: 'Bucket' }, { label: 'Created', className: 'hide-narrow' }, { label: 'Versioning' }]}>
                {overview.buckets.map((b) => (
                  <tr key={b.name} data-testid="s3-bucket-row">
                    <td>
                      <Link to={`/files?prefix=${encodeURIComponent(`${b.name}/`)}`}>{b.name}/</Link>
                    </td>
                    <td className="hide-narrow">{formatDate(b.createdAt)}</td>
                    <td>{b.versioning === 'Unversioned' ? 'off' : b.versioning.toLowerCase()}</td>
                  </tr>
                ))}
              </Table>
            )}
          </Panel>
          <Panel id="s3-keys" title={`Access keys (${active.length})`} testId="s3-keys">
            {created ? (
              <div className="notice" role="status" data-testid="s3-new-key">
                <p>
                  New key <code data-testid="s3-new-key-id">{created.id}</code> ({grantText(created)}). Its secret is shown only now:
                </p>
                <p>
                  <code data-testid="s3-new-key-secret">{created.secret}</code> <CopyButton text={created.secret} caption="Copy secret" title="Copy the secret access key" />
                </p>
                <button type="button" className="btn btn--small btn--ghost" onClick={() => setCreated(undefined)}>
                  Done
                </button>
              </div>
            ) : null}
            {active.length === 0 ? <p className="muted">No active keys.</p> : null}
            {active.length > 0 ? (
              <Table className="table" label="Access keys" columns={[{ label: 'Key id' }, { label: 'Grant' }, { label: 'Created', className: 'hide-narrow' }, ACTIONS_COLUMN]}>
                {active.map((k) => (
                  <tr key={k.id} data-testid="s3-key-row">
                    <td>
                      <code>{k.id}</code>
                    </td>
                    <td>{grantText(k)}</td>
                    <td className="hide-narrow">{formatDate(k.createdAt)}</td>
                    <td className="actions-col">
                      <button
                        type="button"
                        className="btn btn--small btn--danger"
                        onClick={() =>
                          setConfirm({
                            title: `Revoke ${k.id}?`,
                            body: <p>S3 clients signing with this key are refused from the next request on, on every orchestrator. This cannot be undone.</p>,
                            confirmLabel: 'Revoke',
                            danger: true,
                            action: async () => {
                              await revokeS3Key(k.id);
                              await reload();
                            },
                          })
                        }
                      >
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))}
              </Table>
            ) : null}
            <h3 className="s3-create__title">New access key</h3>
            <form
              className="form-row s3-create"
              onSubmit={(e) => {
                e.preventDefault();
                void create();
              }}
            >
              <label>
                <input type="checkbox" checked={form.readOnly} onChange={(e) => setForm({ ...form, readOnly: e.target.checked })} /> read only
              </label>
              <label>
                bucket <input type="text" value={form.bucket} placeholder="every bucket" onChange={(e) => setForm({ ...form, bucket: e.target.value })} aria-label="Only this bucket" />
              </label>
              <label>
                prefix <input type="text" value={form.prefix} placeholder="every key" disabled={!form.bucket.trim()} onChange={(e) => setForm({ ...form, prefix: e.target.value })} aria-label="Only keys starting with" />
              </label>
              <button type="submit" className="btn btn--primary" disabled={busy} data-testid="s3-create-key">
                Create access key
              </button>
            </form>
            {createError !== undefined ? <ErrorLine error={createError} testId="s3-create-error" /> : null}
            {revoked.length > 0 ? <p className="muted small">{revoked.length} revoked key{revoked.length === 1 ? '' : 's'} kept for the record (dcs keys list shows them).</p> : null}
          </Panel>
        </>
      ) : null}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(undefined)} />
    </div>
  );
}
