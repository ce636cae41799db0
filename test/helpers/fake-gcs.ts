// ============================================================================================
// FAKE Google Cloud Storage server — for tests only.
//
// This is NOT an emulator and NOT Google's behaviour in general. It implements only the subset of
// the GCS JSON API that @google-cloud/storage 8.x sends for the calls GcsBlobStore makes (captured
// by logging the client's requests against a logging server, not guessed):
//
//   POST   /upload/storage/v1/b/{bucket}/o?uploadType=multipart&name={name}
//            body multipart/related: a JSON metadata part, then the media part   (file.save, resumable: false)
//   POST   /upload/storage/v1/b/{bucket}/o?uploadType=media&name={name}        (raw body; not used by the
//            client for save() today, handled for completeness)
//   GET    [/storage/v1]/b/{bucket}/o/{name}?alt=media   [Range: bytes=a-b | a- | -n] → 200 / 206 / 416
//   GET    [/storage/v1]/b/{bucket}/o/{name}             object resource (size as a string, updated, crc32c, md5Hash)
//   DELETE [/storage/v1]/b/{bucket}/o/{name}             204
//   GET    [/storage/v1]/b/{bucket}/o?prefix=&maxResults=&pageToken=   lexicographic (UTF-8 byte) order,
//            nextPageToken while more remain
//
// With STORAGE_EMULATOR_HOST=http://host:port the client omits `/storage/v1` on JSON API paths
// (uploads keep `/upload/storage/v1`); with `apiEndpoint` it includes it — both are accepted.
// Errors are JSON shaped like GCS's: {"error":{"code":N,"message":"…","errors":[…]}}.
// Uploads answer with crc32c/md5Hash of the stored bytes (the client validates them), downloads
// carry `x-goog-hash` and `x-goog-stored-content-encoding: identity` (the client validates whole
// downloads with them).
//
// Not covered: authentication (every request is accepted), resumable uploads, object versioning
// and generations/preconditions, delimiters/prefixes in listings, metadata PATCH, ACLs, bucket
// operations (buckets are created with createBucket()), gzip transcoding, XML API, consistency
// delays of a real service (this fake is strongly consistent and instant).
//
// Fault switches for error-mapping tests: `fault = { status: 503 }` answers every request with
// that status; `fault = 'hang'` accepts requests and never answers; `fault = undefined` restores.
// ============================================================================================
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredObject {
  data: Buffer;
  generation: number;
  contentType: string;
  created: string;
  updated: string;
}

export type FakeGcsFault = { status: number; message?: string } | 'hang' | undefined;

export interface RequestLogEntry {
  method: string;
  url: string;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), base64 of the big-endian value, as GCS reports it. */
