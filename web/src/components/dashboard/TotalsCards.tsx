// The dashboard's eight numbers: files, logical, stored and physical size, the two ratios, and
// upload and download counts.
import type { Stats } from '../../api.ts';
import { formatBytes, formatCount, formatRatio } from '../../format.ts';
import { Card } from '../common.tsx';

export function TotalsCards({ stats }: { stats: Stats }) {
  return (
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
  );
}
