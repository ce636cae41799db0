// The codecs a version's chunks are stored with: a proportional bar and the per-codec table.
import { useMemo } from 'react';
import type { FileStat } from '../../api.ts';
import { useCodecColour } from '../../codec-colours.ts';
import { CodecTable, type CodecRow } from '../CodecTable.tsx';
import { Panel } from '../Panel.tsx';

/** Chunks per codec from the server (complete), bytes from the listed chunks, each counted once. */
function codecRows(stat: FileStat): CodecRow[] {
  const bytes = new Map<string, { raw: number; stored: number }>();
  const seen = new Set<string>();
  for (const c of stat.chunks) {
    if (seen.has(c.id)) continue;
    seen.add(c.id);
    const e = bytes.get(c.codec) ?? { raw: 0, stored: 0 };
    e.raw += c.length;
    e.stored += c.storedSize;
    bytes.set(c.codec, e);
  }
  return Object.entries(stat.codecs)
    .map(([codec, chunks]) => ({ codec, chunks, raw: bytes.get(codec)?.raw, stored: bytes.get(codec)?.stored }))
    .sort((a, b) => b.chunks - a.chunks);
}

export function FileCodecs({ stat }: { stat: FileStat }) {
  const codecColour = useCodecColour();
  const rows = useMemo(() => codecRows(stat), [stat]);
  return (
    <Panel id="codecs" title="Codecs" testId="codec-breakdown">
      <p className="muted small">
        Asked for <strong>{stat.version.codec}</strong>; chunks a codec does not shrink are stored as <code>none</code>.
      </p>
      <div className="stackbar" aria-hidden="true">
        {rows.map((c) => (
          <span key={c.codec} style={{ flexGrow: c.chunks, background: codecColour(c.codec) }} title={`${c.codec}: ${c.chunks} chunks`} />
        ))}
      </div>
      <CodecTable rows={rows} />
    </Panel>
  );
}
