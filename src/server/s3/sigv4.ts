// AWS Signature Version 4, as S3 checks it: the Authorization header form and presigned URLs
// (query parameters, with expiry), and the chunk and trailer signatures of streamed uploads.
// The canonical request is rebuilt from what arrived (raw path, decoded query, the signed headers);
// @smithy/signature-v4, the AWS SDKs' own signer, canonicalises the query and derives and applies
// the signing key, so client and server share the arithmetic.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { getCanonicalQuery, SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import { S3Error } from './s3-errors.ts';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** How far a signed request's clock may be from ours (AWS: 15 minutes). */
export const MAX_SKEW_MS = 15 * 60_000;
/** Presigned URLs live at most 7 days (AWS's limit). */
export const MAX_PRESIGNED_SECONDS = 7 * 24 * 3600;

/** What a request arrived with, as the signature covers it. */
export interface SignedRequest {
  method: string;
  /** The path exactly as sent (still percent-encoded), without the query. */
  rawPath: string;
  /** Decoded query parameters, in arrival order. */
  query: readonly (readonly [string, string])[];
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface RequestAuth {
  kind: 'header' | 'query';
  accessKeyId: string;
  /** YYYYMMDD/region/service/aws4_request */
  scope: string;
  region: string;
  service: string;
  /** x-amz-date / X-Amz-Date: YYYYMMDDTHHMMSSZ */
  amzDate: string;
  signedHeaders: string[];
  signature: string;
  /** Presigned URLs: seconds the URL is valid from amzDate. */
  expiresSeconds?: number;
}

/** SHA-256 (HMAC-SHA-256 with a secret) from node:crypto, in the form @smithy/signature-v4 takes. */
export class NodeSha256 implements Checksum {
  readonly #secret: SourceData | undefined;
  #hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;

  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = this.#fresh();
  }

  #fresh(): ReturnType<typeof createHash> | ReturnType<typeof createHmac> {
    if (this.#secret === undefined) return createHash('sha256');
    const key = typeof this.#secret === 'string' ? this.#secret : ArrayBuffer.isView(this.#secret) ? Buffer.from(this.#secret.buffer, this.#secret.byteOffset, this.#secret.byteLength) : Buffer.from(this.#secret);
    return createHmac('sha256', key);
  }

  update(data: Uint8Array): void {
    this.#hash.update(data);
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }

