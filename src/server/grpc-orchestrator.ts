// gRPC's OrchestratorService (proto/dcs/v1/orchestrator.proto) as a front end of the Repository
// API: it translates messages and errors, nothing more; the repository checks every request.
// Uploads arrive as a client stream (header, then bytes) and go through the same upload pipeline as
// a local put, so a broken stream aborts the session and leaves no visible version.
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { UsageError } from '../core/errors.ts';
import type { LocalRepository, SentChunk, VerifyProblem, VersionRecord } from '../repository/repository.ts';
import { OrchestratorService, type PutChunksRequest, type UploadRequest } from '../services/gen/dcs/v1/orchestrator_pb.js';
import { LIST_PAGE, STREAM_PIECE_BYTES } from '../services/limits.ts';
import { handled, toConnectError } from '../services/rpc-errors.ts';

const big = (n: number): bigint => BigInt(Math.round(n));

export function versionInfo(v: VersionRecord): { name: string; version: number; size: bigint; chunkCount: number; codec: string; createdAtMs: bigint } {
  return { name: v.name, version: v.version, size: big(v.size), chunkCount: v.chunkCount, codec: v.codec, createdAtMs: big(v.createdAt) };
}

const problems = (found: VerifyProblem[]): { kind: string; chunkId: string; backend: string; detail: string }[] =>
  found.map((p) => ({ kind: p.kind, chunkId: p.chunkId, backend: p.backend ?? '', detail: p.detail }));

/** proto3 scalars have no "absent": a version or level of 0 means unset. */
const optionalVersion = (v: number): { version?: number } => (v > 0 ? { version: v } : {});

/** The file bytes of an upload stream after its header; anything out of order is refused. */
async function* uploadBody(requests: AsyncIterator<UploadRequest>): AsyncGenerator<Uint8Array> {
  for (;;) {
    const next = await requests.next();
    if (next.done) return;
    const m = next.value.msg;
    if (m.case !== 'data') throw new UsageError('upload: only data messages may follow the header');
    if (m.value.length > 0) yield m.value;
  }
}

