// Several files in one request (`dcs put a b c…`), scheduled for any Repository: a small file is
// milliseconds of work that mostly waits for fsync and a metadata commit, so small files go in
// groups where the repository can store a group together (packed, one commit), else a few at a
// time; a large one goes alone, with its progress reported, so memory stays that of one upload.
import type { FileToUpload, Repository, UploadFilesRequest, UploadResult } from './repository.ts';

/** Files up to this size go up to SMALL_FILES_AT_ONCE at a time, or in groups (see SmallFileGroups). */
export const SMALL_FILE = 1024 * 1024;
export const SMALL_FILES_AT_ONCE = 4;
/** A group of small files holds at most this many files and bytes (all in memory until packed). */
export const GROUP_FILES = 1000;
export const GROUP_BYTES = 16 * 1024 * 1024;

type Opened = Awaited<ReturnType<FileToUpload['open']>>;

/** A small file opened for a group upload. */
export interface OpenedSmallFile {
  file: FileToUpload;
  input: Opened['input'];
}

/**
 * A repository that stores a group of small files together (packed, one commit: the local
 * engine's uploadSmallFiles). Results in the order of the group; when a file of it cannot be
 * stored before anything is (a name the repository refuses), the files before it are stored and
 * `failure` says why the rest were not.
 */
export type SmallFileGroups = (group: readonly OpenedSmallFile[]) => Promise<{ results: UploadResult[]; failure?: { err: unknown } }>;

export async function uploadFiles(repo: Repository, files: readonly FileToUpload[], request: UploadFilesRequest, groups?: SmallFileGroups): Promise<void> {
  const { progress, onResult, reread: _, ...encoding } = request;
  const results: (UploadResult | undefined)[] = [];
  let reported = 0;
  let reporting: Promise<void> = Promise.resolve();
  /** Results go out in the order of the files, whatever order uploads finish in. */
  const report = (skipGaps = false): Promise<void> => {
    reporting = reporting.then(async () => {
      for (; reported < files.length; reported++) {
        const r = results[reported];
        if (r === undefined && !skipGaps) break;
        if (r) await onResult(reported, r);
      }
    });
    return reporting;
  };
  const uploadOne = async (i: number, input: Opened, alone: boolean): Promise<void> => {
    const file = files[i]!;
    const reporter = alone ? progress?.(file, input.size) : undefined;
    try {
      results[i] = await repo.upload(input.input, { ...encoding, name: file.name, ...(reporter ? { onProgress: (p) => reporter.update(p.bytesRead) } : {}) });
    } finally {
      reporter?.stop();
    }
    await report();
  };
  // The first failure stops new uploads; those already running finish.
  const running = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  let group: { index: number; opened: OpenedSmallFile }[] = [];
  let groupBytes = 0;
  const flushGroup = async (): Promise<void> => {
    if (group.length === 0 || !groups) return;
    const current = group;
    group = [];
    groupBytes = 0;
    try {
      const stored = await groups(current.map((g) => g.opened));
      for (const [k, r] of stored.results.entries()) results[current[k]!.index] = r;
      if (stored.failure) failure ??= stored.failure;
      await report();
    } catch (err) {
      failure ??= { err };
    }
  };
  for (const [i, file] of files.entries()) {
    if (failure) break;
    let input: Opened;
    try {
      input = await file.open();
    } catch (err) {
      // The files before this one are stored, the group they wait in included.
      await flushGroup();
      failure ??= { err };
      break;
    }
    const small = files.length > 1 && input.size !== undefined && input.size <= SMALL_FILE;
    if (small && groups) {
      if (group.length >= GROUP_FILES || groupBytes + input.size! > GROUP_BYTES) await flushGroup();
      group.push({ index: i, opened: { file, input: input.input } });
      groupBytes += input.size!;
      continue;
    }
    await flushGroup();
    if (failure) break;
    if (small) {
      while (running.size >= SMALL_FILES_AT_ONCE) await Promise.race(running);
      const task: Promise<void> = uploadOne(i, input, false)
        .catch((err: unknown) => void (failure ??= { err }))
        .finally(() => running.delete(task));
      running.add(task);
    } else {
      await Promise.all(running);
      if (failure) break;
      await uploadOne(i, input, true);
    }
  }
  if (!failure) await flushGroup();
  await Promise.all(running);
  await report(failure !== undefined);
  if (failure) throw failure.err;
}
