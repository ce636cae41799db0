// The client side of a download on the orchestrator's data plane (`dcs get --server`): the
// orchestrator streams each chunk's envelope (compressed; decrypted for us in an encrypted
// repository) and this side decompresses and verifies every chunk against its id in its own
// workers, so the wire carries compressed bytes and the orchestrator never decompresses.
// A connection lost mid-file continues on the next orchestrator from the first byte not yet
// delivered, pinned to the same version.
//
// Direct reads (planDownload): in an unencrypted repository on storage nodes the orchestrator
// hands out a plan instead — every chunk with the nodes holding it and a ticket for each — and
// this side reads the chunks from the nodes itself, so a download's bytes cross one hop, not two.
// A chunk no node gives back intact is read through the orchestrator, which heals its copies.
import type http from 'node:http';
import { MAX_CHUNK_SIZE } from '../core/chunker.ts';
import { ENVELOPE_HEADER_SIZE } from '../core/envelope.ts';
import { DcsError, FileNotFoundError, RangeNotSatisfiableError, UsageError } from '../core/errors.ts';
import { orderedMap } from '../engine/concurrency.ts';
import type { ChunkTransformer } from '../engine/chunk-transformer.ts';
import { chunkKey } from '../storage/blob-store.ts';
import { FRAME_CHUNK, FRAME_END, FRAME_ERROR, FRAME_HEAD, FRAME_PLAN, readFrames, type Frame } from '../services/data-frames.ts';
import { contentLength, DataPlaneClient, DataPlaneError, isConnectionFailure, readExactly } from '../services/data-plane.ts';
import { TICKET_HEADER } from '../services/read-tickets.ts';
import { READ_OK, READS_PATH, readOutcomes, type ObjectRead, type ReadOutcome } from '../services/batch-reads.ts';
import type { ClientOptions } from '../services/transport.ts';
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

/** A frame stream that ended early because the connection was cut (another orchestrator may go on). */
function isCut(err: unknown): boolean {
  return isUnreachable(err) || (err instanceof DcsError && err.code === 'PROTOCOL' && /connection cut|inside a frame/.test(err.message));
}

/** Open a frame stream of the orchestrator's data plane; undefined when it answers 404 NOT_FOUND. */
async function openFrames(endpoints: Endpoints, path: string, name: string): Promise<{ head: unknown; frames: AsyncGenerator<Frame> } | undefined> {
  let res: http.IncomingMessage;
  try {
    res = await endpoints.call((e) => e.data.call({ method: 'GET', path }));
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
  return { head: first.value.json, frames };
}

function spanQuery(version: number | undefined, range: Span | undefined): string {
  const q = new URLSearchParams();
  if (version !== undefined) q.set('version', String(version));
  if (range) {
    q.set('start', String(range.start));
    if (range.end !== undefined) q.set('end', String(range.end));
  }
  return q.toString();
}

/** Returns undefined when the orchestrator has no data plane (a gRPC-only proxy): use gRPC Download. */
export async function envelopeDownload(
  endpoints: Endpoints,
  transformerFor: (idKey: Uint8Array | undefined) => ChunkTransformer,
  name: string,
  request: { version?: number | undefined; range?: Span | undefined },
): Promise<Download | undefined> {
  const open = async (version: number | undefined, range: Span | undefined): Promise<{ head: Head; frames: AsyncGenerator<Frame> } | undefined> => {
    const opened = await openFrames(endpoints, `/data/v1/files/${encodeURIComponent(name)}?${spanQuery(version, range)}`, name);
    return opened && { head: parseHead(opened.head), frames: opened.frames };
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
        if (!isCut(err) || !endpoints.next(endpoints.current)) throw err;
        // The rest of the same version from the next orchestrator.
        const again = await open(head.version.version, { start: head.start + delivered, end });
        if (!again) throw err;
        frames = again.frames;
      }
    }
  }
  return { version: head.version, start: head.start, length: head.length, body: body() };
}

/** One chunk of a plan: its place in the file, the bytes wanted, and [node index, ticket] per copy. */
interface PlanEntry {
  id: string;
  offset: number;
  length: number;
  skip: number;
  take: number;
  copies: [number, string][];
}

function parsePlanBatch(json: unknown): PlanEntry[] {
  if (!Array.isArray(json)) throw new DcsError('PROTOCOL', 'orchestrator sent a malformed plan frame');
  for (const e of json as PlanEntry[]) {
    if (typeof e?.id !== 'string' || ![e.offset, e.length, e.skip, e.take].every(Number.isSafeInteger) || !Array.isArray(e.copies)) throw new DcsError('PROTOCOL', 'orchestrator sent a malformed plan entry');
  }
  return json as PlanEntry[];
}

