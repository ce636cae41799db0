// The top of a file's page: the folders above it, its name and health, Download and Delete file.
import { fileUrl, type FileStat } from '../../api.ts';
import { baseName, parentPrefix } from '../../format.ts';
import { Breadcrumbs } from '../Breadcrumbs.tsx';
import { HealthBadge } from '../common.tsx';

export function FileHeader({ name, version, stat, onDelete }: { name: string; version: number | undefined; stat: FileStat | undefined; onDelete: () => void }) {
  return (
    <div className="page__head">
      <Breadcrumbs prefix={parentPrefix(name)} />
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
          <button type="button" className="btn btn--danger-ghost" onClick={onDelete} data-testid="file-delete">
            Delete file
          </button>
        </div>
      ) : null}
    </div>
  );
}
