// Resumable uploads: a metadata session that outlives requests, fed part by part (in any order,
// any part again), then completed. Each part is chunked on its own as it arrives, so chunk
// boundaries restart at every part boundary; completion re-chunks the few chunks around each
// boundary from the last cut the whole stream would also have made, until the part's own cuts
// agree with the stream's again. The version therefore consists of exactly the chunks a single
// streamed upload of the same bytes makes: uploading in parts costs no deduplication. The chunks
// the parts were first stored as and the version does not use are reclaimed once it is
// committed, so the repository does not keep them until the next gc either.
import type { ChunkerParams } from '../core/chunker.ts';
import { parseCodecChoice, type CodecChoice } from '../core/codecs.ts';
import { ChunkUnavailableError, DcsError, errorMessage } from '../core/errors.ts';
import type { PartChunk, ResumableUpload, StagedChunk, VersionRecord } from '../metadata/metadata-store.ts';
import type { ChunkInput, ChunkSource, IdentifiedChunk } from './chunk-source.ts';
import { readChunk } from './chunk-reader.ts';
import { reclaimChunks } from './reclaim.ts';
import type { EngineContext } from './context.ts';
import { ingest, warnDegraded, withHeartbeat, type UploadProgress } from './upload.ts';

/** gc drops a resumable upload idle this long (parts already sent become garbage). */
export const RESUMABLE_TIMEOUT_MS = 24 * 60 * 60 * 1000;

export async function beginResumableUpload(ctx: EngineContext, options: { name: string; codec?: CodecChoice; level?: number; attributes?: string }): Promise<string> {
  const codec = options.codec ?? ctx.compression.codec;
  const level = options.level ?? (options.codec === undefined ? ctx.compression.level : undefined);
  const { sessionId } = await ctx.metadata.beginResumableUpload(options.name, { codec, ...(level === undefined ? {} : { level }), ...(options.attributes === undefined ? {} : { attributes: options.attributes }) });
  return sessionId;
}

export async function resumableUpload(ctx: EngineContext, sessionId: string): Promise<ResumableUpload> {
  const session = await ctx.metadata.getResumableUpload(sessionId);
  if (!session) throw new DcsError('UPLOAD_NOT_FOUND', `no resumable upload ${JSON.stringify(sessionId)} (unknown, completed, aborted or expired)`);
  return session;
}

/** The session's codec was checked when it began; parsing it again turns a damaged row into a clear error. */
const encodingOf = (session: ResumableUpload): { codec: CodecChoice; level: number | undefined } => ({ codec: parseCodecChoice(session.codec), level: session.level });

export interface PartResult {
  part: number;
  size: number;
  chunks: number;
  newChunks: number;
  newStoredBytes: number;
}

/**
 * Store one part: its chunks are written and recorded before the part is staged, so a part either
 * counts whole or not at all. A failed part leaves the session usable; send it again.
 */
export interface PartOptions {
  onProgress?: (p: UploadProgress) => void;
  /** Recorded with the part, asked for once its bytes have ended (the S3 API: their MD5). */
  etag?: () => string;
  /** The part's size where the request says it: small parts are chunked inline. */
  sizeHint?: number;
}

export async function uploadPart(ctx: EngineContext, sessionId: string, part: number, input: ChunkInput, options: PartOptions = {}): Promise<PartResult> {
  const { onProgress } = options;
  const session = await resumableUpload(ctx, sessionId);
  const entries: PartChunk[] = [];
  const ingested = await withHeartbeat(ctx, sessionId, () =>
    ingest(ctx, sessionId, input, encodingOf(session), async (staged) => {
      for (const e of staged) entries.push({ offset: e.offset, length: e.length, id: e.id });
    }, onProgress, options.sizeHint),
  );
  await ctx.metadata.stagePart(sessionId, part, ingested.size, entries, options.etag?.());
  warnDegraded(ctx, session.name, ingested.degraded);
  return { part, size: ingested.size, chunks: ingested.chunks, newChunks: ingested.newChunks, newStoredBytes: ingested.newStoredBytes };
}

