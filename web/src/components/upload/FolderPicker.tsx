// "Choose folder…": the browser's folder picker (<input webkitdirectory>), which hands over every
// file below the folder with its path in it (File.webkitRelativePath), so the tree is kept.
import { useRef } from 'react';
import type { PickedFile } from '../../uploads.ts';
import { pickedFromInput } from './picked-files.ts';

export function FolderPicker({ onFiles }: { onFiles: (files: PickedFile[]) => void }) {
  const inputRef = useRef<HTMLInputElement | null>(null);
  return (
    <div className="folder-picker">
      <button type="button" className="btn btn--small" onClick={() => inputRef.current?.click()} data-testid="choose-folder">
        Choose folder…
      </button>
      <span className="muted small">uploads every file in it, keeping its subfolders</span>
      <input
        ref={(el) => {
          inputRef.current = el;
          // React has no prop for it: set the DOM property.
          if (el) el.webkitdirectory = true;
        }}
        type="file"
        multiple
        className="visually-hidden"
        tabIndex={-1}
        aria-label="Choose a folder to upload"
        data-testid="folder-input"
        onChange={(e) => {
          onFiles(pickedFromInput(e.target.files));
          e.target.value = '';
        }}
      />
    </div>
  );
}
