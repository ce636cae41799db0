// The buttons of a file row (file browser) or a version row (file page): Download, what the caller
// adds (Rename and Move to…, or Restore as latest), and Delete last, away from the others.
import type { ReactNode } from 'react';
import { fileUrl } from '../api.ts';
import { baseName } from '../format.ts';

export function FileActions({ name, version, label, onDelete, testIds, children }: {
  name: string;
  version?: number;
  /** What the buttons act on, for screen readers: "Download {label}". */
  label: string;
  onDelete: () => void;
  testIds: { download: string; delete: string };
  /** Buttons between Download and Delete. */
  children?: ReactNode;
}) {
  return (
    <td className="actions-cell">
      <a className="btn btn--small" href={fileUrl(name, { version })} download={baseName(name)} data-testid={testIds.download} aria-label={`Download ${label}`}>
        Download
      </a>
      {children}
      <button type="button" className="btn btn--small btn--danger-ghost" onClick={onDelete} data-testid={testIds.delete} aria-label={`Delete ${label}`}>
        Delete
      </button>
    </td>
  );
}
