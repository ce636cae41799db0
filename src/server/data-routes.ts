// The orchestrator's data plane (docs/api.md "Data plane"): the bulk-byte halves of chunked uploads
// and envelope downloads as plain HTTP/1.1 bodies of frames (services/data-frames.ts), beside the
// gRPC control calls on the same port. The Repository API does the work; this only moves frames.
import { once } from 'node:events';
import { MAX_CHUNK_SIZE } from '../core/chunker.ts';
import { ENVELOPE_HEADER_SIZE } from '../core/envelope.ts';
import { UsageError } from '../core/errors.ts';
import { percentDecode, queryParams, type QueryParams } from '../core/input/utf8.ts';
import { freeView } from '../core/memory.ts';
import type { EnvelopePiece, LocalRepository, SentChunk, VersionRecord } from '../repository/repository.ts';
import { chunkFramePrefix, endFrame, FRAME_CHUNK, jsonFrame, FRAME_ERROR, FRAME_HEAD, readFrames } from '../services/data-frames.ts';
import { DATA_PREFIX, dataAuth, DataPlaneError, sendDataError, type DataRequest, type DataResponse } from '../services/data-plane.ts';

/** The largest envelope a frame may carry: the largest chunk any configuration allows, uncompressed. */
const MAX_ENVELOPE = MAX_CHUNK_SIZE + ENVELOPE_HEADER_SIZE + 64;

const UPLOAD_ROUTE = /^\/data\/v1\/uploads\/([0-9a-f-]{1,64})\/chunks$/;
const FILE_ROUTE = /^\/data\/v1\/files\/(.+)$/;

/** The version a download reads, as the head frame carries it. */
export function versionJson(v: VersionRecord): Omit<VersionRecord, 'versionId'> {
  return { name: v.name, version: v.version, size: v.size, chunkCount: v.chunkCount, codec: v.codec, createdAt: v.createdAt };
}

function intQuery(q: QueryParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (!/^\d{1,16}$/.test(v)) throw new UsageError(`${name} must be a non-negative integer`);
  return Number(v);
}

async function* uploadedChunks(req: DataRequest): AsyncGenerator<SentChunk> {
  for await (const f of readFrames(req as AsyncIterable<Uint8Array>, MAX_ENVELOPE)) {
    if (f.type !== FRAME_CHUNK) throw new UsageError('an upload body holds chunk frames only');
    yield { id: f.id, envelope: f.envelope };
  }
}

async function postChunks(repo: LocalRepository, sessionId: string, q: QueryParams, req: DataRequest, res: DataResponse): Promise<void> {
  const codec = q.get('recompress');
  const level = intQuery(q, 'level');
  const recompress = codec === null ? undefined : { codec, ...(level === undefined ? {} : { level }) };
  const r = await repo.chunked.put(sessionId, uploadedChunks(req), recompress);
  const body = JSON.stringify(r);
  res.statusCode = 200;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * Write and wait for the socket to take it (backpressure: readers far behind hold the stream);
 * `free`: the buffer is ours alone, freed once written (see core/memory.ts).
 */
async function write(res: DataResponse, data: Uint8Array, free = false): Promise<void> {
  const w = res as { write(d: Uint8Array, cb?: () => void): boolean };
  if (!w.write(data, free ? () => freeView(data) : undefined)) await once(res as NodeJS.EventEmitter, 'drain');
}

async function getEnvelopes(repo: LocalRepository, name: string, q: QueryParams, res: DataResponse): Promise<void> {
  const version = intQuery(q, 'version');
  const start = intQuery(q, 'start');
  const end = intQuery(q, 'end');
  const range = start === undefined && end === undefined ? undefined : { start: start ?? 0, ...(end === undefined ? {} : { end }) };
  const dl = await repo.downloadEnvelopes(name, { ...(version === undefined ? {} : { version }), ...(range ? { range } : {}) });
  res.statusCode = 200;
  res.setHeader('content-type', 'application/vnd.dcs.frames');
  res.setHeader('cache-control', 'no-store');
  await write(res, jsonFrame(FRAME_HEAD, { version: versionJson(dl.version), start: dl.start, length: dl.length, ...(dl.idKey ? { idKey: Buffer.from(dl.idKey).toString('base64') } : {}) }));
  try {
    const corked = res as { cork?: () => void; uncork?: () => void };
    for await (const p of dl.pieces as AsyncIterable<EnvelopePiece>) {
      // One writev for the frame's prefix and its envelope: a system call costs more here than the bytes.
      corked.cork?.();
      const prefix = write(res, chunkFramePrefix(p.id, p.skip, p.take, p.envelope.length));
      const body = write(res, p.envelope, true);
      corked.uncork?.();
      await prefix;
      await body;
    }
  } catch (err) {
    // Headers are out: the failure travels as a frame, so the client reports the real cause.
    const e = err instanceof DataPlaneError || err instanceof Error ? err : new Error(String(err));
    await write(res, jsonFrame(FRAME_ERROR, { code: 'code' in e && typeof e.code === 'string' ? e.code : 'INTERNAL', message: e.message.split('\n', 1)[0] }));
    res.end();
    return;
  }
  res.end(endFrame());
}

/**
 * The data-plane handler of an orchestrator: answers (and returns true for) paths under /data/v1/,
 * with the orchestrator's user token (bearer only: no cookies, so the web UI cannot be tricked
 * into a cross-site POST of chunks).
 */
export function orchestratorDataRoutes(repo: LocalRepository, token: string | undefined): (req: DataRequest, res: DataResponse, path: string) => boolean {
  const auth = dataAuth(token);
  return (req, res, path) => {
    if (!path.startsWith(DATA_PREFIX)) return false;
    void (async () => {
      try {
        auth(req);
        const url = req.url ?? '/';
        const q = queryParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
        const up = UPLOAD_ROUTE.exec(path);
        if (up && req.method === 'POST') return await postChunks(repo, up[1]!, q, req, res);
        const file = FILE_ROUTE.exec(path);
        if (file && req.method === 'GET') return await getEnvelopes(repo, percentDecode(file[1]!), q, res);
        throw new DataPlaneError(up || file ? 405 : 404, 'NOT_FOUND', `no data route ${req.method ?? ''} ${path}`);
      } catch (err) {
        // A body not read to the end would hold the connection; the client gets the error either way.
        if (!req.complete && !res.headersSent && req.httpVersionMajor === 1) res.setHeader('connection', 'close');
        sendDataError(res, err);
      }
    })();
    return true;
  };
}
