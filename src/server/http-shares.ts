// Share links: /api/v1/shares creates, lists and revokes them (with the token); /s/{id} downloads
// the shared file without one. The id is 256 random bits, shown once at creation; metadata keeps
// only its SHA-256 (the link's `ref`), so a copy of the metadata hands out no live link.
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DcsError } from '../core/errors.ts';
import type { QueryParams } from '../core/input/utf8.ts';
import type { ShareLink } from '../repository/repository.ts';
import type { ApiContext } from './http-context.ts';
import { getFile } from './http-files.ts';
import { header, HttpError, parseBody, parseRangeHeader, readJson, sendJson, type Req, type Res } from './http-util.ts';

const DAY_S = 24 * 3600;
/** Links live a week unless asked otherwise, a year at most. */
const DEFAULT_EXPIRY_S = 7 * DAY_S;
const MAX_EXPIRY_S = 365 * DAY_S;
const LINK_ID = /^[A-Za-z0-9_-]{43}$/;

const CreateBody = z.object({
  name: z.string(),
  version: z.number().int().min(1).optional(),
  expiresInSeconds: z.number().int().min(1).max(MAX_EXPIRY_S).optional(),
  maxDownloads: z.number().int().min(1).max(1_000_000).optional(),
});

const refOf = (id: string): string => createHash('sha256').update(id).digest('hex');

function linkJson(l: ShareLink): Record<string, unknown> {
  return { ref: l.idHash, name: l.name, ...(l.version === undefined ? {} : { version: l.version }), createdAt: l.createdAt, expiresAt: l.expiresAt, ...(l.maxDownloads === undefined ? {} : { maxDownloads: l.maxDownloads }), downloads: l.downloads };
}

export async function createShare(api: ApiContext, req: Req, res: Res): Promise<void> {
  const body = parseBody(CreateBody, await readJson(req));
  // The file (and version) must exist now; a link to nothing would only fail later.
  await api.repo.resolveVersion(body.name, body.version);
  const id = randomBytes(32).toString('base64url');
  const link = await api.repo.shareLinks.create({
    idHash: refOf(id),
    name: body.name,
    ...(body.version === undefined ? {} : { version: body.version }),
    expiresAt: Date.now() + (body.expiresInSeconds ?? DEFAULT_EXPIRY_S) * 1000,
    ...(body.maxDownloads === undefined ? {} : { maxDownloads: body.maxDownloads }),
  });
  sendJson(res, 201, { id, path: `/s/${id}`, ...linkJson(link) });
}

export async function listShares(api: ApiContext, res: Res, params: QueryParams): Promise<void> {
  const name = params.get('name') ?? undefined;
  sendJson(res, 200, { links: (await api.repo.shareLinks.list(name)).map(linkJson) });
}

export async function revokeShare(api: ApiContext, res: Res, ref: string): Promise<void> {
  if (!(await api.repo.shareLinks.revoke(ref))) throw new HttpError(404, 'NOT_FOUND', 'no such share link (revoked or expired)');
  res.statusCode = 204;
  res.end();
}

/**
 * GET or HEAD through a link, without a token. A GET from the first byte counts as a download
 * (HEAD, and Range requests further in, only check that the link is live).
 */
export async function downloadShared(api: ApiContext, req: Req, res: Res, id: string): Promise<void> {
  const gone = new DcsError('LINK_GONE', 'this link has expired, been used up or been revoked; ask for a new one');
  if (!LINK_ID.test(id)) throw gone;
  const range = parseRangeHeader(header(req, 'range'));
  const counts = req.method === 'GET' && (range === undefined || ('start' in range && range.start === 0));
  const link = counts ? await api.repo.shareLinks.use(refOf(id)) : await api.repo.shareLinks.live(refOf(id));
  if (!link) throw gone;
  // The link is its own credential: nothing to cache for others, nothing to send elsewhere.
  res.setHeader('referrer-policy', 'no-referrer');
  const version = link.version === undefined ? null : String(link.version);
  await getFile(api, req, res, link.name, { get: (key) => (key === 'version' ? version : null), getAll: (key) => (key === 'version' && version !== null ? [version] : []) });
}
