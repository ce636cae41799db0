// The top of a file's page: the folders above it, its name and health, Download, Share…, Rename,
// Move to… and Delete file.
// A name can be 4,096 bytes long: the title shows at most three lines (the full name is in its
// tooltip and the Copy name button), so the buttons stay on the first screen.
import { fileUrl, type FileStat } from '../../api.ts';
import { baseName, parentPrefix } from '../../format.ts';
import type { MoveMode } from '../../move-names.ts';
import { Breadcrumbs } from '../Breadcrumbs.tsx';
import { HealthBadge } from '../common.tsx';
import { CopyButton } from '../CopyButton.tsx';

export function FileHeader({ name, version, stat, onDelete, onShare, onMove }: {
  name: string;
  version: number | undefined;
  stat: FileStat | undefined;
  onDelete: () => void;
  onShare: () => void;
  onMove: (mode: MoveMode) => void;
}) {
  const shown = baseName(name) || name;
  return (
    <div className="page__head">
      <Breadcrumbs prefix={parentPrefix(name)} />
      <div className="file-title">
        <h1 className="clamp-3" title={shown} data-testid="file-name">
          {shown}
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
          <button type="button" className="btn" onClick={onShare} data-testid="file-share">
            Share…
          </button>
          <button type="button" className="btn" onClick={() => onMove('rename')} data-testid="file-rename">
            Rename
          </button>
          <button type="button" className="btn" onClick={() => onMove('move')} data-testid="file-move">
            Move to…
          </button>
          <button type="button" className="btn btn--danger-ghost" onClick={onDelete} data-testid="file-delete">
            Delete file
          </button>
          <CopyButton text={name} caption="Copy name" title="Copy the full name, with its folders" testId="copy-name" />
        </div>
      ) : null}
    </div>
  );
}
