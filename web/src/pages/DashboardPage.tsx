// The dashboard: totals and ratios (GET /api/v1/stats), size history (/stats/history), ratio per
// codec, per-backend usage and health (down backends first and loud), most-downloaded files
// (/stats/top). Refreshes every 10 seconds while open.
import { useCallback, useEffect, useState } from 'react';
import { Area, AreaChart, Bar, BarChart, CartesianGrid, Cell, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { getHistory, getStats, getTop, type FileAccess, type Stats, type StatsSample } from '../api.ts';
import { CodecTable } from '../components/CodecTable.tsx';
import { Card, ErrorLine, Spinner, UpBadge } from '../components/common.tsx';
import { useCodecColour } from '../codec-colours.ts';
import { byteTicks, formatBytes, formatBytesShort, formatCount, formatDate, formatRatio, formatTime } from '../format.ts';
import { fileHref, Link } from '../router.tsx';

const REFRESH_MS = 10_000;
const SERIES = [
  { key: 'logicalBytes', label: 'logical', colour: '#6366f1' },
  { key: 'uniqueBytes', label: 'after dedup', colour: '#0ea5e9' },
  { key: 'storedBytes', label: 'stored', colour: '#10b981' },
  { key: 'physicalBytes', label: 'physical (all copies)', colour: '#f59e0b' },
] as const;

interface Data {
  stats: Stats;
  samples: StatsSample[];
  top: FileAccess[];
  at: number;
}

const bytesTick = (v: number): string => formatBytesShort(v);
const axisStyle = { fontSize: 12, fill: 'var(--muted)' };

export default function DashboardPage() {
  const codecColour = useCodecColour();
  const [data, setData] = useState<Data>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);

  const load = useCallback(async (): Promise<void> => {
    setLoading(true);
    try {
      const [stats, history, top] = await Promise.all([getStats(), getHistory(1000), getTop(10)]);
      setData({ stats, samples: history.samples, top: top.files, at: Date.now() });
      setError(undefined);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load();
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, REFRESH_MS);
    return () => clearInterval(t);
  }, [load]);

  if (!data) {
    return (
      <div className="page">
        <div className="page__head">
          <h1>Dashboard</h1>
        </div>
        <ErrorLine error={error} onRetry={() => void load()} />
        {!error ? (
          <div className="center-block">
            <Spinner label="Loading statistics" />
          </div>
        ) : null}
      </div>
    );
  }
  const { stats, samples, top } = data;
  const down = stats.perBackend.filter((b) => !b.up);
  const damaged = stats.perBackend.filter((b) => b.missing > 0 || b.corrupt > 0);
  const maxDownloads = Math.max(1, ...top.map((f) => f.downloads));
  const historyTicks = byteTicks(Math.max(0, ...samples.map((s) => Math.max(s.logicalBytes, s.physicalBytes))));
  const backendTicks = byteTicks(Math.max(0, ...stats.perBackend.map((b) => b.bytes)), 3);

  return (
    <div className="page">
      <div className="page__head page__head--row">
        <h1>Dashboard</h1>
        <div className="toolbar">
          <span className="muted small" aria-live="polite">
            {loading ? 'refreshing…' : `updated ${formatTime(data.at)}`}
          </span>
          <button type="button" className="btn" onClick={() => void load()} disabled={loading}>
            Refresh
          </button>
        </div>
      </div>
      {error ? <ErrorLine error={error} onRetry={() => void load()} /> : null}
      {down.length > 0 ? (
        <div className="banner banner--bad" role="alert" data-testid="backends-down">
          <strong>
            {down.length} backend{down.length > 1 ? 's' : ''} down:
          </strong>{' '}
          {down.map((b) => (b.error ? `${b.backend} (${b.error})` : b.backend)).join(', ')} — chunks with copies only there cannot be read; uploads place
          copies on the backends that answer.
        </div>
      ) : null}
      {damaged.length > 0 ? (
        <div className="banner banner--warn" role="status" data-testid="backends-damaged">
          Missing or corrupt copies on {damaged.map((b) => `${b.backend} (${b.missing} missing, ${b.corrupt} corrupt)`).join(', ')} — run <code>dcs repair</code>.
        </div>
      ) : null}

      <section className="cards cards--4" aria-label="Totals" data-testid="dashboard-cards">
        <Card label="Files" value={formatCount(stats.files)} sub={`${formatCount(stats.versions)} versions · ${formatCount(stats.chunks)} chunks`} testId="card-files" />
        <Card label="Logical" value={formatBytes(stats.logicalBytes)} sub="all versions, as uploaded" testId="card-logical" />
        <Card label="Stored" value={formatBytes(stats.storedBytes)} sub={`one copy · ${formatRatio(stats.totalRatio)} overall`} testId="card-stored" />
        <Card label="Physical" value={formatBytes(stats.physicalBytes)} sub={stats.reclaimableChunks > 0 ? `all copies; ${formatBytes(stats.reclaimableBytes)} unreferenced, freed by dcs gc` : 'all copies on all backends'} testId="card-physical" />
        <Card label="Dedup ratio" value={formatRatio(stats.dedupRatio)} sub={`${formatBytes(stats.uniqueBytes)} distinct`} tone={stats.dedupRatio > 1.05 ? 'good' : undefined} testId="card-dedup" />
        <Card label="Compression ratio" value={formatRatio(stats.compressionRatio)} sub="distinct / stored" tone={stats.compressionRatio > 1.05 ? 'good' : undefined} testId="card-compression" />
        <Card label="Uploads" value={formatCount(stats.usage.uploads)} sub={`${formatBytes(stats.usage.bytesIn)} in`} testId="card-uploads" />
        <Card label="Downloads" value={formatCount(stats.usage.downloads)} sub={`${formatBytes(stats.usage.bytesOut)} out`} testId="card-downloads" />
      </section>

      <section className="panel" aria-labelledby="history-title" data-testid="chart-history">
        <h2 id="history-title">Size over time</h2>
        {samples.length === 0 ? (
          <p className="muted">No samples yet: the server records one after writes.</p>
        ) : (
          <div className="chart chart--tall" role="img" aria-label={`Logical ${formatBytes(stats.logicalBytes)} versus stored ${formatBytes(stats.storedBytes)} over time, ${samples.length} samples`}>
            <ResponsiveContainer width="100%" height="100%">
              <AreaChart data={samples} margin={{ top: 8, right: 12, left: 4, bottom: 0 }}>
                <defs>
                  {SERIES.map((s) => (
                    <linearGradient key={s.key} id={`g-${s.key}`} x1="0" y1="0" x2="0" y2="1">
                      <stop offset="0%" stopColor={s.colour} stopOpacity={0.35} />
                      <stop offset="100%" stopColor={s.colour} stopOpacity={0.02} />
                    </linearGradient>
                  ))}
                </defs>
                <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" vertical={false} />
                <XAxis dataKey="at" type="number" scale="time" domain={['dataMin', 'dataMax']} tickFormatter={(v: number) => formatTime(v)} tick={axisStyle} minTickGap={40} />
                <YAxis tickFormatter={bytesTick} tick={axisStyle} width={72} ticks={historyTicks} domain={[0, historyTicks[historyTicks.length - 1] ?? 'auto']} />
                <Tooltip
                  labelFormatter={(v) => formatDate(Number(v))}
                  formatter={(v, name) => [formatBytes(Number(v)), SERIES.find((s) => s.key === name)?.label ?? String(name)]}
                  contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 8 }}
                />
                <Legend itemSorter={null} formatter={(v: string) => SERIES.find((s) => s.key === v)?.label ?? v} />
                {SERIES.map((s) => (
                  <Area key={s.key} type="linear" dataKey={s.key} stroke={s.colour} fill={`url(#g-${s.key})`} strokeWidth={2} isAnimationActive={false} dot={samples.length < 3} />
                ))}
              </AreaChart>
            </ResponsiveContainer>
          </div>
        )}
      </section>

      <div className="grid-2">
        <section className="panel" aria-labelledby="codec-title" data-testid="chart-codecs">
          <h2 id="codec-title">Compression ratio per codec</h2>
          {stats.perCodec.length === 0 ? (
            <p className="muted">No chunks yet.</p>
          ) : (
            <>
              <div className="chart" role="img" aria-label={stats.perCodec.map((c) => `${c.codec} ${formatRatio(c.ratio)}`).join(', ')}>
                <ResponsiveContainer width="100%" height="100%">
                  <BarChart data={stats.perCodec} margin={{ top: 8, right: 12, left: 4, bottom: 0 }}>
                    <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" vertical={false} />
                    <XAxis dataKey="codec" tick={axisStyle} />
                    <YAxis tickFormatter={(v: number) => `${v}×`} tick={axisStyle} width={44} />
                    <Tooltip
                      cursor={{ fill: 'var(--hover)' }}
                      formatter={(v) => [formatRatio(Number(v)), 'ratio']}
                      contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 8 }}
                    />
                    <Bar dataKey="ratio" radius={[4, 4, 0, 0]} isAnimationActive={false} maxBarSize={56}>
                      {stats.perCodec.map((c) => (
                        <Cell key={c.codec} fill={codecColour(c.codec)} />
                      ))}
                    </Bar>
                  </BarChart>
                </ResponsiveContainer>
              </div>
              <CodecTable rows={stats.perCodec.map((c) => ({ codec: c.codec, chunks: c.chunks, raw: c.rawBytes, stored: c.storedBytes }))} />
            </>
          )}
        </section>

        <section className="panel" aria-labelledby="backend-title" data-testid="chart-backends">
          <h2 id="backend-title">Backends</h2>
          <div className="chart chart--short" role="img" aria-label={stats.perBackend.map((b) => `${b.backend} ${formatBytes(b.bytes)} ${b.up ? 'up' : 'down'}`).join(', ')}>
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={stats.perBackend} layout="vertical" margin={{ top: 4, right: 16, left: 4, bottom: 0 }}>
                <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" horizontal={false} />
                <XAxis type="number" tickFormatter={bytesTick} tick={axisStyle} ticks={backendTicks} domain={[0, backendTicks[backendTicks.length - 1] ?? 'auto']} />
                <YAxis type="category" dataKey="backend" tick={axisStyle} width={88} />
                <Tooltip
                  cursor={{ fill: 'var(--hover)' }}
                  formatter={(v) => [formatBytes(Number(v)), 'bytes']}
                  contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 8 }}
                />
                <Bar dataKey="bytes" radius={[0, 4, 4, 0]} isAnimationActive={false} maxBarSize={26}>
                  {stats.perBackend.map((b) => (
                    <Cell key={b.backend} fill={b.up ? '#6366f1' : '#ef4444'} />
                  ))}
                </Bar>
              </BarChart>
            </ResponsiveContainer>
          </div>
          <div className="table-wrap">
            <table className="table table--compact">
              <thead>
                <tr>
                  <th scope="col">Backend</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Copies
                  </th>
                  <th scope="col" className="num">
                    Bytes
                  </th>
                  <th scope="col" className="num">
                    Missing
                  </th>
                  <th scope="col" className="num">
                    Corrupt
                  </th>
                </tr>
              </thead>
              <tbody>
                {[...stats.perBackend]
                  .sort((a, b) => Number(a.up) - Number(b.up) || a.backend.localeCompare(b.backend))
                  .map((b) => (
                    <tr key={b.backend} data-testid="backend-row" data-backend={b.backend} data-up={b.up} className={b.up ? undefined : 'row--bad'}>
                      <td>{b.backend}</td>
                      <td>
                        <UpBadge up={b.up} />
                        {!b.up && b.error ? (
                          <span className="backend-error" title={b.error}>
                            {b.error}
                          </span>
                        ) : null}
                      </td>
                      <td className="num">{formatCount(b.copies)}</td>
                      <td className="num">{formatBytes(b.bytes)}</td>
                      <td className={`num${b.missing ? ' text-bad' : ''}`}>{formatCount(b.missing)}</td>
                      <td className={`num${b.corrupt ? ' text-bad' : ''}`}>{formatCount(b.corrupt)}</td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
        </section>
      </div>

      <section className="panel" aria-labelledby="top-title" data-testid="top-files">
        <h2 id="top-title">Most accessed</h2>
        <p className="muted">Most downloaded first; files not downloaded yet follow, most recently uploaded first.</p>
        {top.length === 0 ? (
          <p className="muted">No files yet.</p>
        ) : (
          <div className="table-wrap">
            <table className="table table--compact top-table">
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col" className="num">
                    Downloads
                  </th>
                  <th scope="col" className="num hide-narrow">
                    Bytes out
                  </th>
                  <th scope="col" className="hide-narrow">
                    Last access
                  </th>
                </tr>
              </thead>
              <tbody>
                {top.map((f) => (
                  <tr key={f.name} data-testid="top-row" data-name={f.name}>
                    <td className="top-name">
                      <Link to={fileHref(f.name)} className="ellipsis" title={f.name}>
                        {f.name}
                      </Link>
                      <span className="meter" aria-hidden="true">
                        <span style={{ width: `${(f.downloads / maxDownloads) * 100}%` }} />
                      </span>
                    </td>
                    <td className="num">{formatCount(f.downloads)}</td>
                    <td className="num hide-narrow">{formatBytes(f.bytesOut)}</td>
                    <td className="hide-narrow">{formatDate(f.lastAccessAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
