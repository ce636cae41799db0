// How often a file name was uploaded and downloaded, and the version's ETag.
import type { FileStat } from '../../api.ts';
import { formatBytes, formatCount, formatDate } from '../../format.ts';
import { Panel } from '../Panel.tsx';

export function FileAccessPanel({ stat }: { stat: FileStat }) {
  const { access } = stat;
  return (
    <Panel id="access" title="Access" testId="file-access">
      <dl className="kv kv--row">
        <div>
          <dt>downloads</dt>
          <dd data-testid="access-downloads">{formatCount(access.downloads)}</dd>
        </div>
        <div>
          <dt>bytes out</dt>
          <dd>{formatBytes(access.bytesOut)}</dd>
        </div>
        <div>
          <dt>uploads</dt>
          <dd>{formatCount(access.uploads)}</dd>
        </div>
        <div>
          <dt>bytes in</dt>
          <dd>{formatBytes(access.bytesIn)}</dd>
        </div>
        <div>
          <dt>last access</dt>
          <dd>{formatDate(access.lastAccessAt)}</dd>
        </div>
      </dl>
      <p className="muted small">Counts are for the file name, across its versions. Etag of this version: <code>{stat.version.etag}</code></p>
    </Panel>
  );
}