/** Chunks asked for together (one request per node), and groups in flight: ~16 chunks decoded ahead at most. */
const PLAN_GROUP = 8;
const GROUPS_AHEAD = 2;

async function* groups<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let group: T[] = [];
  for await (const item of items) {
    group.push(item);
    if (group.length < size) continue;
    yield group;
    group = [];
  }
  if (group.length > 0) yield group;
}

/** A node that failed to connect is left out for the rest of the client's life for this long. */
const NODE_DOWN_MS = 30_000;
/** Inactivity limit of a direct read: a silent node costs this long once, then its copies come second. */
const NODE_IDLE_MS = 10_000;

/**
 * The storage-node side of direct reads: a keep-alive data-plane client per node URL (the user's
 * TLS trust, never the user's token: tickets are the only credential sent), and which nodes
 * recently failed to answer.
 */
export class NodeReaders {
  readonly #options: ClientOptions;
  readonly #clients = new Map<string, DataPlaneClient>();
  readonly #downUntil = new Map<string, number>();

  constructor(options: ClientOptions) {
    const { token: _token, ...rest } = options;
    this.#options = { ...rest, timeoutMs: NODE_IDLE_MS };
  }

  isDown(url: string): boolean {
    return (this.#downUntil.get(url) ?? 0) > Date.now();
  }

  /** An object's bytes from the node at `url`, authorized by `ticket`. */
  async get(url: string, key: string, ticket: string): Promise<Uint8Array> {
    const client = this.#client(url);
    try {
      const res = await client.call({ method: 'GET', path: `/data/v1/objects/${encodeURIComponent(key)}`, ...(ticket ? { headers: { [TICKET_HEADER]: ticket } } : {}) });
      return await readExactly(res, contentLength(res));
    } catch (err) {
      if (isConnectionFailure(err)) this.#downUntil.set(url, Date.now() + NODE_DOWN_MS);
      throw err;
    }
  }

  /** Several objects from the node at `url` in one request, each with its ticket. */
  async getMany(url: string, reads: readonly ObjectRead[]): Promise<ReadOutcome[]> {
    const client = this.#client(url);
    const body = Buffer.from(JSON.stringify({ objects: reads.map((r) => (r.ticket ? r : { key: r.key })) }), 'utf8');
    try {
      const res = await client.call({ method: 'POST', path: READS_PATH, headers: { 'content-type': 'application/json' }, body });
      return await readOutcomes(res as AsyncIterable<Uint8Array>, reads.length, MAX_ENVELOPE);
    } catch (err) {
      if (isConnectionFailure(err)) this.#downUntil.set(url, Date.now() + NODE_DOWN_MS);
      throw err;
    }
  }

  #client(url: string): DataPlaneClient {
    let client = this.#clients.get(url);
    if (!client) this.#clients.set(url, (client = new DataPlaneClient(url, this.#options)));
    return client;
  }

