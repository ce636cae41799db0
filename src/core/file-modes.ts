// Who may read what dcs writes on a local disk: chunk objects, metadata.db, the repository and a
// storage node's data directory. Private by default (0700 directories, 0600 files, whatever the
// umask), as restic and kopia keep their repositories; `group` lets a backup group read them.
export const SHARING = ['private', 'group'] as const;
export type Sharing = (typeof SHARING)[number];

export interface FileModes {
  dir: number;
  file: number;
}

export function fileModes(sharing: Sharing = 'private'): FileModes {
  return sharing === 'group' ? { dir: 0o750, file: 0o640 } : { dir: 0o700, file: 0o600 };
}
