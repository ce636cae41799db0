// The chunk map: one cell per chunk, proportional to its length (or equal cells), coloured by
// codec, health or dedup. Hover, tap or arrow keys select a chunk; its details show below.
import { useMemo, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { Chunk } from '../api.ts';
import { useCodecColour } from '../codec-colours.ts';
import { formatBytes, formatCount, formatRatio } from '../format.ts';

export type ColourBy = 'codec' | 'health' | 'dedup';

const HEALTH_COLOURS: Record<string, string> = { healthy: '#22c55e', degraded: '#f59e0b', lost: '#ef4444' };
const DEDUP_COLOURS = { shared: '#a855f7', unique: '#cbd5e1' };

function colour(c: Chunk, by: ColourBy, codecColour: (codec: string) => string): string {
  if (by === 'codec') return codecColour(c.codec);
  if (by === 'health') return HEALTH_COLOURS[c.health] ?? '#64748b';
  return c.refcount > 1 ? DEDUP_COLOURS.shared : DEDUP_COLOURS.unique;
}

export function ChunkMap({ chunks, size, truncated, total }: { chunks: Chunk[]; size: number; truncated: boolean; total: number }) {
  const codecColour = useCodecColour();
  const [by, setBy] = useState<ColourBy>('codec');
  const [layout, setLayout] = useState<'proportional' | 'equal'>(chunks.length > 400 ? 'equal' : 'proportional');
  const [selected, setSelected] = useState<number | undefined>(chunks.length > 0 ? 0 : undefined);
  const chunk = selected === undefined ? undefined : chunks[selected];

  const legend = useMemo(() => {
    if (by === 'codec') {
      const counts = new Map<string, number>();
      for (const c of chunks) counts.set(c.codec, (counts.get(c.codec) ?? 0) + 1);
      return [...counts].map(([k, n]) => ({ label: `${k} (${n})`, colour: codecColour(k) }));
    }
    if (by === 'health') {
      const counts = new Map<string, number>();
      for (const c of chunks) counts.set(c.health, (counts.get(c.health) ?? 0) + 1);
      return [...counts].map(([k, n]) => ({ label: `${k} (${n})`, colour: HEALTH_COLOURS[k] ?? '#64748b' }));
    }
    const shared = chunks.filter((c) => c.refcount > 1).length;
    return [
      { label: `shared, refcount > 1 (${shared})`, colour: DEDUP_COLOURS.shared },
      { label: `only here (${chunks.length - shared})`, colour: DEDUP_COLOURS.unique },
    ];
  }, [chunks, by, codecColour]);

  const pick = (e: PointerEvent<HTMLDivElement>): void => {
    const t = (e.target as HTMLElement).closest<HTMLElement>('[data-seq]');
    if (t?.dataset.index !== undefined) setSelected(Number(t.dataset.index));
  };
  const onKey = (e: KeyboardEvent<HTMLDivElement>): void => {
    if (chunks.length === 0) return;
    const cur = selected ?? 0;
    let next = cur;
    if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = Math.min(chunks.length - 1, cur + 1);
    else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = Math.max(0, cur - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = chunks.length - 1;
    else return;
    e.preventDefault();
    setSelected(next);
  };

  if (chunks.length === 0) {
    return <p className="muted">This version is empty: it has no chunks.</p>;
  }
  return (
    <div className="chunkmap-wrap">
      <div className="chunkmap__controls">
        <div className="segmented" role="group" aria-label="Colour chunks by">
          {(['codec', 'health', 'dedup'] as const).map((k) => (
            <button key={k} type="button" aria-pressed={by === k} onClick={() => setBy(k)}>
              {k}
            </button>
          ))}
        </div>
        <div className="segmented" role="group" aria-label="Chunk widths">
          <button type="button" aria-pressed={layout === 'proportional'} onClick={() => setLayout('proportional')}>
            by size
          </button>
          <button type="button" aria-pressed={layout === 'equal'} onClick={() => setLayout('equal')}>
            equal
          </button>
        </div>
      </div>
      <div
        className={`chunkmap chunkmap--${layout}`}
        data-testid="chunk-map"
        data-chunks={chunks.length}
        role="group"
        tabIndex={0}
        aria-label={`Chunk map: ${chunks.length} chunks. Use the arrow keys to step through them.`}
        onPointerMove={pick}
        onPointerDown={pick}
        onKeyDown={onKey}
      >
        {chunks.map((c, i) => (
          <div
            key={c.seq}
            data-seq={c.seq}
            data-index={i}
            data-testid="chunk"
            className={`chunkmap__cell${i === selected ? ' chunkmap__cell--selected' : ''}${c.health !== 'healthy' ? ' chunkmap__cell--bad' : ''}`}
            style={{ background: colour(c, by, codecColour), ...(layout === 'proportional' ? { flexGrow: Math.max(c.length, 1), flexBasis: 0 } : {}) }}
          />
        ))}
      </div>
      <div className="legend" aria-label="Legend">
        {legend.map((l) => (
          <span key={l.label} className="legend__item">
            <span className="swatch" style={{ background: l.colour }} aria-hidden="true" />
            {l.label}
          </span>
        ))}
        {truncated ? (
          <span className="muted">
            showing the first {formatCount(chunks.length)} of {formatCount(total)} chunks
          </span>
        ) : null}
      </div>
      {chunk ? <ChunkDetails chunk={chunk} size={size} /> : null}
    </div>
  );
}

function ChunkDetails({ chunk, size }: { chunk: Chunk; size: number }) {
  return (
    <div className="chunk-details" data-testid="chunk-details" aria-live="polite">
      <div className="chunk-details__title">
        Chunk #{chunk.seq} <code title={chunk.id}>{chunk.id.slice(0, 16)}…</code>
      </div>
      <dl className="kv">
        <div>
          <dt>offset</dt>
          <dd className="tabular">
            {formatCount(chunk.offset)} ({size > 0 ? Math.floor((chunk.offset / size) * 100) : 0}%)
          </dd>
        </div>
        <div>
          <dt>length</dt>
          <dd>{formatBytes(chunk.length)}</dd>
        </div>
        <div>
          <dt>stored</dt>
          <dd>
            {formatBytes(chunk.storedSize)} ({formatRatio(chunk.storedSize > 0 ? chunk.length / chunk.storedSize : 0)})
          </dd>
        </div>
        <div>
          <dt>codec</dt>
          <dd>{chunk.codec}</dd>
        </div>
        <div>
          <dt>refcount</dt>
          <dd>{chunk.refcount > 1 ? `${chunk.refcount} (deduplicated)` : chunk.refcount}</dd>
        </div>
        <div>
          <dt>health</dt>
          <dd>
            <span className={`badge badge--${chunk.health}`}>{chunk.health}</span>
          </dd>
        </div>
        <div className="kv__wide">
          <dt>copies</dt>
          <dd>
            {chunk.copies.length === 0
              ? 'none'
              : chunk.copies.map((c, i) => (
                  <span key={`${c.backend}:${c.shard ?? i}`} className={`copy-chip copy-chip--${c.state}${c.up ? '' : ' copy-chip--down'}`}>
                    {c.backend}
                    {c.shard !== undefined ? ` #${c.shard}` : ''} · {c.state}
                    {c.up ? '' : ' · down'}
                  </span>
                ))}
          </dd>
        </div>
      </dl>
    </div>
  );
}
