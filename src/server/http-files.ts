// /api/v1/files and /api/v1/stat: streamed uploads, downloads with ranges and validators, listing
// with folders and pagination, stat, delete. Bodies stream both ways: memory does not grow with
// file size.
import http from 'node:http';
import { freeView } from '../core/memory.ts';
import { RangeNotSatisfiableError, UsageError } from '../core/errors.ts';
import type { QueryParams } from '../core/input/utf8.ts';
import type { EncodingRequest, FileSummary, VersionRecord } from '../repository/repository.ts';
import type { ApiContext } from './http-context.ts';
import { previewCsp, previewType } from './preview-types.ts';
import { contentDisposition, etagMatches, HttpError, header, integerParam, intParam, limitBody, parseRangeHeader, sendJson, type Req, type Res } from './http-util.ts';

/** After every name with this prefix (C/byte order): U+10FFFF is the greatest code point. */
const PAST = '\u{10FFFF}';
const MAX_PAGE = 1000;

const ratio = (size: number, stored: number): number => (stored === 0 ? 0 : size / stored);

export function etagOf(v: VersionRecord): string {
  return `"v${v.versionId}-${v.size}"`;
}

export function summaryJson(f: FileSummary): Record<string, unknown> {
  return { name: f.name, version: f.version, versions: f.versions, size: f.size, storedSize: f.storedSize, ratio: ratio(f.size, f.storedSize), createdAt: f.createdAt };
}

export function versionJson(v: VersionRecord): Record<string, unknown> {
  return { version: v.version, size: v.size, chunkCount: v.chunkCount, codec: v.codec, createdAt: v.createdAt, etag: etagOf(v) };
}

/** `?codec=&level=` as the request gives them; the repository checks the pair. */
export function codecParams(params: QueryParams): EncodingRequest {
  const codec = params.get('codec');
  const level = integerParam(params, 'level');
  return { ...(codec ? { codec } : {}), ...(level === undefined ? {} : { level }) };
}

/** `{name, version, size, storedSize, ratio, chunks, newChunks, newStoredBytes, codecs}` of a committed version. */
export async function uploadResultJson(api: ApiContext, v: VersionRecord, written?: { newChunks: number; newStoredBytes: number; codecs: Record<string, number> }): Promise<Record<string, unknown>> {
  const s = await api.repo.stat(v.name, { version: v.version });
  return {
    name: v.name,
    version: v.version,
    size: v.size,
    storedSize: s.storedSize,
    ratio: ratio(v.size, s.storedSize),
    chunks: v.chunkCount,
    // Resumable uploads do not track what each part wrote: count the chunks only this version has.
    newChunks: written?.newChunks ?? s.distinctChunks - s.sharedChunks,
    newStoredBytes: written?.newStoredBytes ?? 0,
    codecs: written?.codecs ?? s.codecs,
  };
}

export async function listFiles(api: ApiContext, res: Res, params: QueryParams): Promise<void> {
  const prefix = params.get('prefix') ?? '';
  const delimiter = params.get('delimiter') ?? '';
  if (delimiter !== '' && delimiter !== '/') throw new UsageError('delimiter must be "/"');
  const q = (params.get('q') ?? '').toLowerCase();
  const limit = intParam(params, 'limit', { min: 1, max: MAX_PAGE }) ?? 100;
  const files: Record<string, unknown>[] = [];
  const folders: string[] = [];
  let cursor = params.get('after') ?? undefined;
  let next: string | undefined;
  // A search lists matching names flat; otherwise names below a `/` collapse into their folder,
  // and the scan jumps past the folder's names.
  const grouping = delimiter === '/' && q === '';
  scan: for (;;) {
    let jumped = false;
    for await (const f of api.repo.list({ prefix, ...(cursor === undefined ? {} : { after: cursor }) })) {
      const rest = f.name.slice(prefix.length);
      const slash = grouping ? rest.indexOf('/') : -1;
      const folder = slash >= 0 ? prefix + rest.slice(0, slash + 1) : undefined;
      if (!folder && q !== '' && !f.name.toLowerCase().includes(q)) continue;
      if (files.length + folders.length >= limit) {
        next = cursor;
        break scan;
      }
      if (folder) {
        folders.push(folder);
        cursor = folder + PAST;
        jumped = true;
        break;
      }
      files.push(summaryJson(f));
      cursor = f.name;
    }
    if (!jumped) break;
  }
  sendJson(res, 200, { files, folders, ...(next === undefined ? {} : { next }) });
}

export async function putFile(api: ApiContext, req: Req, res: Res, name: string, params: QueryParams): Promise<void> {
  const length = Number(header(req, 'content-length'));
  // A small body (the web UI's everyday upload) is chunked inline, without starting a chunking worker.
  const r = await api.repo.upload(limitBody(req, api.limits.maxUploadBytes), { name, ...codecParams(params), ...(Number.isSafeInteger(length) && length >= 0 ? { sizeHint: length } : {}) });
  sendJson(res, 201, await uploadResultJson(api, r.version, r));
}

export async function deleteFile(api: ApiContext, res: Res, name: string, params: QueryParams): Promise<void> {
  const { versionsRemoved } = await api.repo.remove(name, { version: integerParam(params, 'version') });
  sendJson(res, 200, { removed: versionsRemoved });
}

