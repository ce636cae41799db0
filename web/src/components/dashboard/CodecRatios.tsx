// The compression ratio each codec reaches over the whole repository: bars, then the table.
import type { Stats } from '../../api.ts';
import { useCodecColour } from '../../codec-colours.ts';
import { formatRatio } from '../../format.ts';
import { CategoryBars, ChartBox } from '../charts.tsx';
import { CodecTable } from '../CodecTable.tsx';
import { Panel } from '../Panel.tsx';

export function CodecRatios({ perCodec }: { perCodec: Stats['perCodec'] }) {
  const codecColour = useCodecColour();
  return (
    <Panel id="codec" title="Compression ratio per codec" testId="chart-codecs">
      {perCodec.length === 0 ? (
        <p className="muted">No chunks yet.</p>
      ) : (
        <>
          <ChartBox label={perCodec.map((c) => `${c.codec} ${formatRatio(c.ratio)}`).join(', ')}>
            <CategoryBars
              data={perCodec}
              layout="columns"
              category="codec"
              value="ratio"
              valueAxis={{ tickFormatter: (v) => `${v}×`, width: 44 }}
              tooltip={{ format: formatRatio, name: 'ratio' }}
              colour={(c) => codecColour(c.codec)}
              maxBarSize={56}
            />
          </ChartBox>
          <CodecTable rows={perCodec.map((c) => ({ codec: c.codec, chunks: c.chunks, raw: c.rawBytes, stored: c.storedBytes }))} />
        </>
      )}
    </Panel>
  );
}
