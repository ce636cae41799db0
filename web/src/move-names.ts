// The names a rename or a move gives a file or a folder (POST /api/v1/rename moves a folder when
// both names end in "/"), and what its refusals mean for the user.
import { ApiError, errorMessage } from './api.ts';
import { baseName } from './format.ts';

/** A row of the file browser or the file page: a file name, or a folder prefix ending in "/". */
export interface Movable {
  kind: 'file' | 'folder';
  name: string;
}

export type MoveMode = 'rename' | 'move';

/** The folder an item is in ('' at the top), with its trailing slash. */
export function folderOf(item: Movable): string {
  const trimmed = item.kind === 'folder' ? item.name.slice(0, -1) : item.name;
  const i = trimmed.lastIndexOf('/');
  return i >= 0 ? trimmed.slice(0, i + 1) : '';
}

/** "photos/2024" or "/photos/2024/" → "photos/2024/"; '' stays the top. */
export function normalFolder(typed: string): string {
  const f = typed.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  return f ? `${f}/` : '';
}

/** What the dialog's field starts with: the name (rename) or the folder it is in (move). */
export function initialInput(item: Movable, mode: MoveMode): string {
  return mode === 'rename' ? baseName(item.name) : folderOf(item);
}

/** The new name for what the user typed, or a sentence saying why there is none. */
export function targetName(item: Movable, mode: MoveMode, typed: string): { to: string } | { problem: string } {
  const slash = item.kind === 'folder' ? '/' : '';
  let to: string;
  if (mode === 'rename') {
    // Not trimmed: spaces at either end are part of a name like any other character.
    const base = item.kind === 'folder' ? typed.replace(/\/+$/, '') : typed;
    if (!base.trim()) return { problem: 'Type the new name.' };
    to = folderOf(item) + base + slash;
  } else {
    to = normalFolder(typed) + baseName(item.name) + slash;
  }
  if (to === item.name) return { problem: mode === 'rename' ? 'That is its name already.' : 'It is in that folder already.' };
  if (item.kind === 'folder' && to.startsWith(item.name)) return { problem: 'A folder cannot go inside itself.' };
  return { to };
}

/** The refusal of a rename in words: what is in the way and what to do about it. */
export function moveFailure(err: unknown, item: Movable, to: string): Error {
  if (!(err instanceof ApiError)) return new Error(errorMessage(err));
  const what = item.kind === 'folder' ? 'this folder' : 'this file';
  if (err.status === 409) {
    const taken = item.kind === 'folder' ? `Some names under ${to} are taken already` : `${to} exists already`;
    return new ApiError(409, err.code, `${taken}: nothing was moved. Pick another name, or rename or delete the other ${item.kind === 'folder' ? 'files' : 'file'} first.`);
  }
  if (err.status === 404) return new ApiError(404, err.code, `There is nothing at ${item.name} any more (deleted or renamed in the meantime?). Refresh the list.`);
  if (err.status === 400) return new ApiError(400, err.code, `The server refused to move ${what}: ${err.message}`);
  return err;
}
