// What the confirmation of deleting ticked rows says: how many files (with how many versions) and
// which folders go, everything under a folder included, naming the first few.
import type { FileSummary } from '../../api.ts';
import type { Movable } from '../../move-names.ts';
import type { ConfirmRequest } from '../common.tsx';

const SHOWN = 5;

function NameList({ names, testId }: { names: string[]; testId: string }) {
  return (
    <ul className="name-list" data-testid={testId}>
      {names.slice(0, SHOWN).map((n) => (
        <li key={n} className="ellipsis" title={n}>
          {n}
        </li>
      ))}
      {names.length > SHOWN ? <li className="muted">and {names.length - SHOWN} more</li> : null}
    </ul>
  );
}

export function bulkDeleteRequest(items: readonly Movable[], loaded: readonly FileSummary[], action: () => Promise<void>): ConfirmRequest {
  const files = items.filter((i) => i.kind === 'file').map((i) => i.name);
  const folders = items.filter((i) => i.kind === 'folder').map((i) => i.name);
  const versions = loaded.filter((f) => files.includes(f.name)).reduce((n, f) => n + f.versions, 0);
  const fileText = `${files.length} file${files.length === 1 ? '' : 's'}`;
  const folderText = `${folders.length} folder${folders.length === 1 ? '' : 's'}`;
  return {
    title: `Delete ${[files.length ? fileText : '', folders.length ? folderText : ''].filter(Boolean).join(' and ')}?`,
    body: (
      <div data-testid="bulk-delete-summary">
        {files.length > 0 ? (
          <>
            <p>
              {fileText}, with {versions > files.length ? `all ${versions} of their versions` : files.length === 1 ? 'its version' : 'their versions'}:
            </p>
            <NameList names={files} testId="bulk-delete-files" />
          </>
        ) : null}
        {folders.length > 0 ? (
          <>
            <p>{folderText} with every file in {folders.length === 1 ? 'it' : 'them'}, subfolders too:</p>
            <NameList names={folders} testId="bulk-delete-folders" />
          </>
        ) : null}
        <p className="muted small">Space comes back when gc runs.</p>
      </div>
    ),
    confirmLabel: 'Delete',
    danger: true,
    action,
  };
}
