// A storage node's data plane: chunk objects in and out as raw HTTP/1.1 bodies, beside the
// StorageService on the same port (docs/api.md, "Data plane: storage nodes"). gRPC keeps head,
// delete, list and info; put and get skip protobuf and HTTP/2 framing (data-plane.ts says why).
//
//   PUT /data/v1/objects/{key}   body = the object, Content-Length required → 204
//   GET /data/v1/objects/{key}   → 200 with the object, or 206 for `Range: bytes=A-B` / `bytes=A-`
//
//   POST /data/v1/reads          many objects in one response (batch-reads.ts)
//
// All take the node token as a bearer token. A GET may instead carry an orchestrator's read ticket
// for that key (read-tickets.ts): how clients read a download's chunks from the nodes directly.
//
// {key} is the object key percent-encoded as ONE path segment (encodeURIComponent: `chunks%2Fab%2F…`);
// a raw `/` after the prefix is refused, so no proxy or client path normalisation can turn a key
// into another one. Keys then pass the same validateKey as every store and the gRPC service.
import { BlobNotFoundError, DcsError, errorMessage, UsageError } from '../core/errors.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { validateKey } from '../storage/keys.ts';
import { freeView } from '../core/memory.ts';
import { GcPacer } from '../engine/v8-gc-pacer.ts';
import { DATA_PREFIX, DataPlaneError, dataAuth, headerValue, readBody, sendDataError, type DataRequest, type DataResponse } from './data-plane.ts';
import { RPC_READ_MAX_BYTES } from './limits.ts';
import { TICKET_HEADER, ticketChecker } from './read-tickets.ts';
import { MAX_READS_BODY, MISSING_CODE, parseReads, READS_PATH, REFUSED_CODE } from './batch-reads.ts';
import { endFrame, FRAME_ERROR, jsonFrame, objectFrameHeader } from './data-frames.ts';

export const OBJECTS_PREFIX = `${DATA_PREFIX}objects/`;

/**
 * Largest object a storage node accepts: what still fits one GetObject message, so every object
 * stored over the data plane can be read back over gRPC too.
 */
export const STORAGE_OBJECT_MAX_BYTES = RPC_READ_MAX_BYTES - 1024;

/** A request body that sends no byte for this long is cut off (its buffer is freed, nothing stored). */
const BODY_IDLE_MS = 60_000;

/** The data-plane path of an object key. */
export function objectPath(key: string): string {
  return `${OBJECTS_PREFIX}${encodeURIComponent(key)}`;
}

/** The object key a data-plane path names, checked; a malformed or hostile one is a UsageError. */
export function keyFromPath(path: string): string {
  const segment = path.slice(OBJECTS_PREFIX.length);
  if (segment.includes('/')) throw new UsageError('object key must be percent-encoded as one path segment (encode "/" as %2F)');
  let key: string;
  try {
    key = decodeURIComponent(segment);
  } catch {
    throw new UsageError('malformed percent-encoding in the object key');
  }
  return validateKey(key);
}

/**
 * `Range: bytes=A-B` or `bytes=A-` as a BlobStore range; absent → undefined. Suffix ranges
 * (`bytes=-N`) and several ranges are refused (400): no dcs client sends them.
 */
export function parseRange(header: string | undefined): { offset: number; length: number } | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d{1,16})-(\d{0,16})$/.exec(header.trim());
  if (!m) throw new UsageError(`unsupported Range ${JSON.stringify(header.slice(0, 100))} (the data plane takes one range, bytes=A-B or bytes=A-)`);
  const first = Number(m[1]);
  const last = m[2] === '' ? Number.MAX_SAFE_INTEGER - 1 : Number(m[2]);
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) throw new UsageError(`invalid Range ${JSON.stringify(header.slice(0, 100))}`);
  return { offset: first, length: last - first + 1 };
}