  reset(): void {
    this.#hash = this.#fresh();
  }
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function header(req: SignedRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

const CREDENTIAL = /^([A-Za-z0-9]{1,128})\/(\d{8})\/([a-z0-9-]{1,32})\/([a-z0-9-]{1,32})\/aws4_request$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function malformed(kind: RequestAuth['kind'], message: string): S3Error {
  return kind === 'header' ? new S3Error('AuthorizationHeaderMalformed', message) : new S3Error('AuthorizationQueryParametersError', message);
}

function parseCredential(kind: RequestAuth['kind'], credential: string): Pick<RequestAuth, 'accessKeyId' | 'scope' | 'region' | 'service'> & { date: string } {
  const m = CREDENTIAL.exec(credential);
  if (!m) throw malformed(kind, 'The authorization credential is malformed; expected "<key id>/<YYYYMMDD>/<region>/s3/aws4_request".');
  return { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, scope: `${m[2]}/${m[3]}/${m[4]}/aws4_request` };
}

/** The request's signature, or undefined for an anonymous request. Only the form is checked here. */
export function parseAuth(req: SignedRequest): RequestAuth | undefined {
  const authorization = header(req, 'authorization');
  const q = new Map(req.query);
  if (authorization !== undefined) {
    if (q.has('X-Amz-Signature')) throw new S3Error('InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.');
    if (!authorization.startsWith(`${ALGORITHM} `)) {
      throw new S3Error('InvalidArgument', authorization.startsWith('AWS ') ? 'Signature Version 2 is not supported: sign requests with Signature Version 4.' : `Unsupported Authorization Type (expected ${ALGORITHM}).`);
    }
    const parts = new Map(
      authorization
        .slice(ALGORITHM.length + 1)
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p.length > 0)
        .map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const),
    );
    const credential = parts.get('Credential');
    const signedHeaders = parts.get('SignedHeaders');
    const signature = parts.get('Signature');
    if (!credential || !signedHeaders || !signature) throw malformed('header', 'The authorization header is malformed; it needs Credential, SignedHeaders and Signature.');
    const amzDate = header(req, 'x-amz-date');
    if (!amzDate || !AMZ_DATE.test(amzDate)) throw new S3Error('AccessDenied', 'AWS authentication requires a valid x-amz-date header (YYYYMMDDTHHMMSSZ).');
    const c = parseCredential('header', credential);
    if (c.date !== amzDate.slice(0, 8)) throw malformed('header', `The authorization header is malformed; the credential date ${c.date} is not the date of x-amz-date.`);
    return { kind: 'header', ...c, amzDate, signedHeaders: signedHeaders.split(';'), signature };
  }
  if (!q.has('X-Amz-Signature') && !q.has('X-Amz-Algorithm')) return undefined;
  if (q.get('X-Amz-Algorithm') !== ALGORITHM) throw malformed('query', `X-Amz-Algorithm only supports "${ALGORITHM}".`);
  const credential = q.get('X-Amz-Credential');
  const amzDate = q.get('X-Amz-Date');
  const expires = q.get('X-Amz-Expires');
  const signedHeaders = q.get('X-Amz-SignedHeaders');
  const signature = q.get('X-Amz-Signature');
  if (!credential || !amzDate || !expires || !signedHeaders || !signature) {
    throw malformed('query', 'Query-string authentication requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders and X-Amz-Expires parameters.');
  }
  if (!AMZ_DATE.test(amzDate)) throw malformed('query', 'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'".');
  const expiresSeconds = Number(expires);
  if (!/^\d{1,7}$/.test(expires) || expiresSeconds < 1) throw malformed('query', 'X-Amz-Expires should be a number of seconds.');
  if (expiresSeconds > MAX_PRESIGNED_SECONDS) throw malformed('query', 'X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds.');
  const c = parseCredential('query', credential);
  if (c.date !== amzDate.slice(0, 8)) throw malformed('query', `The credential date ${c.date} is not the date of X-Amz-Date.`);
  return { kind: 'query', ...c, amzDate, signedHeaders: signedHeaders.split(';'), signature, expiresSeconds };
}

export function amzDateToMs(amzDate: string): number {
  const m = AMZ_DATE.exec(amzDate)!;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** What the request's payload hash is declared to be (x-amz-content-sha256, or UNSIGNED-PAYLOAD for presigned URLs). */
export function declaredPayloadHash(req: SignedRequest, auth: RequestAuth): string {
  if (auth.kind === 'query') return new Map(req.query).get('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD;
  const declared = header(req, 'x-amz-content-sha256');
  if (declared === undefined) throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  return declared;
}

function canonicalRequest(req: SignedRequest, auth: RequestAuth, payloadHash: string): string {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of req.query) {
    const had = query[k];
    query[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
  }
  const lines: string[] = [];
  for (const name of auth.signedHeaders) {
    const value = header(req, name);
    if (value === undefined) throw new S3Error('AccessDenied', `There were headers present in the request which were not signed, or a signed header is missing: ${name}`);
    lines.push(`${name}:${value.trim().replace(/\s+/g, ' ')}\n`);
  }
  return [req.method, req.rawPath || '/', getCanonicalQuery({ query } as Parameters<typeof getCanonicalQuery>[0]), lines.join(''), auth.signedHeaders.join(';'), payloadHash].join('\n');
}

/** One access key's signer (signing keys are cached per day inside it). */
export class KeySigner {
  readonly #signer: SignatureV4;
  readonly region: string;

  constructor(accessKeyId: string, secretAccessKey: string, region: string) {
    this.region = region;
    this.#signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region, service: 's3', sha256: NodeSha256, uriEscapePath: false });
  }

  /** HMAC of a string to sign under the signing key of auth's day and scope. */
  sign(stringToSign: string, auth: Pick<RequestAuth, 'amzDate' | 'region' | 'service'>): Promise<string> {
    return this.#signer.sign(stringToSign, { signingDate: new Date(amzDateToMs(auth.amzDate)), signingRegion: auth.region, signingService: auth.service });
  }
}

function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Check the request's signature and its time (skew, or a presigned URL's expiry); throws the S3
 * error a client should see. `payloadHash` is what the request declares (declaredPayloadHash).
 */
export async function verifySignature(req: SignedRequest, auth: RequestAuth, signer: KeySigner, payloadHash: string, now: number): Promise<void> {
  if (auth.service !== 's3') throw malformed(auth.kind, `The credential scope names service "${auth.service}"; this endpoint is "s3".`);
  if (auth.region !== signer.region) {
    const message = `The authorization ${auth.kind === 'header' ? 'header is' : 'query parameters are'} malformed; the region '${auth.region}' is wrong; expecting '${signer.region}'`;
    throw new S3Error(auth.kind === 'header' ? 'AuthorizationHeaderMalformed' : 'AuthorizationQueryParametersError', message, { Region: signer.region });
  }
  if (!auth.signedHeaders.includes('host')) throw malformed(auth.kind, 'The host header must be signed.');
  const at = amzDateToMs(auth.amzDate);
  if (auth.kind === 'header') {
    if (Math.abs(now - at) > MAX_SKEW_MS) {
      throw new S3Error('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.', { RequestTime: auth.amzDate, ServerTime: new Date(now).toISOString(), MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS) });
    }
  } else {
    if (at - now > MAX_SKEW_MS) throw new S3Error('AccessDenied', 'Request is not valid yet');
    if (now > at + auth.expiresSeconds! * 1000) throw new S3Error('AccessDenied', 'Request has expired', { Expires: new Date(at + auth.expiresSeconds! * 1000).toISOString(), ServerTime: new Date(now).toISOString() });
  }
  const canonical = canonicalRequest(req, auth, payloadHash);
  const expected = await signer.sign([ALGORITHM, auth.amzDate, auth.scope, sha256Hex(canonical)].join('\n'), auth);
  if (!sameSignature(expected, auth.signature)) {
    throw new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', { AWSAccessKeyId: auth.accessKeyId });
  }
}

/** The rolling signatures of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD(-TRAILER) body: each chunk's covers the one before. */
export class ChunkSignatures {
  readonly #signer: KeySigner;
  readonly #auth: RequestAuth;
  #previous: string;

