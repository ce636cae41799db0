// The S3 front end: one handler for the S3 listener. It authenticates every request (SigV4:
// header or presigned URL), checks the access key's grant, routes to the bucket or object
// operation, and answers failures as S3 XML errors with a request id. Buckets are name prefixes
// of the repository (`bucket/key` is the dcs name of key in bucket): a front end over the
// Repository API, like the HTTP API and gRPC.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { percentDecode } from '../../core/input/utf8.ts';
import type { LocalRepository, S3AccessKey } from '../../repository/repository.ts';
import type { Req, Res } from '../http-util.ts';
import type { SecretVault } from './access-keys.ts';
import { GroupCommitter } from './group-commit.ts';
import { bucketOperation } from './s3-buckets.ts';
import { S3Error, toS3Error } from './s3-errors.ts';
import { xmlDocument } from './xml.ts';
import { objectOperation } from './s3-objects.ts';
import { DEFAULT_REGION, MAX_PUT_BYTES, sendXml, type S3Context, type S3Request } from './s3-request.ts';
import { declaredPayloadHash, KeySigner, parseAuth, verifySignature, type SignedRequest } from './sigv4.ts';

export interface S3ApiOptions {
  repo: LocalRepository;
  vault: SecretVault;
  /** The region clients sign for (default us-east-1). */
  region?: string;
  /** Virtual-hosted-style addressing: `bucket.<baseDomain>` names the bucket. */
  baseDomain?: string;
  log: Logger;
  now?: () => number;
  maxPutBytes?: number;
}

function errorXml(err: S3Error, resource: string, requestId: string): string {
  return xmlDocument('Error', { Code: err.code, Message: err.message, ...err.fields, Resource: resource, RequestId: requestId });
}

function splitTarget(rawPath: string, host: string | undefined, baseDomain: string | undefined): { bucket: string; key: string } {
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (baseDomain && hostname.endsWith(`.${baseDomain}`)) {
    const bucket = hostname.slice(0, -baseDomain.length - 1);
    return { bucket, key: percentDecode(rawPath.slice(1)) };
  }
  const rest = rawPath.slice(1);
  const slash = rest.indexOf('/');
  if (slash < 0) return { bucket: percentDecode(rest), key: '' };
  return { bucket: percentDecode(rest.slice(0, slash)), key: percentDecode(rest.slice(slash + 1)) };
}

function parseQuery(raw: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    // '+' is a plus sign here: SigV4 clients encode spaces as %20, and the signature covers the decoded text.
    pairs.push(eq < 0 ? [percentDecode(part), ''] : [percentDecode(part.slice(0, eq)), percentDecode(part.slice(eq + 1))]);
  }
  return pairs;
}

export function createS3Api(options: S3ApiOptions): (req: Req, res: Res) => void {
  const ctx: S3Context = {
    repo: options.repo,
    smallObjects: new GroupCommitter(options.repo),
    region: options.region ?? DEFAULT_REGION,
    log: options.log,
    now: options.now ?? Date.now,
    maxPutBytes: options.maxPutBytes ?? MAX_PUT_BYTES,
  };
  // Signers by key id, remade when the sealed secret changes; a key is looked up on every request,
  // so a revoked key stops working at once.
  const signers = new Map<string, { sealed: string; signer: KeySigner }>();
  const signerFor = (key: S3AccessKey): KeySigner | undefined => {
    const cached = signers.get(key.id);
    if (cached && cached.sealed === key.sealedSecret) return cached.signer;
    const secret = options.vault.unseal(key.id, key.sealedSecret);
    if (secret === undefined) return undefined;
    if (signers.size >= 1000) signers.clear();
    const signer = new KeySigner(key.id, secret, ctx.region);
    signers.set(key.id, { sealed: key.sealedSecret, signer });
    return signer;
  };

  async function handle(req: Req, res: Res, requestId: string): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    if (!rawPath.startsWith('/')) throw new S3Error('InvalidRequest', 'The request path must start with "/".');
    const query = parseQuery(q < 0 ? '' : url.slice(q + 1));
    const signed: SignedRequest = { method: req.method ?? 'GET', rawPath, query, headers: req.headers };
    const auth = parseAuth(signed);
    if (!auth) throw new S3Error('AccessDenied', 'Access Denied: anonymous requests are not accepted; sign requests with an access key (dcs keys create).');
    const accessKey = await ctx.repo.s3.getAccessKey(auth.accessKeyId);
    if (!accessKey) throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: auth.accessKeyId });
    const signer = signerFor(accessKey);
    if (!signer) {
      ctx.log.warn({ accessKeyId: accessKey.id }, 's3: an access key secret does not unseal with this server\'s key-encryption key (s3-secret.key or DCS_S3_SECRET_KEY differs from the one that made it)');
      throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided cannot be used on this server.', { AWSAccessKeyId: auth.accessKeyId });
    }
    const payloadHash = declaredPayloadHash(signed, auth);
    await verifySignature(signed, auth, signer, payloadHash, ctx.now());
    const host = req.headers.host ?? (req.headers as Record<string, string | undefined>)[':authority'];
    const { bucket, key } = splitTarget(rawPath, host, options.baseDomain);
    const r: S3Request = { req, res, method: signed.method, bucket, key, query: new Map(query), signed, auth, signer, accessKey, payloadHash, requestId };
    if (key === '') await bucketOperation(ctx, r);
    else await objectOperation(ctx, r);
  }

  return (req, res) => {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', requestId);
    res.setHeader('server', 'dcs');
    handle(req, res, requestId).catch((err: unknown) => {
      const e = toS3Error(err);
      if (e.code === 'InternalError') ctx.log.error({ err, requestId, method: req.method }, 's3 request failed');
      if (res.headersSent) {
        // Mid-body: only a cut connection tells the client the object is incomplete.
        res.destroy();
        return;
      }
      // A refused request whose body was not read: close the connection rather than read it all.
      if (!req.complete) res.setHeader('connection', 'close');
      if (req.method === 'HEAD') {
        res.statusCode = e.status;
        res.setHeader('x-amz-error-code', e.code);
        res.end();
        return;
      }
      const resource = (req.url ?? '/').split('?')[0]!;
      sendXml(res, e.status, errorXml(e, resource, requestId));
    });
  };
}
