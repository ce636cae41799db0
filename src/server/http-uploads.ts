// /api/v1/uploads: resumable (S3-style multipart) uploads. The session lives in metadata, so an
// upload survives a dropped connection, a browser reload and an orchestrator restart, and any
// orchestrator sharing the metadata can continue it. Each part is chunked and stored as it arrives
// (no staging copy of the file anywhere).
import { z } from 'zod';
import { MAX_PARTS } from '../core/input/sizes.ts';
import type { ResumableUpload } from '../repository/repository.ts';
import type { ApiContext } from './http-context.ts';
import { uploadResultJson } from './http-files.ts';
import { HttpError, limitBody, parseBody, readJson, sendJson, type Req, type Res } from './http-util.ts';

// JSON shapes only: what the values may be is the repository's to check.
const BeginBody = z.object({
  name: z.string(),
  codec: z.string().optional(),
  level: z.number().optional(),
  size: z.number().optional(),
});
const CompleteBody = z.object({
  size: z.number().optional(),
  parts: z.array(z.object({ part: z.number(), size: z.number().optional() })).max(MAX_PARTS).optional(),
});

function uploadJson(api: ApiContext, u: ResumableUpload): Record<string, unknown> {
  return {
    id: u.sessionId,
    name: u.name,
    codec: u.codec,
    partSize: api.limits.partSize,
    maxPartBytes: api.limits.maxPartBytes,
    parts: u.parts.map((p) => ({ part: p.part, size: p.size })),
    createdAt: u.startedAt,
    expiresAfterMs: api.repo.resumable.timeoutMs,
  };
}

export async function beginUpload(api: ApiContext, req: Req, res: Res): Promise<void> {
  const body = parseBody(BeginBody, await readJson(req));
  // The declared size is a promise about the parts this server will accept (its part size limit).
  if (body.size !== undefined && body.size > api.limits.maxPartBytes * MAX_PARTS) throw new HttpError(413, 'TOO_LARGE', `upload larger than ${api.limits.maxPartBytes * MAX_PARTS} bytes`);
  const upload = await api.repo.resumable.begin({ name: body.name, ...(body.codec === undefined ? {} : { codec: body.codec }), ...(body.level === undefined ? {} : { level: body.level }) });
  sendJson(res, 201, uploadJson(api, upload));
}

export async function getUpload(api: ApiContext, res: Res, id: string): Promise<void> {
  sendJson(res, 200, uploadJson(api, await api.repo.resumable.get(id)));
}

export async function abortUpload(api: ApiContext, res: Res, id: string): Promise<void> {
  await api.repo.resumable.abort(id);
  res.statusCode = 204;
  res.end();
}

export async function putPart(api: ApiContext, req: Req, res: Res, id: string, partText: string): Promise<void> {
  if (!/^\d{1,15}$/.test(partText)) throw new HttpError(400, 'USAGE', `part number must be an integer, got ${JSON.stringify(partText)}`);
  const r = await api.repo.resumable.uploadPart(id, Number(partText), limitBody(req, api.limits.maxPartBytes, 'part'));
  sendJson(res, 200, r);
}

export async function completeUpload(api: ApiContext, req: Req, res: Res, id: string): Promise<void> {
  const body = parseBody(CompleteBody, await readJson(req));
  // A completion says what it completes, so a client whose last part was lost on the way does
  // not commit a shorter file (or an empty one) without knowing.
  if (body.size === undefined && body.parts === undefined) throw new HttpError(400, 'USAGE', 'name what the completion completes: "parts" (e.g. [{"part": 1}, {"part": 2}]) and/or the total "size" in bytes');
  const { version } = await api.repo.resumable.complete(id, { ...(body.size === undefined ? {} : { size: body.size }), ...(body.parts ? { parts: body.parts.map((p) => ({ part: p.part, ...(p.size === undefined ? {} : { size: p.size }) })) } : {}) });
  sendJson(res, 201, await uploadResultJson(api, version));
}
