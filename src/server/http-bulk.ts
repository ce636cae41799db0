// Work on a selection of files and folders at once, for the web UI's multi-select:
//   POST /api/v1/delete   {names?, prefixes?}  every version of each file, and of every file under each folder
//   GET  /api/v1/archive?name=…&prefix=…&base=…  the selection as one streamed ZIP
// The archive is a GET so that the browser's own download (a link, with the session cookie) saves
// it to disk as it streams: nothing is held in the page or on the server. Entries are stored, not
// deflated: chunks are already compressed where that pays, and deflating again would cost the
// orchestrator's CPU for little.
import { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { z } from 'zod';
import type { QueryParams } from '../core/input/utf8.ts';
import type { ApiContext } from './http-context.ts';
import { HttpError, parseBody, readJson, sendJson, type Req, type Res } from './http-util.ts';

/** Names and folders one request may name, and files one archive may hold. */
const MAX_SELECTED = 1000;
const MAX_ARCHIVE_FILES = 10_000;

const SelectionBody = z.object({
  names: z.array(z.string()).max(MAX_SELECTED).optional(),
  prefixes: z.array(z.string()).max(MAX_SELECTED).optional(),
});

interface Selected {
  name: string;
  version: number;
  size: number;
  createdAt: number;
}

function checkFolder(prefix: string): string {
  if (!prefix.endsWith('/')) throw new HttpError(400, 'USAGE', `a folder ends in "/": ${JSON.stringify(prefix.slice(0, 200))}`);
  return prefix;
}

/** The files a selection names: each named file (404 if missing) and every file under each folder. */
async function resolveSelection(api: ApiContext, names: readonly string[], prefixes: readonly string[], limit: number): Promise<Selected[]> {
  if (names.length + prefixes.length === 0) throw new HttpError(400, 'USAGE', 'select at least one file (name) or folder (prefix)');
  if (names.length + prefixes.length > MAX_SELECTED) throw new HttpError(400, 'USAGE', `at most ${MAX_SELECTED} names and folders at once`);
  const out = new Map<string, Selected>();
  const add = (s: Selected): void => {
    out.set(s.name, s);
    if (out.size > limit) throw new HttpError(413, 'TOO_LARGE', `the selection holds more than ${limit} files; select fewer`);
  };
  for (const name of names) {
    const v = await api.repo.resolveVersion(name);
    add({ name, version: v.version, size: v.size, createdAt: v.createdAt });
  }
  for (const prefix of prefixes) {
    for await (const f of api.repo.list({ prefix: checkFolder(prefix) })) add({ name: f.name, version: f.version, size: f.size, createdAt: f.createdAt });
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export async function deleteSelection(api: ApiContext, req: Req, res: Res): Promise<void> {
  const body = parseBody(SelectionBody, await readJson(req));
  const names = body.names ?? [];
  const prefixes = (body.prefixes ?? []).map(checkFolder);
  if (names.length + prefixes.length === 0) throw new HttpError(400, 'USAGE', 'select at least one file (names) or folder (prefixes)');
  // Named files that are gone already count as deleted: deleting is idempotent.
  const doomed = new Set(names);
  for (const prefix of prefixes) for await (const f of api.repo.list({ prefix })) doomed.add(f.name);
  let files = 0;
  let versions = 0;
  for (const name of doomed) {
    const { versionsRemoved } = await api.repo.remove(name).catch((err: unknown) => {
      if ((err as { code?: string }).code === 'FILE_NOT_FOUND') return { versionsRemoved: 0 };
      throw err;
    });
    if (versionsRemoved > 0) files++;
    versions += versionsRemoved;
  }
  sendJson(res, 200, { files, versions });
}

/**
 * A ZIP entry name for a stored name: relative to `base`, with the segments no unzip tool may be
 * handed dropped or defused ("", ".", ".." and a leading "/"), and made unique.
 */
function entryNames(names: readonly string[], base: string): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    const rel = base !== '' && name.startsWith(base) ? name.slice(base.length) : name;
    const segments = rel.replaceAll('\\', '/').split('/').filter((s) => s !== '' && s !== '.').map((s) => (s === '..' ? '__' : s));
    const entry = segments.join('/') || 'file';
    let unique = entry;
    for (let n = 2; used.has(unique); n++) unique = `${entry} (${n})`;
    used.add(unique);
    return unique;
  });
}

export async function downloadArchive(api: ApiContext, req: Req, res: Res, params: QueryParams): Promise<void> {
  const selected = await resolveSelection(api, params.getAll('name'), params.getAll('prefix'), MAX_ARCHIVE_FILES);
  const base = params.get('base') ?? '';
  const entries = entryNames(selected.map((s) => s.name), base);
  const zip = new ZipFile();
  selected.forEach((s, i) => {
    zip.addReadStreamLazy(entries[i]!, { size: s.size, mtime: new Date(s.createdAt), compress: false }, (cb) => {
      // Opened only when the archive reaches this entry, so one file's chunks are read at a time.
      api.repo.download(s.name, { version: s.version }).then(
        (d) => {
          const body = Readable.from(d.body);
          // yazl pipes the entry, and pipe() does not pass errors on: report them to the archive.
          body.once('error', (err) => zip.emit('error', err));
          cb(null, body);
        },
        (err: unknown) => zip.emit('error', err instanceof Error ? err : new Error(String(err))),
      );
    });
  });
  // yazl passes the total size to this callback (-1 when unknown); @types/yazl omits the argument.
  const end = zip.end.bind(zip) as (options: object, calculatedTotalSize: (size: number) => void) => void;
  const size = await new Promise<number>((resolve) => end({}, resolve));
  res.statusCode = 200;
  res.setHeader('content-type', 'application/zip');
  res.setHeader('content-disposition', `attachment; filename="dcs-${new Date().toISOString().slice(0, 10)}.zip"`);
  res.setHeader('cache-control', 'private, no-store');
  res.setHeader('x-content-type-options', 'nosniff');
  // Sizes are known (stored entries of known length): the browser can show real progress.
  if (size >= 0) res.setHeader('content-length', size);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  // A Readable (yazl's own typings say only NodeJS.ReadableStream).
  const out = zip.outputStream as Readable;
  await new Promise<void>((resolve, reject) => {
    const stop = (): void => {
      out.unpipe(res as unknown as NodeJS.WritableStream);
      out.destroy();
    };
    res.once('close', () => {
      stop();
      resolve();
    });
    // A file that cannot be read after the headers went out (a chunk lost on every backend): the
    // caller answers with a cut connection, the only honest signal left, and logs it.
    zip.once('error', (err: unknown) => {
      stop();
      reject(err instanceof Error ? err : new Error(String(err)));
    });
    out.once('end', () => resolve());
    out.pipe(res as unknown as NodeJS.WritableStream);
  });
}
