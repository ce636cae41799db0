// One file (GET /api/v1/stat/{name}?version=): summary, versions (download or delete any), the
// chunk map, codec breakdown, dedup, copy locations with backend health, and access counts.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError, deleteFile, fileUrl, statFile, type FileStat } from '../api.ts';
import { useCodecColour } from '../codec-colours.ts';
import { ChunkMap } from '../components/ChunkMap.tsx';
import { CodecTable } from '../components/CodecTable.tsx';
import { Card, ConfirmDialog, ErrorLine, HealthBadge, Spinner, UpBadge, type ConfirmRequest } from '../components/common.tsx';
import { baseName, formatBytes, formatCount, formatDate, formatRatio, isoDate, parentPrefix } from '../format.ts';
import { fileHref, filesHref, Link, navigate } from '../router.tsx';

export function FilePage({ name, version }: { name: string; version?: number }) {
  const [stat, setStat] = useState<FileStat>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [confirm, setConfirm] = useState<ConfirmRequest>();

  const load = useCallback(
    async (signal?: AbortSignal): Promise<void> => {
      setLoading(true);
      setError(undefined);
      try {
        const s = await statFile(name, version, signal);
        if (!signal?.aborted) setStat(s);
      } catch (err) {
        if (!signal?.aborted) setError(err);
      } finally {
        if (!signal?.aborted) setLoading(false);
      }
    },
    [name, version],
  );

  useEffect(() => {
    const ac = new AbortController();
    void load(ac.signal);
    return () => ac.abort();
  }, [load]);

  const folder = parentPrefix(name);

  const askDelete = (v: number | undefined): void => {
    const all = v === undefined;
    const count = stat?.versions.length ?? 1;
    setConfirm({
      title: all ? `Delete ${baseName(name)}?` : `Delete version ${v}?`,
      body: all ? (
        <p>
          This removes <strong className="break">{name}</strong> with all {count} version{count === 1 ? '' : 's'}.
        </p>
      ) : (
        <p>
          This removes version {v} of <strong className="break">{name}</strong>
          {count === 1 ? ' — its only version, so the file goes away' : ''}.
        </p>
      ),
      confirmLabel: all ? 'Delete file' : `Delete version ${v}`,
      danger: true,
      action: async () => {
        await deleteFile(name, v);
        if (all || count <= 1) navigate(filesHref(folder));
        else if (version !== undefined && v === version) navigate(fileHref(name), { replace: true });
        else await load();
      },
    });
  };

  const notFound = error instanceof ApiError && error.status === 404;

  return (
    <div className="page">
      <div className="page__head">
        <nav aria-label="Breadcrumbs" className="crumbs">
          <ol>
            <li>
              <Link to={filesHref('')}>All files</Link>
            </li>
            {folder
              ? folder
                  .split('/')
                  .filter(Boolean)
                  .map((part, i, arr) => {
                    const p = `${arr.slice(0, i + 1).join('/')}/`;
                    return (
                      <li key={p}>
                        <Link to={filesHref(p)}>{part}</Link>
                      </li>
                    );
                  })
              : null}
          </ol>
        </nav>
        <div className="file-title">
          <h1 className="break" data-testid="file-name">
            {baseName(name) || name}
          </h1>
          {stat ? <HealthBadge health={stat.health} /> : null}
          {stat && stat.versions.length > 1 ? (
            <span className="muted">
              version {stat.version.version} of {stat.versions.length}
            </span>
          ) : null}
        </div>
        {stat ? (
          <div className="toolbar">
            <a className="btn btn--primary" href={fileUrl(name, { version: version })} download={baseName(name)} data-testid="file-download">
              Download{version ? ` v${version}` : ''}
            </a>
            <button type="button" className="btn btn--danger-ghost" onClick={() => askDelete(undefined)} data-testid="file-delete">
              Delete file
            </button>
          </div>
        ) : null}
      </div>

      {notFound ? (
        <section className="panel" data-testid="file-missing">
          <ErrorLine error={error} />
          <p>
            <Link to={filesHref(folder)}>Back to {folder || 'all files'}</Link>
          </p>
        </section>
      ) : (
        <ErrorLine error={error} onRetry={() => void load()} />
      )}
      {loading && !stat ? (
        <div className="center-block">
          <Spinner label="Loading file details" />
        </div>
      ) : null}
      {stat && !notFound ? <FileDetails stat={stat} selectedVersion={version} onDeleteVersion={(v) => askDelete(v)} /> : null}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(undefined)} />
    </div>
  );
}

