// The files a drop or a picker hands over, with their paths below the target folder. A dropped
// folder is walked (webkitGetAsEntry, readEntries in batches until it returns none) and its
// tree kept in the paths; a folder picked with <input webkitdirectory> carries the same paths in
// File.webkitRelativePath. Items of a drop must be read during the drop event itself: the entries
// are taken at once, and only walked afterwards.
import type { PickedFile } from '../../uploads.ts';

export interface PickedFiles {
  files: PickedFile[];
  /** Files a dropped folder listed but the browser would not read. */
  unreadable: string[];
  /** Dropped folders with no files in them. */
  emptyFolders: string[];
}

export function pickedFromInput(list: FileList | null): PickedFile[] {
  return [...(list ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

/** The dropped items as entries, read now (the drop event's DataTransfer empties after it). */
export function dropEntries(dt: DataTransfer): (FileSystemEntry | File)[] {
  const items = dt.items ? [...dt.items].filter((i) => i.kind === 'file') : [];
  if (items.length === 0) return [...dt.files];
  return items.flatMap((i): (FileSystemEntry | File)[] => {
    // A DataTransfer made by a script has no entries: its items are plain files.
    const entry = i.webkitGetAsEntry?.();
    const file = entry ? undefined : i.getAsFile();
    return entry ? [entry] : file ? [file] : [];
  });
}

const isDirectory = (e: FileSystemEntry): e is FileSystemDirectoryEntry => e.isDirectory;
const isFile = (e: FileSystemEntry): e is FileSystemFileEntry => e.isFile;

function readBatch(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** "/photos/2024/a.jpg" → "photos/2024/a.jpg" */
const relative = (entry: FileSystemEntry): string => entry.fullPath.replace(/^\/+/, '') || entry.name;

async function walk(entry: FileSystemEntry, out: PickedFiles): Promise<number> {
  if (isFile(entry)) {
    try {
      out.files.push({ file: await fileOf(entry), path: relative(entry) });
      return 1;
    } catch {
      out.unreadable.push(relative(entry));
      return 0;
    }
  }
  if (!isDirectory(entry)) return 0;
  const reader = entry.createReader();
  let found = 0;
  try {
    for (let batch = await readBatch(reader); batch.length > 0; batch = await readBatch(reader)) {
      for (const child of batch) found += await walk(child, out);
    }
  } catch {
    out.unreadable.push(`${relative(entry)}/`);
  }
  return found;
}

export async function pickedFromDrop(entries: readonly (FileSystemEntry | File)[]): Promise<PickedFiles> {
  const out: PickedFiles = { files: [], unreadable: [], emptyFolders: [] };
  for (const e of entries) {
    if (e instanceof File) {
      out.files.push({ file: e, path: e.name });
      continue;
    }
    const found = await walk(e, out);
    if (isDirectory(e) && found === 0 && !out.unreadable.some((u) => u.startsWith(relative(e)))) out.emptyFolders.push(relative(e));
  }
  return out;
}