/** A 32-byte id on the wire as the 64-hex-character ChunkId the repository uses. */
function hexId(id: Uint8Array, what: string): string {
  if (id.length !== 32) throw new UsageError(`${what}: a chunk id is 32 bytes (got ${id.length})`);
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

/** The chunks of a PutChunks stream after its header. */
async function* sentChunks(requests: AsyncIterator<PutChunksRequest>): AsyncGenerator<SentChunk> {
  for (;;) {
    const next = await requests.next();
    if (next.done) return;
    const m = next.value.msg;
    if (m.case !== 'chunk') throw new UsageError('PutChunks: only chunk messages may follow the header');
    yield { id: hexId(m.value.id, 'PutChunks'), envelope: m.value.envelope };
  }
}

const encoding = (codec: string, level: number): { codec?: string; level?: number } => ({ ...(codec === '' ? {} : { codec }), ...(level === 0 ? {} : { level }) });

export function orchestratorServiceImpl(repo: LocalRepository): ServiceImpl<typeof OrchestratorService> {
  return {
    upload: (requests: AsyncIterable<UploadRequest>, hctx: HandlerContext) =>
      handled(async () => {
        const it = requests[Symbol.asyncIterator]();
        const first = await it.next();
        if (first.done || first.value.msg.case !== 'header') throw new UsageError('upload: the first message must be the header');
        const h = first.value.msg.value;
        hctx.signal.throwIfAborted();
        const r = await repo.upload(uploadBody(it), { name: h.name, ...encoding(h.codec, h.level) });
        return {
          version: versionInfo(r.version),
          newChunks: r.newChunks,
          newStoredBytes: big(r.newStoredBytes),
          newRawBytes: big(r.newRawBytes),
          codecs: r.codecs,
        };
      }),

    async *download(req) {
      let dl;
      try {
        const range =
          req.rangeStart === undefined && req.rangeEnd === undefined
            ? undefined
            : { start: Number(req.rangeStart ?? 0n), ...(req.rangeEnd === undefined ? {} : { end: Number(req.rangeEnd) }) };
        dl = await repo.download(req.name, { ...optionalVersion(req.version), ...(range ? { range } : {}) });
      } catch (err) {
        throw toConnectError(err);
      }
      yield { msg: { case: 'header' as const, value: { version: versionInfo(dl.version), start: big(dl.start), length: big(dl.length) } } };
      try {
        for await (const piece of dl.body) {
          for (let o = 0; o < piece.length; o += STREAM_PIECE_BYTES) {
            yield { msg: { case: 'data' as const, value: piece.subarray(o, o + STREAM_PIECE_BYTES) } };
          }
        }
      } catch (err) {
        throw toConnectError(err);
      }
    },

    stat: (req) =>
      handled(async () => {
        const s = await repo.stat(req.name, { ...optionalVersion(req.version), chunks: req.chunks });
        return {
          version: versionInfo(s.version),
          versions: s.versions,
          storedSize: big(s.storedSize),
          ratio: s.ratio,
          chunks: s.chunks,
          distinctChunks: s.distinctChunks,
          sharedChunks: s.sharedChunks,
          codecs: s.codecs,
          health: s.health,
          chunkList: (s.chunkList ?? []).map((c) => ({
            seq: c.seq,
            offset: big(c.offset),
            length: c.length,
            id: c.id,
            codec: c.codec,
            storedSize: c.storedSize,
            refcount: c.refcount,
            copies: c.copies.map((k) => ({ backend: k.backend, state: k.state, checkedAtMs: big(k.checkedAt ?? 0) })),
            health: c.health,
          })),
        };
      }),

    async *list(req) {
      let page: { name: string; version: number; versions: number; size: bigint; storedSize: bigint; createdAtMs: bigint }[] = [];
      try {
        const files = repo.list({ ...(req.prefix ? { prefix: req.prefix } : {}), ...(req.after ? { after: req.after } : {}), ...(req.limit ? { limit: req.limit } : {}) });
        for await (const f of files) {
          page.push({ name: f.name, version: f.version, versions: f.versions, size: big(f.size), storedSize: big(f.storedSize), createdAtMs: big(f.createdAt) });
          if (page.length >= LIST_PAGE) {
            yield { files: page };
            page = [];
          }
        }
      } catch (err) {
        throw toConnectError(err);
      }
      if (page.length > 0) yield { files: page };
    },

    delete: (req) =>
      handled(async () => {
        const r = await repo.remove(req.name, optionalVersion(req.version));
        return { versionsRemoved: r.versionsRemoved };
      }),

    verify: (req) =>
      handled(async () => {
        const rate = req.rateBytesPerSec ? Number(req.rateBytesPerSec) : 0;
        const r = await repo.verify({ deep: req.deep, ...(req.name ? { name: req.name } : {}), ...optionalVersion(req.version), ...(rate > 0 ? { rateBytesPerSec: rate } : {}) });
        return {
          deep: r.deep,
          chunks: big(r.chunks),
          copies: big(r.copies),
          okCopies: big(r.okCopies),
          missing: big(r.missing),
          corrupt: big(r.corrupt),
          unreachable: big(r.unreachable),
          underReplicated: big(r.underReplicated),
          lost: big(r.lost),
          orphans: big(r.orphans),
          bytesChecked: big(r.bytesChecked),
          problems: problems(r.problems),
          perBackend: r.perBackend.map((b) => ({ backend: b.backend, ok: big(b.ok), missing: big(b.missing), corrupt: big(b.corrupt), unreachable: big(b.unreachable), health: b.health })),
        };
      }),

    repair: (req) =>
      handled(async () => {
        const r = await repo.repair({ deep: req.deep });
        return { chunks: big(r.chunks), rewritten: big(r.rewritten), added: big(r.added), lost: big(r.lost), stillDegraded: big(r.stillDegraded), problems: problems(r.problems) };
      }),

    gc: (req) =>
      handled(async () => {
        const r = await repo.gc({ orphans: req.orphans ?? true, ...(req.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: Number(req.sessionTimeoutMs) } : {}) });
        return {
          sessionsExpired: big(r.sessionsExpired),
          chunksDeleted: big(r.chunksDeleted),
          bytesFreed: big(r.bytesFreed),
          orphansDeleted: big(r.orphansDeleted),
          orphanBytes: big(r.orphanBytes),
          deferred: big(r.deferred),
        };
      }),

    beginChunkedUpload: (req) =>
      handled(async () => {
        const t = await repo.chunked.begin({ name: req.name, ...encoding(req.codec, req.level) });
        const c = t.chunker;
        return {
          sessionId: t.sessionId,
          chunker: c.kind === 'fastcdc' ? { kind: c.kind, min: c.min, avg: c.avg, max: c.max } : { kind: c.kind, size: c.size },
          idKey: t.idKey ?? new Uint8Array(0),
          codec: t.encoding.codec,
          level: t.encoding.level ?? 0,
        };
      }),

    offerChunks: (req) =>
      handled(async () => {
        const chunks = req.chunks.map((c) => ({ id: hexId(c.id, 'OfferChunks'), length: c.length }));
        return { send: await repo.chunked.offer(req.sessionId, { seq: req.firstSeq, offset: Number(req.firstOffset) }, chunks) };
      }),

    putChunks: (requests: AsyncIterable<PutChunksRequest>) =>
      handled(async () => {
        const it = requests[Symbol.asyncIterator]();
        const first = await it.next();
        if (first.done || first.value.msg.case !== 'header') throw new UsageError('PutChunks: the first message must be the header');
        const h = first.value.msg.value;
        const recompress = h.recompressCodec === '' ? undefined : encoding(h.recompressCodec, h.recompressLevel);
        const r = await repo.chunked.put(h.sessionId, sentChunks(it), recompress);
        return { newChunks: r.newChunks, newStoredBytes: big(r.newStoredBytes), newRawBytes: big(r.newRawBytes), codecs: r.codecs, degraded: r.degraded };
      }),

    commitChunkedUpload: (req) =>
      handled(async () => ({ version: versionInfo(await repo.chunked.commit(req.sessionId, { name: req.name, size: Number(req.size), codec: req.codec })) })),

    abortChunkedUpload: (req) =>
      handled(async () => {
        await repo.chunked.abort(req.sessionId);
        return {};
      }),

    stats: () =>
      handled(async () => {
        const s = await repo.stats();
        return {
          files: big(s.files),
          versions: big(s.versions),
          logicalBytes: big(s.logicalBytes),
          uniqueBytes: big(s.uniqueBytes),
          storedBytes: big(s.storedBytes),
          physicalBytes: big(s.physicalBytes),
          chunks: big(s.chunks),
          reclaimableChunks: big(s.reclaimableChunks),
          reclaimableBytes: big(s.reclaimableBytes),
          dedupRatio: s.dedupRatio,
          compressionRatio: s.compressionRatio,
          perCodec: s.perCodec.map((c) => ({ codec: c.codec, chunks: big(c.chunks), rawBytes: big(c.rawBytes), storedBytes: big(c.storedBytes), ratio: c.ratio })),
          perBackend: s.perBackend.map((b) => ({ backend: b.backend, copies: big(b.copies), bytes: big(b.bytes), missing: big(b.missing), corrupt: big(b.corrupt) })),
        };
      }),
  };
}
