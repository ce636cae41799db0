// The client side of a download on the orchestrator's data plane (`dcs get --server`): the
// orchestrator streams each chunk's envelope (compressed; decrypted for us in an encrypted
// repository) and this side decompresses and verifies every chunk against its id in its own
// workers, so the wire carries compressed bytes and the orchestrator never decompresses.
// A connection lost mid-file continues on the next orchestrator from the first byte not yet
// delivered, pinned to the same version.
import type http from 'node:http';
import { MAX_CHUNK_SIZE } from '../core/chunker.ts';
import { ENVELOPE_HEADER_SIZE } from '../core/envelope.ts';
import { DcsError, FileNotFoundError, RangeNotSatisfiableError, UsageError } from '../core/errors.ts';
import { orderedMap } from '../engine/concurrency.ts';
import type { ChunkTransformer } from '../engine/chunk-transformer.ts';
import { FRAME_CHUNK, FRAME_END, FRAME_ERROR, FRAME_HEAD, readFrames, type Frame } from '../services/data-frames.ts';
import { DataPlaneError } from '../services/data-plane.ts';
import { isUnreachable, type Endpoints } from './remote-endpoints.ts';
import type { Download, VersionRecord } from './repository.ts';

type Span = { start: number; end?: number | undefined };

const MAX_ENVELOPE = MAX_CHUNK_SIZE + ENVELOPE_HEADER_SIZE + 64;
/** Chunks decoded ahead of the one being handed out. */
const READ_AHEAD = 8;

interface Head {
  version: VersionRecord;
  start: number;
  length: number;
  idKey?: Uint8Array;
}

function parseHead(json: unknown): Head {
  const h = json as { version?: Omit<VersionRecord, 'versionId'>; start?: unknown; length?: unknown; idKey?: unknown };
  const v = h.version;
  if (!v || typeof v.name !== 'string' || typeof v.version !== 'number' || typeof h.start !== 'number' || typeof h.length !== 'number') throw new DcsError('PROTOCOL', 'orchestrator sent a malformed download head');
  return { version: { ...v, versionId: 0 }, start: h.start, length: h.length, ...(typeof h.idKey === 'string' ? { idKey: Buffer.from(h.idKey, 'base64') } : {}) };
}

/** An error the orchestrator reported, as the typed error a local repository throws. */
function remoteError(code: string, message: string, name: string): Error {
  if (code === 'FILE_NOT_FOUND') return new FileNotFoundError(name);
  if (code === 'RANGE_NOT_SATISFIABLE') return new RangeNotSatisfiableError(message, 0);
  if (code === 'USAGE' || code === 'UNKNOWN_CODEC') return new UsageError(message, code);
  return new DcsError(code, message);
}

/** Returns undefined when the orchestrator has no data plane (a gRPC-only proxy): use gRPC Download. */
export async function envelopeDownload(
  endpoints: Endpoints,
  transformerFor: (idKey: Uint8Array | undefined) => ChunkTransformer,
  name: string,
  request: { version?: number | undefined; range?: Span | undefined },
): Promise<Download | undefined> {
  const open = async (version: number | undefined, range: Span | undefined): Promise<{ head: Head; frames: AsyncGenerator<Frame> } | undefined> => {
    const q = new URLSearchParams();
    if (version !== undefined) q.set('version', String(version));
    if (range) {
      q.set('start', String(range.start));
      if (range.end !== undefined) q.set('end', String(range.end));
    }
    let res: http.IncomingMessage;
    try {
      res = await endpoints.call((e) => e.data.call({ method: 'GET', path: `/data/v1/files/${encodeURIComponent(name)}?${q}` }));
    } catch (err) {
      if (err instanceof DataPlaneError && err.status === 404 && err.code === 'NOT_FOUND') return undefined;
      if (err instanceof DataPlaneError) throw remoteError(err.code, err.message, name);
      throw err;
    }
    const frames = readFrames(res as AsyncIterable<Uint8Array>, MAX_ENVELOPE);
    const first = await frames.next();
    if (first.done) throw new DcsError('PROTOCOL', 'orchestrator ended the download before its head');
    if (first.value.type === FRAME_ERROR) throw remoteError(first.value.code, first.value.message, name);
    if (first.value.type !== FRAME_HEAD) throw new DcsError('PROTOCOL', 'orchestrator sent no download head');
    return { head: parseHead(first.value.json), frames };
  };

  const opened = await open(request.version, request.range);
  if (!opened) return undefined;
  const { head } = opened;
  const transformer = transformerFor(head.idKey);
  const end = head.start + head.length - 1;

  async function* body(): AsyncGenerator<Uint8Array> {
    let frames = opened!.frames;
    let delivered = 0;
    for (;;) {
      try {
        const chunks = (async function* () {
          for await (const f of frames) {
            if (f.type === FRAME_CHUNK) yield f;
            else if (f.type === FRAME_END) return;
            else if (f.type === FRAME_ERROR) throw remoteError(f.code, f.message, name);
            else throw new DcsError('PROTOCOL', 'unexpected frame in a download');
          }
          throw new DcsError('PROTOCOL', 'download ended without its end frame (connection cut)');
        })();
        const decoded = orderedMap(chunks, READ_AHEAD, async (f) => {
          const plain = await transformer.decode(f.envelope, f.id);
          if (f.skip + f.take > plain.length) throw new DcsError('PROTOCOL', `chunk ${f.id.slice(0, 12)}…: wanted bytes beyond its end`);
          return f.skip === 0 && f.take === plain.length ? plain : plain.subarray(f.skip, f.skip + f.take);
        });
        for await (const piece of decoded) {
          const n = piece.length;
          yield piece;
          delivered += n;
        }
        if (delivered !== head.length) throw new DcsError('PROTOCOL', `download delivered ${delivered} of ${head.length} bytes`);
        return;
      } catch (err) {
        const cut = isUnreachable(err) || (err instanceof DcsError && err.code === 'PROTOCOL' && /connection cut|inside a frame/.test(err.message));
        if (!cut || !endpoints.next(endpoints.current)) throw err;
        // The rest of the same version from the next orchestrator.
        const again = await open(head.version.version, { start: head.start + delivered, end });
        if (!again) throw err;
        frames = again.frames;
      }
    }
  }
  return { version: head.version, start: head.start, length: head.length, body: body() };
}