  close(): void {
    for (const c of this.#clients.values()) c.close();
    this.#clients.clear();
  }
}

/**
 * A download read from the storage nodes directly; undefined when the orchestrator offers no plan
 * (an encrypted repository, no storage nodes, an older dcs): use envelopeDownload.
 */
export async function planDownload(
  endpoints: Endpoints,
  nodes: NodeReaders,
  transformerFor: (idKey: Uint8Array | undefined) => ChunkTransformer,
  name: string,
  request: { version?: number | undefined; range?: Span | undefined },
): Promise<Download | undefined> {
  const open = (version: number | undefined, range: Span | undefined) => openFrames(endpoints, `/data/v1/plans/${encodeURIComponent(name)}?${spanQuery(version, range)}`, name);
  const opened = await open(request.version, request.range);
  if (!opened) return undefined;
  const head = parseHead(opened.head);
  const urls = (opened.head as { nodes?: unknown }).nodes;
  if (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string')) throw new DcsError('PROTOCOL', 'orchestrator sent a plan without its nodes');
  const transformer = transformerFor(undefined);
  const end = head.start + head.length - 1;

  /** The plan's entries in order; a plan cut off goes on from the next orchestrator. */
  async function* entries(): AsyncGenerator<PlanEntry> {
    let frames = opened!.frames;
    let next = head.start;
    for (;;) {
      try {
        for await (const f of frames) {
          if (f.type === FRAME_PLAN) {
            for (const e of parsePlanBatch(f.json)) {
              yield e;
              next = e.offset + e.skip + e.take;
            }
          } else if (f.type === FRAME_END) return;
          else if (f.type === FRAME_ERROR) throw remoteError(f.code, f.message, name);
          else throw new DcsError('PROTOCOL', 'unexpected frame in a download plan');
        }
        throw new DcsError('PROTOCOL', 'plan ended without its end frame (connection cut)');
      } catch (err) {
        if (!isCut(err) || next > end || !endpoints.next(endpoints.current)) throw err;
        const again = await open(head.version.version, { start: next, end });
        if (!again) throw err;
        frames = again.frames;
      }
    }
  }

  /** The chunk through the orchestrator, which tries every copy, decodes shards and heals. */
  const viaOrchestrator = async (e: PlanEntry): Promise<Uint8Array> => {
    const start = e.offset + e.skip;
    const dl = await envelopeDownload(endpoints, transformerFor, name, { version: head.version.version, range: { start, end: start + e.take - 1 } });
    if (!dl) throw new DcsError('PROTOCOL', 'orchestrator offered a plan but no envelope download');
    const parts: Uint8Array[] = [];
    for await (const p of dl.body) parts.push(p);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  };

  const wanted = (e: PlanEntry, plain: Uint8Array): Uint8Array => {
    if (e.skip + e.take > plain.length) throw new DcsError('PROTOCOL', `chunk ${e.id.slice(0, 12)}…: wanted bytes beyond its end`);
    return e.skip === 0 && e.take === plain.length ? plain : plain.subarray(e.skip, e.skip + e.take);
  };
  /** A chunk's envelope checked against its id; a corrupt copy goes to the orchestrator, which rewrites it. */
  const decoded = async (e: PlanEntry, envelope: Uint8Array): Promise<Uint8Array> => {
    let plain: Uint8Array;
    try {
      plain = await transformer.decode(envelope, e.id);
    } catch {
      return viaOrchestrator(e);
    }
    return wanted(e, plain);
  };
  /** The copies from `from` on, one request each, and then the orchestrator. */
  const readSingly = async (e: PlanEntry, from: number): Promise<Uint8Array> => {
    for (const [i, ticket] of e.copies.slice(from)) {
      const url = urls[i];
      if (typeof url !== 'string' || nodes.isDown(url)) continue;
      try {
        return await decoded(e, await nodes.get(url, chunkKey(e.id), ticket));
      } catch (err) {
        // Gone or silent: the next copy. Any answer (missing, refused ticket) is the orchestrator's to sort out.
        if (isConnectionFailure(err)) continue;
        break;
      }
    }
    return viaOrchestrator(e);
  };
  /**
   * A group of chunks: one batched request to each node for the chunks it holds the first
   * reachable copy of. A node that cannot be reached leaves its chunks to their next copies.
   */
  const readGroup = async (group: PlanEntry[]): Promise<Uint8Array[]> => {
    const choice = group.map((e) => e.copies.findIndex(([i]) => typeof urls[i] === 'string' && !nodes.isDown(urls[i])));
    const byNode = new Map<string, number[]>();
    group.forEach((e, k) => {
      if (choice[k]! < 0) return;
      const url = urls[e.copies[choice[k]!]![0]] as string;
      byNode.set(url, [...(byNode.get(url) ?? []), k]);
    });
    const got: (ReadOutcome | 'unreachable' | undefined)[] = Array.from({ length: group.length });
    await Promise.all(
      [...byNode].map(async ([url, ks]) => {
        try {
          const outcomes = await nodes.getMany(url, ks.map((k) => ({ key: chunkKey(group[k]!.id), ticket: group[k]!.copies[choice[k]!]![1] })));
          outcomes.forEach((o, j) => (got[ks[j]!] = o));
        } catch (err) {
          for (const k of ks) got[k] = isConnectionFailure(err) ? 'unreachable' : undefined;
        }
      }),
    );
    return Promise.all(
      group.map((e, k) => {
        const o = got[k];
        if (o && o !== 'unreachable' && o.status === READ_OK) return decoded(e, o.data);
        // Not reachable: the next copies. Answered otherwise (missing, refused): the orchestrator.
        return o === 'unreachable' || choice[k]! < 0 ? readSingly(e, choice[k]! + 1) : viaOrchestrator(e);
      }),
    );
  };

  async function* body(): AsyncGenerator<Uint8Array> {
    let delivered = 0;
    for await (const pieces of orderedMap(groups(entries(), PLAN_GROUP), GROUPS_AHEAD, readGroup)) {
      for (const piece of pieces) {
        const n = piece.length;
        yield piece;
        delivered += n;
      }
    }
    if (delivered !== head.length) throw new DcsError('PROTOCOL', `download delivered ${delivered} of ${head.length} bytes`);
  }
  return { version: head.version, start: head.start, length: head.length, body: body() };
}