function FileDetails({ stat, selectedVersion, onDeleteVersion }: { stat: FileStat; selectedVersion?: number; onDeleteVersion: (v: number) => void }) {
  const codecColour = useCodecColour();
  const byCodec = useMemo(() => {
    const m = new Map<string, { chunks: number; raw: number; stored: number }>();
    const seen = new Set<string>();
    for (const c of stat.chunks) {
      if (seen.has(c.id)) continue;
      seen.add(c.id);
      const e = m.get(c.codec) ?? { chunks: 0, raw: 0, stored: 0 };
      e.chunks++;
      e.raw += c.length;
      e.stored += c.storedSize;
      m.set(c.codec, e);
    }
    // Prefer the server's per-codec counts (complete even when the chunk list is truncated).
    return Object.entries(stat.codecs)
      .map(([codec, chunks]) => ({ codec, chunks, raw: m.get(codec)?.raw, stored: m.get(codec)?.stored }))
      .sort((a, b) => b.chunks - a.chunks);
  }, [stat]);

  const backends = useMemo(() => {
    const m = new Map<string, { backend: string; up: boolean; ok: number; missing: number; corrupt: number; bytes: number; shards: Set<number> }>();
    for (const c of stat.chunks) {
      for (const copy of c.copies) {
        const e = m.get(copy.backend) ?? { backend: copy.backend, up: copy.up, ok: 0, missing: 0, corrupt: 0, bytes: 0, shards: new Set<number>() };
        e.up = e.up && copy.up;
        e[copy.state]++;
        e.bytes += c.storedSize;
        if (copy.shard !== undefined) e.shards.add(copy.shard);
        m.set(copy.backend, e);
      }
    }
    return [...m.values()].sort((a, b) => a.backend.localeCompare(b.backend));
  }, [stat]);

  const uniqueTotal = stat.uniqueChunks;
  const copiesPerChunk = stat.chunks.length > 0 ? stat.chunks.reduce((n, c) => n + c.copies.length, 0) / stat.chunks.length : 0;
  const downBackends = backends.filter((b) => !b.up);
  const current = stat.version.version;

  return (
    <>
      {downBackends.length > 0 ? (
        <div className="banner banner--bad" role="alert" data-testid="file-backend-down">
          Backend{downBackends.length > 1 ? 's' : ''} {downBackends.map((b) => b.backend).join(', ')} {downBackends.length > 1 ? 'are' : 'is'} down: copies there cannot
          be read right now.
        </div>
      ) : null}
      <section className="cards" aria-label="Summary" data-testid="file-summary">
        <Card label="Size" value={formatBytes(stat.size)} sub={`${formatCount(stat.size)} bytes`} />
        <Card label="Stored" value={formatBytes(stat.storedSize)} sub="distinct chunks, one copy" />
        <Card label="Compression" value={<span data-testid="file-ratio">{formatRatio(stat.ratio)}</span>} sub="size / stored" tone={stat.ratio >= 1.5 ? 'good' : undefined} />
        <Card
          label="Chunks"
          value={formatCount(stat.chunkCount)}
          sub={`${formatCount(uniqueTotal)} distinct${stat.chunkCount > uniqueTotal ? ` (${formatCount(stat.chunkCount - uniqueTotal)} repeats)` : ''}`}
        />
        <Card
          label="Deduplicated"
          value={<span data-testid="file-shared">{formatCount(stat.sharedChunks)}</span>}
          sub={`of ${formatCount(uniqueTotal)} distinct chunks shared with other versions or files`}
          tone={stat.sharedChunks > 0 ? 'good' : undefined}
        />
        <Card label="Health" value={<HealthBadge health={stat.health} />} sub={`${copiesPerChunk ? copiesPerChunk.toFixed(copiesPerChunk % 1 ? 1 : 0) : 0} copies per chunk`} tone={stat.health === 'healthy' ? undefined : 'bad'} />
      </section>

      <section className="panel" aria-labelledby="chunks-title" data-testid="file-chunks">
        <h2 id="chunks-title">Chunk map</h2>
        <ChunkMap key={stat.version.version} chunks={stat.chunks} size={stat.size} truncated={stat.chunksTruncated} total={stat.chunkCount} />
      </section>

      <div className="grid-2">
        <section className="panel" aria-labelledby="codecs-title" data-testid="codec-breakdown">
          <h2 id="codecs-title">Codecs</h2>
          <p className="muted small">
            Asked for <strong>{stat.version.codec}</strong>; chunks a codec does not shrink are stored as <code>none</code>.
          </p>
          <div className="stackbar" aria-hidden="true">
            {byCodec.map((c) => (
              <span key={c.codec} style={{ flexGrow: c.chunks, background: codecColour(c.codec) }} title={`${c.codec}: ${c.chunks} chunks`} />
            ))}
          </div>
          <CodecTable rows={byCodec} />
        </section>

        <section className="panel" aria-labelledby="copies-title" data-testid="file-copies">
          <h2 id="copies-title">Copies</h2>
          <p className="muted small">Where the chunks of this version live, and whether each backend answers now.</p>
          <div className="table-wrap">
            <table className="table table--compact">
              <thead>
                <tr>
                  <th scope="col">Backend</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    OK
                  </th>
                  <th scope="col" className="num">
                    Missing
                  </th>
                  <th scope="col" className="num">
                    Corrupt
                  </th>
                  <th scope="col" className="num">
                    Bytes
                  </th>
                </tr>
              </thead>
              <tbody>
                {backends.map((b) => (
                  <tr key={b.backend} data-testid="copy-row" data-backend={b.backend} className={b.up ? undefined : 'row--bad'}>
                    <td>
                      {b.backend}
                      {b.shards.size > 0 ? <span className="muted small"> shards {[...b.shards].sort((x, y) => x - y).join(',')}</span> : null}
                    </td>
                    <td>
                      <UpBadge up={b.up} />
                    </td>
                    <td className="num">{formatCount(b.ok)}</td>
                    <td className={`num${b.missing ? ' text-bad' : ''}`}>{formatCount(b.missing)}</td>
                    <td className={`num${b.corrupt ? ' text-bad' : ''}`}>{formatCount(b.corrupt)}</td>
                    <td className="num">{formatBytes(b.bytes)}</td>
                  </tr>
                ))}
                {backends.length === 0 ? (
                  <tr>
                    <td colSpan={6} className="muted">
                      No copies (empty file).
                    </td>
                  </tr>
                ) : null}
              </tbody>
            </table>
          </div>
        </section>
      </div>

      <section className="panel" aria-labelledby="versions-title" data-testid="file-versions">
        <h2 id="versions-title">Versions</h2>
        <div className="table-wrap">
          <table className="table rtable">
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col" className="num">
                  Chunks
                </th>
                <th scope="col">Codec</th>
                <th scope="col">Created</th>
                <th scope="col" className="actions-col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {stat.versions
                .slice()
                .sort((a, b) => b.version - a.version)
                .map((v) => (
                  <tr key={v.version} data-testid="version-row" data-version={v.version} className={v.version === current ? 'row--current' : undefined}>
                    <td data-label="Version">
                      {v.version === current ? (
                        <strong>v{v.version} (shown)</strong>
                      ) : (
                        <Link to={fileHref(stat.name, v.version)} aria-label={`Show version ${v.version}`}>
                          v{v.version}
                        </Link>
                      )}
                      {v.version === Math.max(...stat.versions.map((x) => x.version)) ? <span className="badge badge--info">latest</span> : null}
                    </td>
                    <td className="num" data-label="Size">
                      {formatBytes(v.size)}
                    </td>
                    <td className="num" data-label="Chunks">
                      {formatCount(v.chunkCount)}
                    </td>
                    <td data-label="Codec">{v.codec}</td>
                    <td data-label="Created">
                      <time dateTime={isoDate(v.createdAt)}>{formatDate(v.createdAt)}</time>
                    </td>
                    <td className="actions-cell">
                      <a className="btn btn--small" href={fileUrl(stat.name, { version: v.version })} download={baseName(stat.name)} data-testid="version-download" aria-label={`Download version ${v.version}`}>
                        Download
                      </a>
                      <button type="button" className="btn btn--small btn--danger-ghost" onClick={() => onDeleteVersion(v.version)} data-testid="version-delete" aria-label={`Delete version ${v.version}`}>
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
        {selectedVersion !== undefined && selectedVersion !== current ? <p className="muted small">Showing version {current}.</p> : null}
      </section>

      <section className="panel" aria-labelledby="access-title" data-testid="file-access">
        <h2 id="access-title">Access</h2>
        <dl className="kv kv--row">
          <div>
            <dt>downloads</dt>
            <dd data-testid="access-downloads">{formatCount(stat.access.downloads)}</dd>
          </div>
          <div>
            <dt>bytes out</dt>
            <dd>{formatBytes(stat.access.bytesOut)}</dd>
          </div>
          <div>
            <dt>uploads</dt>
            <dd>{formatCount(stat.access.uploads)}</dd>
          </div>
          <div>
            <dt>bytes in</dt>
            <dd>{formatBytes(stat.access.bytesIn)}</dd>
          </div>
          <div>
            <dt>last access</dt>
            <dd>{formatDate(stat.access.lastAccessAt)}</dd>
          </div>
        </dl>
        <p className="muted small">Counts are for the file name, across its versions. Etag of this version: <code>{stat.version.etag}</code></p>
      </section>
    </>
  );
}