/** GET and HEAD of a file: validators first, then the (ranged) body streamed with backpressure. */
export async function getFile(api: ApiContext, req: Req, res: Res, name: string, params: QueryParams): Promise<void> {
  // ?inline=1: a preview, for the types preview-types.ts allows; everything else downloads.
  const preview = params.get('inline') === '1' ? previewType(name) : undefined;
  if (params.get('inline') === '1' && !preview) throw new HttpError(415, 'NOT_PREVIEWABLE', `${JSON.stringify(name.slice(name.lastIndexOf('/') + 1))} has no preview (images, text, PDF, audio and video do)`);
  const version = await api.repo.resolveVersion(name, integerParam(params, 'version'));
  const etag = etagOf(version);
  res.setHeader('etag', etag);
  res.setHeader('last-modified', new Date(version.createdAt).toUTCString());
  res.setHeader('accept-ranges', 'bytes');
  res.setHeader('cache-control', 'private, no-cache');
  res.setHeader('x-content-type-options', 'nosniff');
  // User content is never rendered by the browser as a page of this origin.
  res.setHeader('content-security-policy', preview ? previewCsp(preview.kind) : "default-src 'none'; sandbox");
  res.setHeader('content-disposition', contentDisposition(name, preview ? 'inline' : 'attachment'));
  res.setHeader('x-dcs-version', String(version.version));
  if (etagMatches(header(req, 'if-none-match'), etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  const ifRange = header(req, 'if-range');
  const range = ifRange !== undefined && !etagMatches(ifRange, etag) ? undefined : parseRangeHeader(header(req, 'range'));
  // Nothing is read until the body is iterated (a HEAD never is).
  const d = await api.repo.download(name, { version: version.version, range }).catch((err: unknown) => {
    if (err instanceof RangeNotSatisfiableError) res.setHeader('content-range', `bytes */${err.size}`);
    throw err;
  });
  res.setHeader('content-type', preview?.contentType ?? 'application/octet-stream');
  if (range) {
    res.statusCode = 206;
    res.setHeader('content-range', `bytes ${d.start}-${d.start + d.length - 1}/${version.size}`);
  } else {
    res.statusCode = 200;
  }
  res.setHeader('content-length', d.length);
  if (req.method === 'HEAD' || d.length === 0) {
    res.end();
    return;
  }
  await writeBody(res, d.body);
}

/**
 * Send a download's pieces with backpressure, stopping when the client goes away. Over HTTP/1.1 each
 * piece waits for its write callback (the bytes are then in the kernel, or encrypted into OpenSSL's
 * buffers) and is freed at once instead of being left, with hundreds of MB of others, for V8's full
 * collections. HTTP/2 hands pieces to nghttp2 by reference, so those are left to the GC.
 */
export async function writeBody(res: Res, body: AsyncIterable<Uint8Array>): Promise<void> {
  const out = res as NodeJS.WritableStream & NodeJS.EventEmitter;
  const free = res instanceof http.ServerResponse;
  let gone = false;
  let wake: (() => void) | undefined;
  // One listener of each for the whole body (a once() per wait would pile up on the response).
  const onClose = (): void => {
    gone = true;
    wake?.();
  };
  const onDrain = (): void => wake?.();
  out.on('close', onClose);
  out.on('drain', onDrain);
  const until = (start: (done: () => void) => void): Promise<void> =>
    new Promise<void>((resolve) => {
      wake = resolve;
      start(resolve);
    }).finally(() => (wake = undefined));
  try {
    for await (const part of body) {
      if (gone) return; // the client went away: stop reading chunks (the generator's finally runs)
      if (free) {
        let written = false;
        await until((done) =>
          out.write(part, (err?: Error | null) => {
            written = !err;
            done();
          }),
        );
        // Only a completed write is done with the bytes (a close may wake us while one is pending).
        if (written) freeView(part);
      } else if (!out.write(part)) {
        await until(() => {});
      }
    }
    if (!gone) out.end();
  } finally {
    out.off('close', onClose);
    out.off('drain', onDrain);
  }
}

export async function statFile(api: ApiContext, res: Res, name: string, params: QueryParams): Promise<void> {
  const chunkLimit = intParam(params, 'chunkLimit', { max: 100_000 }) ?? 10_000;
  const s = await api.repo.stat(name, { version: integerParam(params, 'version'), chunks: true });
  const [versions, access, backends] = await Promise.all([api.repo.versions(name), api.repo.analytics.fileAccess(name), api.repo.backends()]);
  const list = s.chunkList ?? [];
  sendJson(res, 200, {
    name,
    version: versionJson(s.version),
    size: s.version.size,
    storedSize: s.storedSize,
    ratio: ratio(s.version.size, s.storedSize),
    chunkCount: s.chunks,
    uniqueChunks: s.distinctChunks,
    sharedChunks: s.sharedChunks,
    codecs: s.codecs,
    health: s.health,
    versions: versions.map(versionJson),
    chunks: list.slice(0, chunkLimit).map((c) => ({
      seq: c.seq,
      offset: c.offset,
      length: c.length,
      id: c.id,
      storedSize: c.storedSize,
      codec: c.codec,
      refcount: c.refcount,
      health: c.health,
      copies: c.copies.map((k) => ({ ...k, up: backends.get(k.backend)?.up ?? false })),
    })),
    chunksTruncated: list.length > chunkLimit,
    access: access ?? { name, uploads: 0, downloads: 0, bytesIn: 0, bytesOut: 0, lastAccessAt: 0 },
  });
}
