// /api/v1/uploads: resumable (S3-style multipart) uploads. The session lives in metadata, so an
// upload survives a dropped connection, a browser reload and an orchestrator restart, and any
// orchestrator sharing the metadata can continue it. Each part is chunked and stored as it arrives
// (no staging copy of the file anywhere).
import { z } from 'zod';
import { parseCodecChoice } from '../core/codecs.ts';
import { validateName } from '../core/file-name.ts';
import { abortResumableUpload, beginResumableUpload, completeResumableUpload, RESUMABLE_TIMEOUT_MS, resumableUpload, uploadPart } from '../engine/resumable.ts';
import type { ResumableUpload } from '../metadata/metadata-store.ts';
import type { ApiContext } from './http-context.ts';
import { uploadResultJson } from './http-files.ts';
import { HttpError, limitBody, readJson, sendJson, type Req, type Res } from './http-util.ts';

const MAX_PARTS = 100_000;

const BeginBody = z.object({
  name: z.string(),
  codec: z.string().optional(),
  level: z.number().int().min(-131072).max(22).optional(),
  size: z.number().int().min(0).optional(),
});
const CompleteBody = z.object({ size: z.number().int().min(0).optional() });

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new HttpError(400, 'USAGE', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return r.data;
}

function uploadJson(api: ApiContext, u: ResumableUpload): Record<string, unknown> {
  return {
    id: u.sessionId,
    name: u.name,
    codec: u.codec,
    partSize: api.limits.partSize,
    maxPartBytes: api.limits.maxPartBytes,
    parts: u.parts.map((p) => ({ part: p.part, size: p.size })),
    createdAt: u.startedAt,
    expiresAfterMs: RESUMABLE_TIMEOUT_MS,
  };
}

export async function beginUpload(api: ApiContext, req: Req, res: Res): Promise<void> {
  const body = parse(BeginBody, await readJson(req));
  const name = validateName(body.name);
  const codec = body.codec === undefined ? undefined : parseCodecChoice(body.codec);
  if (body.size !== undefined && body.size > api.limits.maxPartBytes * MAX_PARTS) throw new HttpError(413, 'TOO_LARGE', `upload larger than ${api.limits.maxPartBytes * MAX_PARTS} bytes`);
  const id = await beginResumableUpload(api.repo.ctx, { name, ...(codec ? { codec } : {}), ...(body.level === undefined ? {} : { level: body.level }) });
  sendJson(res, 201, uploadJson(api, await resumableUpload(api.repo.ctx, id)));
}

export async function getUpload(api: ApiContext, res: Res, id: string): Promise<void> {
  sendJson(res, 200, uploadJson(api, await resumableUpload(api.repo.ctx, id)));
}

export async function abortUpload(api: ApiContext, res: Res, id: string): Promise<void> {
  await abortResumableUpload(api.repo.ctx, id);
  res.statusCode = 204;
  res.end();
}

export async function putPart(api: ApiContext, req: Req, res: Res, id: string, partText: string): Promise<void> {
  if (!/^\d{1,6}$/.test(partText) || Number(partText) < 1 || Number(partText) > MAX_PARTS) {
    throw new HttpError(400, 'USAGE', `part number must be 1 to ${MAX_PARTS}, got ${JSON.stringify(partText)}`);
  }
  const r = await uploadPart(api.repo.ctx, id, Number(partText), limitBody(req, api.limits.maxPartBytes, 'part'));
  sendJson(res, 200, r);
}

export async function completeUpload(api: ApiContext, req: Req, res: Res, id: string): Promise<void> {
  const body = parse(CompleteBody, await readJson(req));
  const { version } = await completeResumableUpload(api.repo.ctx, id, body.size);
  api.changed();
  sendJson(res, 201, await uploadResultJson(api, version));
}
