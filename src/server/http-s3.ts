// /api/v1/s3: what the web UI's S3 page shows and does — the S3 endpoint (when served), its
// buckets, and the access keys (list, create, revoke). A new key's secret is in the creation's
// answer only; the repository keeps it sealed (src/server/s3/access-keys.ts).
import { z } from 'zod';
import type { S3AccessKey } from '../repository/repository.ts';
import type { ApiContext } from './http-context.ts';
import { HttpError, parseBody, readJson, sendJson, type Req, type Res } from './http-util.ts';

const CreateBody = z.object({
  readOnly: z.boolean().optional(),
  bucket: z.string().optional(),
  prefix: z.string().optional(),
});

function keyJson(k: S3AccessKey): Record<string, unknown> {
  return {
    id: k.id,
    readOnly: k.readOnly,
    ...(k.bucket === undefined ? {} : { bucket: k.bucket }),
    ...(k.prefix === undefined ? {} : { prefix: k.prefix }),
    createdAt: k.createdAt,
    ...(k.revokedAt === undefined ? {} : { revokedAt: k.revokedAt }),
  };
}

export async function s3Overview(api: ApiContext, res: Res): Promise<void> {
  const [buckets, keys] = await Promise.all([api.repo.s3.listBuckets(), api.repo.s3.listAccessKeys()]);
  sendJson(res, 200, {
    ...(api.s3?.endpoint ? { endpoint: api.s3.endpoint, region: api.s3.region } : {}),
    buckets: buckets.map((b) => ({ name: b.name, createdAt: b.createdAt, versioning: b.versioning })),
    keys: keys.map(keyJson),
  });
}

export async function createS3Key(api: ApiContext, req: Req, res: Res): Promise<void> {
  const body = parseBody(CreateBody, await readJson(req));
  const [{ createAccessKey }, { validBucketName }] = await Promise.all([import('./s3/access-keys.ts'), import('./s3/s3-buckets.ts')]);
  if (body.bucket !== undefined && !validBucketName(body.bucket)) throw new HttpError(400, 'USAGE', `${JSON.stringify(body.bucket)} is not a valid S3 bucket name (3-63 lower-case letters, digits, "." and "-")`);
  if (body.prefix !== undefined && body.bucket === undefined) throw new HttpError(400, 'USAGE', 'a prefix needs a bucket: it is of keys within one bucket');
  if (!api.s3) throw new HttpError(409, 'NO_S3', 'this server keeps no S3 key-encryption key (start it with a repository directory)');
  const key = await createAccessKey(api.repo, await api.s3.vault(), {
    ...(body.readOnly ? { readOnly: true } : {}),
    ...(body.bucket === undefined ? {} : { bucket: body.bucket }),
    ...(body.prefix === undefined ? {} : { prefix: body.prefix }),
  });
  sendJson(res, 201, { ...keyJson(key), secret: key.secret });
}

export async function revokeS3Key(api: ApiContext, res: Res, id: string): Promise<void> {
  if (!(await api.repo.s3.revokeAccessKey(id))) throw new HttpError(404, 'NOT_FOUND', 'no such active access key');
  res.statusCode = 204;
  res.end();
}
