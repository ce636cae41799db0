// A version's numbers: size, stored size, ratio, chunks, deduplicated chunks, health.
import type { FileStat } from '../../api.ts';
import { formatBytes, formatCount, formatRatio } from '../../format.ts';
import { Card, HealthBadge } from '../common.tsx';

export function FileSummaryCards({ stat }: { stat: FileStat }) {
  const unique = stat.uniqueChunks;
  const copiesPerChunk = stat.chunks.length > 0 ? stat.chunks.reduce((n, c) => n + c.copies.length, 0) / stat.chunks.length : 0;
  return (
    <section className="cards" aria-label="Summary" data-testid="file-summary">
      <Card label="Size" value={formatBytes(stat.size)} sub={`${formatCount(stat.size)} bytes`} />
      <Card label="Stored" value={formatBytes(stat.storedSize)} sub="distinct chunks, one copy" />
      <Card label="Compression" value={<span data-testid="file-ratio">{formatRatio(stat.ratio)}</span>} sub="size / stored" tone={stat.ratio >= 1.5 ? 'good' : undefined} />
      <Card
        label="Chunks"
        value={formatCount(stat.chunkCount)}
        sub={`${formatCount(unique)} distinct${stat.chunkCount > unique ? ` (${formatCount(stat.chunkCount - unique)} repeats)` : ''}`}
      />
      <Card
        label="Deduplicated"
        value={<span data-testid="file-shared">{formatCount(stat.sharedChunks)}</span>}
        sub={`of ${formatCount(unique)} distinct chunks shared with other versions or files`}
        tone={stat.sharedChunks > 0 ? 'good' : undefined}
      />
      <Card label="Health" value={<HealthBadge health={stat.health} />} sub={`${copiesPerChunk ? copiesPerChunk.toFixed(copiesPerChunk % 1 ? 1 : 0) : 0} copies per chunk`} tone={stat.health === 'healthy' ? undefined : 'bad'} />
    </section>
  );
}