export interface StorageDataPlaneOptions {
  store: BlobStore;
  /** The node token (DCS_NODE_TOKEN); undefined only when the node runs open (serverAuth checked that). */
  token: string | undefined;
  /** Largest object accepted (default STORAGE_OBJECT_MAX_BYTES). */
  maxObjectBytes?: number;
}

/** The handler a storage mount offers the node's HTTP fallback: true when it took the request. */
export function storageDataPlane(options: StorageDataPlaneOptions): (req: DataRequest, res: DataResponse, path: string) => boolean {
  const { store } = options;
  // The socket's read buffers (64 KiB each, copied into the body) die young: collecting the young
  // generation every 32 MB frees them before they pile up into V8's far costlier full collections.
  const pacer = new GcPacer(32 * 1024 * 1024);
  const auth = dataAuth(options.token);
  const ticketOk = options.token === undefined ? undefined : ticketChecker(options.token);
  /** The node token, or for a GET a read ticket for exactly this key. */
  const authorize = (req: DataRequest, key: string): void => {
    const ticket = headerValue(req, TICKET_HEADER);
    if (ticket === undefined || !ticketOk) return auth(req);
    if (req.method !== 'GET') throw new DataPlaneError(403, 'PERMISSION_DENIED', 'a read ticket allows GET only');
    if (!ticketOk(key, ticket)) throw new DataPlaneError(403, 'PERMISSION_DENIED', 'read ticket is invalid or has expired');
  };
  const maxBytes = Math.min(options.maxObjectBytes ?? STORAGE_OBJECT_MAX_BYTES, store.capabilities.maxObjectSize);

  const put = async (req: DataRequest, res: DataResponse, key: string, signal: AbortSignal, onBodyRead: () => void): Promise<void> => {
    // A body that stalls is cut off rather than holding its buffer for ever (listener.ts gives
    // requests no overall deadline: uploads through the HTTP API take as long as they take).
    req.setTimeout(BODY_IDLE_MS, () => req.destroy());
    const data = await readBody(req, maxBytes);
    req.setTimeout(0);
    onBodyRead();
    // Only a complete body reaches the store, whose put is atomic: a cut-off upload stores nothing.
    try {
      await store.put(key, data, { signal });
    } finally {
      // Freed now, not when V8 gets round to it: a node receiving 1 MiB bodies back to back spent
      // a third of its CPU in full GCs set off by the external memory piling up.
      freeView(data);
      pacer.processed(data.length);
    }
    res.statusCode = 204;
    res.end();
  };

  const get = async (req: DataRequest, res: DataResponse, key: string, signal: AbortSignal): Promise<void> => {
    const range = parseRange(headerValue(req, 'range'));
    const data = await store.get(key, { signal, ...(range ? { range } : {}) });
    if (range && data.length === 0) {
      // The range starts at or past the end (BlobStore answers that with no bytes): HTTP's 416.
      const info = await store.head(key, { signal });
      res.setHeader('content-range', `bytes */${info?.size ?? 0}`);
      throw new DataPlaneError(416, 'RANGE_NOT_SATISFIABLE', `range starts at ${range.offset}, past the end of ${key}`);
    }
    res.statusCode = range ? 206 : 200;
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader('content-length', data.length);
    // The total size is not known without another stat, and no dcs client needs it.
    if (range) res.setHeader('content-range', `bytes ${range.offset}-${range.offset + data.length - 1}/*`);
    // Sent: the socket has the bytes, so the buffer goes back at once (see put).
    res.end(data, () => freeView(data));
    pacer.processed(data.length);
  };

  /** Reads of one batch started ahead of the one being written: the disk works while the socket sends. */
  const READS_AHEAD = 4;
  const reads = async (req: DataRequest, res: DataResponse, signal: AbortSignal): Promise<void> => {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      throw new DataPlaneError(405, 'USAGE', `method ${req.method} not allowed on ${READS_PATH} (POST)`);
    }
    let tokenOk = true;
    try {
      auth(req);
    } catch (err) {
      // Without the node token every object needs its ticket (checked one by one below).
      if (!ticketOk) throw err;
      tokenOk = false;
    }
    const objects = parseReads(Buffer.from(await readBody(req, MAX_READS_BODY)).toString('utf8'));
    /** An object's bytes, or the error frame that stands for it. */
    const readOne = async (o: { key: string; ticket?: string }): Promise<{ data: Uint8Array } | { error: Buffer }> => {
      const error = (code: string, message: string): { error: Buffer } => ({ error: jsonFrame(FRAME_ERROR, { code, message }) });
      try {
        validateKey(o.key);
        if (!tokenOk && !(o.ticket !== undefined && ticketOk!(o.key, o.ticket))) return error(REFUSED_CODE, 'no node token, and no valid read ticket for this key');
        return { data: await store.get(o.key, { signal }) };
      } catch (err) {
        if (err instanceof BlobNotFoundError) return error(MISSING_CODE, `no object ${o.key}`);
        return error(err instanceof DcsError ? err.code : 'INTERNAL', errorMessage(err).split('\n', 1)[0]!);
      }
    };
    res.statusCode = 200;
    res.setHeader('content-type', 'application/vnd.dcs.frames');
    const started = objects.slice(0, READS_AHEAD).map(readOne);
    for (let i = 0; i < objects.length; i++) {
      const r = await started[i]!;
      if (i + READS_AHEAD < objects.length) started.push(readOne(objects[i + READS_AHEAD]!));
      if (signal.aborted) return;
      // Frame header and object in one writev; the object's buffer goes back once the socket has it.
      const w = res as { cork?: () => void; uncork?: () => void; write(d: Uint8Array, cb?: () => void): boolean };
      w.cork?.();
      let more: boolean;
      if ('data' in r) {
        w.write(objectFrameHeader(r.data.length));
        more = w.write(r.data, () => freeView(r.data));
      } else {
        more = w.write(r.error);
      }
      // Listening before uncork: the flush it starts may drain the socket at once.
      const drained = more ? undefined : new Promise<void>((resolve) => (res as NodeJS.EventEmitter).once('drain', resolve).once('close', resolve));
      w.uncork?.();
      if ('data' in r) pacer.processed(r.data.length);
      await drained;
    }
    res.end(endFrame());
  };

  return (req, res, path) => {
    if (path === READS_PATH) {
      const aborted = abortOnHangUp(res);
      reads(req, res, aborted.signal).catch((err: unknown) => {
        if (!req.complete && !res.headersSent && req.httpVersionMajor === 1) res.setHeader('connection', 'close');
        sendDataError(res, err);
      });
      return true;
    }
    if (!path.startsWith(OBJECTS_PREFIX)) return false;
    const aborted = abortOnHangUp(res);
    let bodyRead = req.method !== 'PUT';
    void (async () => {
      const key = keyFromPath(path);
      authorize(req, key);
      if (req.method === 'PUT') {
        await put(req, res, key, aborted.signal, () => (bodyRead = true));
      } else if (req.method === 'GET') {
        await get(req, res, key, aborted.signal);
      } else {
        res.setHeader('allow', 'GET, PUT');
        throw new DataPlaneError(405, 'USAGE', `method ${req.method} not allowed on ${OBJECTS_PREFIX}{key} (GET or PUT)`);
      }
    })().catch((err: unknown) => {
      // Refused before or while reading the body (no token, bad key, too large): close the
      // connection after the answer instead of reading up to the whole body to keep it alive.
      if (!bodyRead && !res.headersSent && req.httpVersionMajor === 1) res.setHeader('connection', 'close');
      sendDataError(res, err);
    });
    return true;
  };
}

/**
 * Aborted when the client goes away before the answer is out. Not on every close: an abort
 * builds a DOMException (a stack trace), which a node answering thousands of requests a second
 * would pay for each one that went well.
 */
function abortOnHangUp(res: DataResponse): AbortController {
  const aborted = new AbortController();
  res.once('close', () => {
    if (!(res as { writableFinished?: boolean }).writableFinished) aborted.abort();
  });
  return aborted;
}
