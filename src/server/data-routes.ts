// The orchestrator's data plane (docs/api.md "Data plane"): the bulk-byte halves of chunked uploads
// and envelope downloads as plain HTTP/1.1 bodies of frames (services/data-frames.ts), beside the
// gRPC control calls on the same port. The Repository API does the work; this only moves frames.
import { once } from 'node:events';
import { MAX_CHUNK_SIZE } from '../core/chunker.ts';
import { ENVELOPE_HEADER_SIZE } from '../core/envelope.ts';
import { UsageError } from '../core/errors.ts';
import { percentDecode, queryParams, type QueryParams } from '../core/input/utf8.ts';
import { freeView } from '../core/memory.ts';
import type { EnvelopePiece, LocalRepository, PlanPiece, SentChunk, VersionRecord } from '../repository/repository.ts';
import { chunkFramePrefix, endFrame, FRAME_CHUNK, jsonFrame, FRAME_ERROR, FRAME_HEAD, FRAME_PLAN, readFrames } from '../services/data-frames.ts';
import { DATA_PREFIX, dataAuth, DataPlaneError, sendDataError, type DataRequest, type DataResponse } from '../services/data-plane.ts';
import { TICKET_TTL_MS, type TicketSigner } from '../services/read-tickets.ts';
import { serviceBaseUrl } from '../services/transport.ts';

/** The largest envelope a frame may carry: the largest chunk any configuration allows, uncompressed. */
const MAX_ENVELOPE = MAX_CHUNK_SIZE + ENVELOPE_HEADER_SIZE + 64;

const UPLOAD_ROUTE = /^\/data\/v1\/uploads\/([0-9a-f-]{1,64})\/chunks$/;
const FILE_ROUTE = /^\/data\/v1\/files\/(.+)$/;
const PLAN_ROUTE = /^\/data\/v1\/plans\/(.+)$/;
/** Plan entries per frame: ~250 bytes each, well inside a JSON frame's 64 KiB. */
const PLAN_BATCH = 128;

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

/** Headers are out: the failure travels as a frame, so the client reports the real cause. */
async function endWithError(res: DataResponse, err: unknown): Promise<void> {
  const e = err instanceof Error ? err : new Error(String(err));
  await write(res, jsonFrame(FRAME_ERROR, { code: 'code' in e && typeof e.code === 'string' ? e.code : 'INTERNAL', message: e.message.split('\n', 1)[0] }));
  res.end();
}

function spanQuery(q: QueryParams): { version?: number; range?: { start: number; end?: number } } {
  const version = intQuery(q, 'version');
  const start = intQuery(q, 'start');
  const end = intQuery(q, 'end');
  const range = start === undefined && end === undefined ? undefined : { start: start ?? 0, ...(end === undefined ? {} : { end }) };
  return { ...(version === undefined ? {} : { version }), ...(range ? { range } : {}) };
}

async function getEnvelopes(repo: LocalRepository, name: string, q: QueryParams, res: DataResponse): Promise<void> {
  const dl = await repo.downloadEnvelopes(name, spanQuery(q));
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
    await endWithError(res, err);
    return;
  }
  res.end(endFrame());
}

/** Direct reads: the storage nodes' data-plane URLs by backend name, and the ticket signer. */
export interface DirectReads {
  signer: TicketSigner;
  /** Only storage-node backends (grpc:// and grpcs:// in dcs.yaml): no other store speaks tickets. */
  nodes: ReadonlyMap<string, string>;
}

export function directReadsOf(repo: LocalRepository, signer: TicketSigner): DirectReads {
  const nodes = new Map<string, string>();
  for (const [name, url] of repo.backendUrls) if (/^grpcs?:\/\//.test(url)) nodes.set(name, serviceBaseUrl(url));
  return { signer, nodes };
}

/**
 * A download plan (docs/api.md "Direct reads"): the version, then every chunk with the storage
 * nodes holding a healthy copy and a ticket to GET it there, in batches as the client reads on.
 * 404 when there is nothing to read directly (an encrypted repository, no storage-node backends):
 * the client then uses the envelope download.
 */
async function getPlan(repo: LocalRepository, direct: DirectReads | undefined, name: string, q: QueryParams, res: DataResponse): Promise<void> {
  const span = spanQuery(q);
  const dl = direct && direct.nodes.size > 0 ? await repo.downloadPlan(name, span) : undefined;
  if (!dl || !direct) throw new DataPlaneError(404, 'NOT_FOUND', 'no direct reads here: use the envelope download');
  const urls = [...new Set(direct.nodes.values())];
  const nodeIndex = new Map([...direct.nodes].map(([n, u]) => [n, urls.indexOf(u)]));
  res.statusCode = 200;
  res.setHeader('content-type', 'application/vnd.dcs.frames');
  res.setHeader('cache-control', 'no-store');
  await write(res, jsonFrame(FRAME_HEAD, { version: versionJson(dl.version), start: dl.start, length: dl.length, nodes: urls }));
  const entry = (p: PlanPiece, expiresAt: number): unknown => {
    const copies = p.copies.flatMap((b) => {
      const i = nodeIndex.get(b);
      return i === undefined ? [] : [[i, direct.signer.sign(p.key, expiresAt)]];
    });
    return { id: p.id, offset: p.offset, length: p.length, skip: p.skip, take: p.take, copies };
  };
  try {
    let batch: unknown[] = [];
    // Signed as each batch goes out: backpressure keeps the plan close to the client's reads.
    for await (const p of dl.pieces) {
      batch.push(entry(p, Date.now() + TICKET_TTL_MS));
      if (batch.length < PLAN_BATCH) continue;
      await write(res, jsonFrame(FRAME_PLAN, batch));
      batch = [];
    }
    if (batch.length > 0) await write(res, jsonFrame(FRAME_PLAN, batch));
  } catch (err) {
    await endWithError(res, err);
    return;
  }
  res.end(endFrame());
}

/**
 * The data-plane handler of an orchestrator: answers (and returns true for) paths under /data/v1/,
 * with the orchestrator's user token (bearer only: no cookies, so the web UI cannot be tricked
 * into a cross-site POST of chunks).
 */
export function orchestratorDataRoutes(repo: LocalRepository, token: string | undefined, direct?: DirectReads): (req: DataRequest, res: DataResponse, path: string) => boolean {
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
        const plan = PLAN_ROUTE.exec(path);
        if (plan && req.method === 'GET') return await getPlan(repo, direct, percentDecode(plan[1]!), q, res);
        throw new DataPlaneError(up || file || plan ? 405 : 404, 'NOT_FOUND', `no data route ${req.method ?? ''} ${path}`);
      } catch (err) {
        // A body not read to the end would hold the connection; the client gets the error either way.
        if (!req.complete && !res.headersSent && req.httpVersionMajor === 1) res.setHeader('connection', 'close');
        sendDataError(res, err);
      }
    })();
    return true;
  };
}