export async function abortResumableUpload(ctx: EngineContext, sessionId: string): Promise<void> {
  await resumableUpload(ctx, sessionId);
  await ctx.metadata.abortUpload(sessionId);
}

/** A chunk of some part, at its offset in the whole file. */
interface Extent {
  offset: number;
  length: number;
  id: string;
}

const endOf = (e: Extent): number => e.offset + e.length;

/** Assigns sequence numbers and stages in batches (memory bounded by the batch). */
class Stager {
  #seq = 0;
  #batch: StagedChunk[] = [];
  readonly #stage: (entries: StagedChunk[]) => Promise<void>;

  constructor(stage: (entries: StagedChunk[]) => Promise<void>) {
    this.#stage = stage;
  }

  async add(e: Extent): Promise<void> {
    this.#batch.push({ seq: this.#seq++, offset: e.offset, length: e.length, id: e.id });
    if (this.#batch.length >= 256) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    await this.#stage(batch);
  }
}

export interface CompletionReport {
  version: VersionRecord;
  /** Chunks made at completion where part boundaries had cut the stream's chunks. */
  rechunked: number;
}

/**
 * What a completion says it completes: the parts by number (each, optionally, with its size) and
 * or their total size. Whatever is named must be exactly what was stored.
 */
export interface CompletionTerms {
  size?: number;
  parts?: readonly { part: number; size?: number }[];
  /**
   * The version is made of the named parts alone, in their order; parts stored but not named are
   * dropped and numbers may have gaps (S3's CompleteMultipartUpload). Without it every stored part
   * must be named, numbered 1..N.
   */
  namedOnly?: boolean;
  /** The version's attributes (else those the upload began with). */
  attributes?: string;
}

/** Commit parts 1..N as the next version of the upload's name (see the comment at the top). */
export async function completeResumableUpload(ctx: EngineContext, sessionId: string, terms: CompletionTerms = {}): Promise<CompletionReport> {
  const { metadata } = ctx;
  const session = await resumableUpload(ctx, sessionId);
  const name = JSON.stringify(session.name);
  const stored = [...session.parts].sort((a, b) => a.part - b.part);
  // A part cut off mid-body is never staged: an upload none of whose parts arrived whole has
  // nothing to complete (an empty file is one empty part, sent as such).
  if (stored.length === 0) throw new DcsError('UPLOAD_INCOMPLETE', `cannot complete ${name}: no part was uploaded completely`);
  if (terms.namedOnly && !terms.parts) throw new DcsError('USAGE', `cannot complete ${name}: namedOnly needs the list of parts`);
  if (terms.parts) checkNamedParts(name, terms.parts, stored, terms.namedOnly === true);
  const named = new Set(terms.parts?.map((p) => p.part));
  const parts = terms.namedOnly ? stored.filter((p) => named.has(p.part)) : stored;
  if (!terms.namedOnly) {
    parts.forEach((p, i) => {
      if (p.part !== i + 1) throw new DcsError('UPLOAD_INCOMPLETE', `cannot complete ${name}: part ${i + 1} is missing`);
    });
  }
  const size = parts.reduce((sum, p) => sum + p.size, 0);
  if (terms.size !== undefined && size !== terms.size) {
    throw new DcsError('UPLOAD_SIZE_MISMATCH', `the parts of ${name} add up to ${size} bytes, not the ${terms.size} expected`);
  }
  // A completion that failed midway left a partial list behind.
  await metadata.unstageAll(sessionId);
  return withHeartbeat(ctx, sessionId, async () => {
    const stager = new Stager((entries) => metadata.stageChunks(sessionId, entries));
    // Chunks the parts were stored as that the version does not take (re-made around part
    // boundaries, or of parts left out): reclaimed once it is committed, unless something uses
    // them. A few per boundary, so this stays small for any size of upload.
    const replaced: string[] = [];
    let rechunked = 0;
    let degraded = 0;
    const bytes = (region: readonly Extent[], from: number, to: number): AsyncGenerator<Uint8Array> => regionBytes(ctx, session.name, region, from, to);
    // Regions are a few chunks: chunked on this thread rather than in a worker started for them.
    const small = ctx.smallChunkSource ?? ctx.chunkSource;
    /**
     * Stage [from, to), a range that starts and ends at cuts of the whole stream. `verbatim`: the
     * stream's cuts in it are exactly the parts' own, so the parts' chunks are the stream's.
     */
    const settle = async (region: readonly Extent[], from: number, to: number, verbatim: boolean, made?: IdentifiedChunk[]): Promise<void> => {
      if (verbatim) {
        for (const e of region) if (e.offset >= from && endOf(e) <= to) await stager.add(e);
        return;
      }
      // Every part chunk over [from, to) is replaced, also one that straddles from or to (it
      // crosses a cut of the stream, so the version never takes it).
      for (const e of region) if (e.offset < to && endOf(e) > from) replaced.push(e.id);
      // The chunks the search for agreement made are stored as they are; only when there were
      // too many to keep are the bytes read and chunked again.
      const source: ChunkSource = made ? async function* () { yield* made; } : small;
      const r = await ingest({ ...ctx, chunkSource: source }, sessionId, made ? nothing() : bytes(region, from, to), encodingOf(session), async (staged) => {
        for (const e of staged) await stager.add({ offset: from + e.offset, length: e.length, id: e.id });
      });
      rechunked += r.chunks;
      degraded += r.degraded;
    };

    // Invariant: regionStart is a cut of the whole stream; region holds the parts' chunks from it on.
    let region: Extent[] = [];
    let regionStart = 0;
    let base = 0;
    for (const p of parts) {
      const list = (await metadata.partChunks(sessionId, p.part)).map((c) => ({ offset: base + c.offset, length: c.length, id: c.id }));
      base += p.size;
      if (list.length === 0) continue;
      region.push(...list);
      // This part's own cuts, except its end (forced by the part boundary).
      const partCuts = new Set(list.slice(0, -1).map(endOf));
      const dry = await chunkUntil(small, bytes(region, regionStart, endOf(region.at(-1)!)), ctx.chunker, regionStart, partCuts);
      // The parts' chunks are the stream's exactly when their boundaries are the stream's cuts.
      const ownCuts = (cuts: readonly number[]): boolean => {
        const to = cuts.at(-1) ?? regionStart;
        const ends = region.filter((e) => e.offset >= regionStart && endOf(e) <= to).map(endOf);
        return region.some((e) => e.offset === regionStart) && ends.length === cuts.length && ends.every((end, i) => end === cuts[i]);
      };
      if (dry.sync !== undefined) {
        await settle(region, regionStart, dry.sync, ownCuts(dry.cuts), dry.chunks);
        // From the sync on, this part's chunks are the stream's, except the last (cut by the boundary).
        const rest = list.filter((e) => e.offset >= dry.sync!);
        for (const e of rest.slice(0, -1)) await stager.add(e);
        region = rest.slice(-1);
        regionStart = region[0]!.offset;
      } else if (dry.lastCut > regionStart) {
        // No agreement within this part: the stream's cuts found so far are final all the same.
        await settle(region, regionStart, dry.lastCut, ownCuts(dry.cuts), dry.chunks);
        region = region.filter((e) => endOf(e) > dry.lastCut);
        regionStart = dry.lastCut;
      }
    }
    // The end of the last part is the end of the stream: a cut in both.
    if (regionStart < size) await settle(region, regionStart, size, region.length === 1 && region[0]!.offset === regionStart && endOf(region[0]!) === size);
    await stager.flush();
    const taken = new Set(parts.map((p) => p.part));
    for (const p of stored) if (!taken.has(p.part)) for (const c of await metadata.partChunks(sessionId, p.part)) replaced.push(c.id);
    const attributes = terms.attributes ?? session.attributes;
    const version = await metadata.commitUpload(sessionId, { name: session.name, size, codec: session.codec, ...(attributes === undefined ? {} : { attributes }) });
    warnDegraded(ctx, session.name, degraded);
    await reclaimUnused(ctx, session.name, [...new Set(replaced)]);
    return { version, rechunked };
  });
}

/** Best effort: what is not reclaimed now stays garbage for the next gc. */
async function reclaimUnused(ctx: EngineContext, name: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  try {
    const r = await reclaimChunks(ctx, ids);
    if (r.deferred > 0) ctx.warn(`${r.deferred} chunk(s) ${JSON.stringify(name)} no longer uses are left for gc (a backend did not answer)`);
  } catch (err) {
    ctx.warn(`chunks ${JSON.stringify(name)} no longer uses are left for gc: ${errorMessage(err)}`);
  }
}

/** The parts a completion names must be the stored ones, in ascending order, sizes matching where given. */
function checkNamedParts(name: string, named: CompletionTerms['parts'] & {}, stored: readonly { part: number; size: number }[], namedOnly: boolean): void {
  const sizes = new Map(stored.map((p) => [p.part, p.size]));
  let previous = 0;
  for (const p of named) {
    if (p.part <= previous) throw new DcsError('USAGE', `cannot complete ${name}: parts must be named in ascending order without repeats (part ${p.part} after ${previous})`);
    previous = p.part;
    const size = sizes.get(p.part);
    if (size === undefined) throw new DcsError('UPLOAD_INCOMPLETE', `cannot complete ${name}: part ${p.part} was not uploaded completely`);
    if (p.size !== undefined && p.size !== size) throw new DcsError('UPLOAD_SIZE_MISMATCH', `cannot complete ${name}: part ${p.part} holds ${size} bytes, not the ${p.size} named`);
    sizes.delete(p.part);
  }
  const extra = [...sizes.keys()];
  if (extra.length > 0 && !namedOnly) throw new DcsError('UPLOAD_INCOMPLETE', `cannot complete ${name}: part ${extra[0]} was uploaded but not named in the completion`);
}

/** The bytes of [from, to) read back from the parts' stored chunks (verified like any read). */
async function* regionBytes(ctx: EngineContext, name: string, region: readonly Extent[], from: number, to: number): AsyncGenerator<Uint8Array> {
  for (const e of region) {
    if (endOf(e) <= from || e.offset >= to) continue;
    const record = await ctx.metadata.getChunk(e.id);
    if (!record) throw new ChunkUnavailableError(e.id, name, []);
    const plain = await readChunk(ctx, record, { fileName: name });
    yield plain.subarray(Math.max(0, from - e.offset), Math.min(e.length, to - e.offset));
  }
}

async function* nothing(): AsyncGenerator<Uint8Array> {}

/** Chunks made while looking for agreement are kept (for storing) up to this many bytes. */
const KEEP_BYTES = 32 * 1024 * 1024;

/**
 * Chunk and identify `input` (which starts at `start`, a cut of the stream) without storing
 * anything, until a cut lands on one of `targets`. Returns that cut (sync), the cuts before it,
 * the last cut made before the input ran out (the input's end is not a cut: the next part
 * continues it), and the chunks up to the sync or last cut while they fit in KEEP_BYTES.
 */
async function chunkUntil(
  source: ChunkSource,
  input: AsyncIterable<Uint8Array>,
  params: ChunkerParams,
  start: number,
  targets: ReadonlySet<number>,
): Promise<{ sync?: number; cuts: number[]; lastCut: number; chunks?: IdentifiedChunk[] }> {
  const cuts: number[] = [];
  let kept: IdentifiedChunk[] | undefined = [];
  let keptBytes = 0;
  let at = start;
  let previous = start;
  for await (const chunk of source(input, params)) {
    previous = at;
    at += chunk.data.length;
    cuts.push(at);
    keptBytes += chunk.data.length;
    if (keptBytes > KEEP_BYTES) kept = undefined;
    kept?.push(chunk);
    if (targets.has(at)) return { sync: at, cuts, lastCut: at, ...(kept ? { chunks: kept } : {}) };
  }
  // The final chunk ended only because the input did.
  cuts.pop();
  kept?.pop();
  return { cuts, lastCut: previous, ...(kept ? { chunks: kept } : {}) };
}
