// Where files are dropped, or clicked (Enter or Space) to open the file picker. Folders cannot be
// read as files: dropping one says so and uploads the files beside it.
import { useRef, useState, type DragEvent } from 'react';
import { joinName } from '../../uploads.ts';

export function DropZone({ prefix, codec, onFiles, onNotice }: {
  prefix: string;
  codec: string;
  onFiles: (files: File[]) => void;
  onNotice: (notice: Error) => void;
}) {
  const [dragging, setDragging] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const dragDepth = useRef(0);

  const onDrop = (e: DragEvent<HTMLDivElement>): void => {
    e.preventDefault();
    dragDepth.current = 0;
    setDragging(false);
    const files = [...e.dataTransfer.files];
    // Folders show up as zero-byte entries without a type; they cannot be read as files.
    const items = e.dataTransfer.items ? [...e.dataTransfer.items] : [];
    const folders = items.filter((i) => i.kind === 'file' && i.webkitGetAsEntry?.()?.isDirectory).length;
    if (folders > 0) onNotice(new Error('Folders cannot be dropped; drop the files inside them (or pick them with the file picker).'));
    onFiles(folders > 0 ? files.filter((_, i) => !items[i]?.webkitGetAsEntry?.()?.isDirectory) : files);
  };

  return (
    <div
      className={`dropzone${dragging ? ' dropzone--over' : ''}`}
      data-testid="dropzone"
      role="button"
      tabIndex={0}
      aria-label="Drop files here, or press Enter to choose files"
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
      <div className="dropzone__title">Drop files here</div>
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
          onFiles(e.target.files ? [...e.target.files] : []);
          e.target.value = '';
        }}
      />
    </div>
  );
}