export function crc32cBase64(data: Uint8Array): string {
  let crc = 0xffffffff;
  for (const byte of data) crc = CRC32C_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

function md5Base64(data: Uint8Array): string {
  return createHash('md5').update(data).digest('base64');
}

function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export class FakeGcs {
  readonly #server: Server;
  readonly #buckets = new Map<string, Map<string, StoredObject>>();
  #generation = 1;
  /** Set to make every request fail with a status, or hang; undefined answers normally. */
  fault: FakeGcsFault;
  /** Every request seen (method and URL), for tests that assert what the client sends. */
  readonly requests: RequestLogEntry[] = [];
  url = '';

  private constructor() {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.#error(res, 500, `fake-gcs internal error: ${String(err)}`);
        else res.destroy();
      });
    });
  }

  /** Start on 127.0.0.1 with a random port. */
  static async start(): Promise<FakeGcs> {
    const fake = new FakeGcs();
    await new Promise<void>((resolve, reject) => {
      fake.#server.once('error', reject);
      // A deep accept queue: the conformance suite opens thousands of connections at once.
      fake.#server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve());
    });
    fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  createBucket(name: string): void {
    if (!this.#buckets.has(name)) this.#buckets.set(name, new Map());
  }

  /** Object names in a bucket (sorted), for assertions. */
  objectNames(bucket: string): string[] {
    return [...(this.#buckets.get(bucket)?.keys() ?? [])].sort(compareNames);
  }

  async close(): Promise<void> {
    this.fault = undefined;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  #error(res: ServerResponse, code: number, message: string): void {
    const reason = code === 404 ? 'notFound' : code === 403 ? 'forbidden' : code === 416 ? 'requestedRangeNotSatisfiable' : code >= 500 ? 'backendError' : 'invalid';
    res.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify({ error: { code, message, errors: [{ message, domain: 'global', reason }] } }));
  }

  #json(res: ServerResponse, code: number, body: unknown): void {
    res.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(body));
  }

  #resource(bucket: string, name: string, o: StoredObject): Record<string, unknown> {
    return {
      kind: 'storage#object',
      id: `${bucket}/${name}/${o.generation}`,
      selfLink: `${this.url}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`,
      name,
      bucket,
      generation: String(o.generation),
      metageneration: '1',
      contentType: o.contentType,
      storageClass: 'STANDARD',
      size: String(o.data.length),
      md5Hash: md5Base64(o.data),
      crc32c: crc32cBase64(o.data),
      etag: `${o.generation}`,
      timeCreated: o.created,
      updated: o.updated,
    };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const method = req.method ?? 'GET';
    this.requests.push({ method, url: req.url ?? '' });

    const fault = this.fault;
    if (fault === 'hang') return; // never answer; close() drops the connection
    if (fault) return this.#error(res, fault.status, fault.message ?? `fake-gcs injected HTTP ${fault.status}`);

    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path);
    if (upload && method === 'POST') return this.#upload(req, res, decodeURIComponent(upload[1]!), url, body);

    const api = /^(?:\/storage\/v1)?\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(path);
    if (!api) return this.#error(res, 404, `fake-gcs: unsupported path ${method} ${path}`);
    const bucketName = decodeURIComponent(api[1]!);
    const bucket = this.#buckets.get(bucketName);
    if (!bucket) return this.#error(res, 404, 'The specified bucket does not exist.');

    if (api[2] === undefined) {
      if (method === 'GET') return this.#list(res, bucketName, bucket, url);
      return this.#error(res, 405, `fake-gcs: unsupported ${method} on object collection`);
    }
    const name = decodeURIComponent(api[2]);
    const object = bucket.get(name);
    if (method === 'DELETE') {
      if (!object) return this.#error(res, 404, `No such object: ${bucketName}/${name}`);
      bucket.delete(name);
      res.writeHead(204);
      res.end();
      return;
    }
    if (method !== 'GET') return this.#error(res, 405, `fake-gcs: unsupported ${method} on an object`);
    if (!object) return this.#error(res, 404, `No such object: ${bucketName}/${name}`);
    if (url.searchParams.get('alt') === 'media') return this.#download(req, res, object);
    return this.#json(res, 200, this.#resource(bucketName, name, object));
  }

  #upload(req: IncomingMessage, res: ServerResponse, bucketName: string, url: URL, body: Buffer): void {
    const bucket = this.#buckets.get(bucketName);
    if (!bucket) return this.#error(res, 404, 'The specified bucket does not exist.');
    const type = url.searchParams.get('uploadType');
    let name = url.searchParams.get('name') ?? undefined;
    let data: Buffer;
    let contentType = 'application/octet-stream';
    if (type === 'media') {
      data = body;
      contentType = req.headers['content-type'] ?? contentType;
    } else if (type === 'multipart') {
      const boundary = /boundary=("?)([^";]+)\1/.exec(req.headers['content-type'] ?? '')?.[2];
      if (!boundary) return this.#error(res, 400, 'multipart upload without a boundary');
      const parts = parseMultipart(body, boundary);
      if (parts.length !== 2) return this.#error(res, 400, `multipart upload needs 2 parts, got ${parts.length}`);
      const meta = JSON.parse(parts[0]!.body.toString('utf8') || '{}') as { name?: string; contentType?: string; crc32c?: string; md5Hash?: string };
      name = meta.name ?? name;
      data = parts[1]!.body;
      contentType = meta.contentType ?? parts[1]!.headers['content-type'] ?? contentType;
      // As GCS does: hashes given in the metadata are checked against the received bytes.
      if (meta.crc32c !== undefined && meta.crc32c !== crc32cBase64(data)) return this.#error(res, 400, 'Provided CRC32C "…" doesn\'t match calculated CRC32C');
      if (meta.md5Hash !== undefined && meta.md5Hash !== md5Base64(data)) return this.#error(res, 400, 'Provided MD5 hash doesn\'t match calculated MD5 hash');
    } else {
      return this.#error(res, 400, `fake-gcs: unsupported uploadType ${JSON.stringify(type)} (resumable uploads are not implemented)`);
    }
    if (!name) return this.#error(res, 400, 'Required parameter: name');
    const now = new Date().toISOString();
    const previous = bucket.get(name);
    const object: StoredObject = { data: Buffer.from(data), generation: this.#generation++, contentType, created: previous?.created ?? now, updated: now };
    bucket.set(name, object);
    this.#json(res, 200, this.#resource(bucketName, name, object));
  }

  #download(req: IncomingMessage, res: ServerResponse, o: StoredObject): void {
    const size = o.data.length;
    const headers: Record<string, string> = {
      'content-type': o.contentType,
      'x-goog-hash': `crc32c=${crc32cBase64(o.data)},md5=${md5Base64(o.data)}`,
      'x-goog-stored-content-encoding': 'identity',
      'x-goog-stored-content-length': String(size),
      'x-goog-generation': String(o.generation),
      'accept-ranges': 'bytes',
    };
    const range = req.headers.range;
    if (range === undefined) {
      res.writeHead(200, { ...headers, 'content-length': String(size) });
      res.end(o.data);
      return;
    }
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (!m || (m[1] === '' && m[2] === '')) return this.#error(res, 400, `fake-gcs: unsupported Range ${range}`);
    let start: number;
    let end: number;
    if (m[1] === '') {
      start = Math.max(0, size - Number(m[2]));
      end = size - 1;
    } else {
      start = Number(m[1]);
      end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    }
    if (start >= size || end < start) {
      res.writeHead(416, { 'content-type': 'application/json; charset=UTF-8', 'content-range': `bytes */${size}` });
      res.end(JSON.stringify({ error: { code: 416, message: 'The requested range cannot be satisfied.' } }));
      return;
    }
    res.writeHead(206, { ...headers, 'content-length': String(end - start + 1), 'content-range': `bytes ${start}-${end}/${size}` });
    res.end(o.data.subarray(start, end + 1));
  }

  #list(res: ServerResponse, bucketName: string, bucket: Map<string, StoredObject>, url: URL): void {
    const prefix = url.searchParams.get('prefix') ?? '';
    const maxResults = Math.min(1000, Math.max(1, Number(url.searchParams.get('maxResults') ?? 1000) || 1000));
    const token = url.searchParams.get('pageToken');
    const after = token ? Buffer.from(token, 'base64url').toString('utf8') : undefined;
    const names = [...bucket.keys()]
      .filter((n) => n.startsWith(prefix) && (after === undefined || compareNames(n, after) > 0))
      .sort(compareNames);
    const page = names.slice(0, maxResults);
    const out: Record<string, unknown> = { kind: 'storage#objects', items: page.map((n) => this.#resource(bucketName, n, bucket.get(n)!)) };
    if (names.length > page.length) out.nextPageToken = Buffer.from(page[page.length - 1]!, 'utf8').toString('base64url');
    this.#json(res, 200, out);
  }
}

interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

/** Minimal multipart/related parser: `--B\r\nheaders\r\n\r\nbody\r\n` … `--B--`. */
function parseMultipart(body: Buffer, boundary: string): Part[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let pos = body.indexOf(delimiter);
  while (pos !== -1) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') break; // closing delimiter
    if (body.subarray(pos, pos + 2).toString() === '\r\n') pos += 2;
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), pos);
    if (next === -1) break;
    const raw = body.subarray(pos, next);
    const headerEnd = raw.indexOf('\r\n\r\n');
    const headers: Record<string, string> = {};
    const headerText = headerEnd === -1 ? '' : raw.subarray(0, headerEnd).toString('latin1');
    for (const line of headerText.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    parts.push({ headers, body: headerEnd === -1 ? raw : raw.subarray(headerEnd + 4) });
    pos = next + 2;
  }
  return parts;
}
