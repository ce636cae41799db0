// Where files and folders are dropped, or clicked (Enter or Space) to open the file picker. A
// dropped folder uploads with its tree kept: every file under "<folder>/<its path in the folder>".
import { useRef, useState, type DragEvent } from 'react';
import { joinName, type PickedFile } from '../../uploads.ts';
import { dropEntries, pickedFromDrop, pickedFromInput, type PickedFiles } from './picked-files.ts';

/** What a drop could not upload, in one sentence (undefined when everything went). */
function dropProblems(p: PickedFiles): Error | undefined {
  const said: string[] = [];
  if (p.unreadable.length > 0) said.push(`${p.unreadable.length} item${p.unreadable.length === 1 ? '' : 's'} could not be read (${p.unreadable.slice(0, 3).join(', ')}${p.unreadable.length > 3 ? ', …' : ''}) and stay out`);
  if (p.emptyFolders.length > 0) said.push(`${p.emptyFolders.join(', ')} ${p.emptyFolders.length === 1 ? 'is' : 'are'} empty: folders exist here only through their files`);
  return said.length > 0 ? new Error(`${said.join('; ')}.`) : undefined;
}

export function DropZone({ prefix, codec, onFiles, onNotice }: {
  prefix: string;
  codec: string;
  onFiles: (files: PickedFile[]) => void;
  onNotice: (notice: Error | undefined) => void;
}) {
  const [dragging, setDragging] = useState(false);
  const [reading, setReading] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const dragDepth = useRef(0);

  const onDrop = (e: DragEvent<HTMLDivElement>): void => {
    e.preventDefault();
    dragDepth.current = 0;
    setDragging(false);
    const entries = dropEntries(e.dataTransfer);
    setReading(true);
    void pickedFromDrop(entries)
      .then((picked) => {
        onFiles(picked.files);
        const problem = dropProblems(picked);
        if (problem) onNotice(problem);
      })
      .catch((err: unknown) => onNotice(new Error(`The dropped folder could not be read: ${err instanceof Error ? err.message : String(err)}`)))
      .finally(() => setReading(false));
  };

  return (
    <div
      className={`dropzone${dragging ? ' dropzone--over' : ''}`}
      data-testid="dropzone"
      role="button"
      tabIndex={0}
      aria-label="Drop files or folders here, or press Enter to choose files"
      onClick={() => inputRef.current?.click()}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          inputRef.current?.click();
        }
      }}
      onDragEnter={(e) => {
        e.preventDefault();
        dragDepth.current++;
        setDragging(true);
      }}
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
      }}
      onDragLeave={() => {
        dragDepth.current = Math.max(0, dragDepth.current - 1);
        if (dragDepth.current === 0) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <svg className="dropzone__icon" viewBox="0 0 24 24" width="36" height="36" aria-hidden="true">
        <path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 16v2.5A1.5 1.5 0 0 0 5.5 20h13a1.5 1.5 0 0 0 1.5-1.5V16" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      <div className="dropzone__title">{reading ? 'Reading the folder…' : 'Drop files or folders here'}</div>
      <div className="muted">
        or <span className="linkish">choose files</span> · several at once · stored as{' '}
        <strong>{prefix.trim() ? joinName(prefix, 'NAME') : 'NAME'}</strong> with <strong>{codec}</strong>
      </div>
      <input
        ref={inputRef}
        type="file"
        multiple
        className="visually-hidden"
        tabIndex={-1}
        aria-label="Choose files to upload"
        data-testid="file-input"
        onChange={(e) => {
          onFiles(pickedFromInput(e.target.files));
          e.target.value = '';
        }}
      />
    </div>
  );
}
