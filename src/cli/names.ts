// File names in the repository are arbitrary strings (spaces, unicode, newlines, '..', '/abs'),
// checked by the Repository API; these helpers map local paths to names and names to safe local
// paths — a stored name is never used to write outside the directory the user asked for.
import { basename } from 'node:path';
import { UsageError } from '../core/errors.ts';

/** The name a local path is stored under when --name is not given: the path as typed, minus './'. */
export function nameFromPath(path: string): string {
  return path.replace(/^(\.\/)+/, '');
}

/** A local file name for `dcs get NAME` without -o: the last segment, made safe, in the current directory. */
export function localFileName(name: string): string {
  const last = basename(name.replaceAll('\\', '/'));
  // eslint-disable-next-line no-control-regex
  const safe = last.replace(/[\u0000-\u001f\u007f]/g, '_');
  if (safe === '' || safe === '.' || safe === '..') {
    throw new UsageError(`cannot derive a local file name from ${JSON.stringify(name)}; use -o PATH`);
  }
  return safe;
}
