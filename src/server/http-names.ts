// /api/v1/rename and /api/v1/restore: changes to names and histories that touch metadata only
// (no chunk is read or written), for the web UI's rename, move and "restore this version".
import { z } from 'zod';
import type { ApiContext } from './http-context.ts';
import { uploadResultJson } from './http-files.ts';
import { parseBody, readJson, sendJson, type Req, type Res } from './http-util.ts';

const RenameBody = z.object({ from: z.string(), to: z.string() });
const RestoreBody = z.object({ name: z.string(), version: z.number() });

/** Rename a file, or move a folder (both names ending in "/"): 200 with the number of names moved. */
export async function renameNames(api: ApiContext, req: Req, res: Res): Promise<void> {
  const body = parseBody(RenameBody, await readJson(req));
  sendJson(res, 200, await api.repo.rename(body.from, body.to));
}

/** Make an older version the latest: 201 with the new version, as an upload answers. */
export async function restoreVersion(api: ApiContext, req: Req, res: Res): Promise<void> {
  const body = parseBody(RestoreBody, await readJson(req));
  sendJson(res, 201, await uploadResultJson(api, await api.repo.restore(body.name, body.version)));
}