  constructor(signer: KeySigner, auth: RequestAuth) {
    this.#signer = signer;
    this.#auth = auth;
    this.#previous = auth.signature;
  }

  /** Check the signature sent with a chunk whose SHA-256 is `chunkSha256`. */
  async chunk(chunkSha256: string, sent: string): Promise<void> {
    const expected = await this.#signer.sign(['AWS4-HMAC-SHA256-PAYLOAD', this.#auth.amzDate, this.#auth.scope, this.#previous, EMPTY_SHA256, chunkSha256].join('\n'), this.#auth);
    if (!sameSignature(expected, sent)) throw new S3Error('SignatureDoesNotMatch', 'The chunk signature we calculated does not match the signature you provided.');
    this.#previous = expected;
  }

  /** Check the trailer signature over the trailing headers as sent ("name:value\n" each). */
  async trailer(trailerText: string, sent: string): Promise<void> {
    const expected = await this.#signer.sign(['AWS4-HMAC-SHA256-TRAILER', this.#auth.amzDate, this.#auth.scope, this.#previous, sha256Hex(trailerText)].join('\n'), this.#auth);
    if (!sameSignature(expected, sent)) throw new S3Error('SignatureDoesNotMatch', 'The trailer signature we calculated does not match the signature you provided.');
  }
}
