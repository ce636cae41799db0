// The dashboard: totals and ratios (GET /api/v1/stats), size history (/stats/history), ratio per
// codec, per-backend usage and health (down backends first and loud), most-downloaded files
// (/stats/top). Refreshes every 10 seconds while open.
import { useCallback, useEffect, useState } from 'react';
import { getHistory, getStats, getTop, type FileAccess, type Stats, type StatsSample } from '../api.ts';
import { ErrorLine, Spinner } from '../components/common.tsx';
import { BackendAlerts } from '../components/dashboard/BackendAlerts.tsx';
import { BackendsPanel } from '../components/dashboard/BackendsPanel.tsx';
import { CodecRatios } from '../components/dashboard/CodecRatios.tsx';
import { SizeHistoryChart } from '../components/dashboard/SizeHistoryChart.tsx';
import { TopFiles } from '../components/dashboard/TopFiles.tsx';
import { TotalsCards } from '../components/dashboard/TotalsCards.tsx';
import { formatTime } from '../format.ts';

const REFRESH_MS = 10_000;

interface Data {
  stats: Stats;
  samples: StatsSample[];
  top: FileAccess[];
  at: number;
}

export default function DashboardPage() {
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
  const { stats } = data;
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
      <BackendAlerts backends={stats.perBackend} />
      <TotalsCards stats={stats} />
      <SizeHistoryChart samples={data.samples} logicalBytes={stats.logicalBytes} storedBytes={stats.storedBytes} />
      <div className="grid-2">
        <CodecRatios perCodec={stats.perCodec} />
        <BackendsPanel backends={stats.perBackend} />
      </div>
      <TopFiles files={data.top} />
    </div>
  );
}
