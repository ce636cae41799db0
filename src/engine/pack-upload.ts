// Small files in groups: a put of many small files stores them a group at a time — one session,
// one claim of all their chunk ids, their new chunks sealed into pack objects (core/pack.ts) of a
// few MiB, one record per pack and one commit of every file's version — where storing them one by
// one costs each file an object (a create, write, fsync and rename; a request on S3), a claim, a
// record and a commit. A crash before the commit leaves nothing visible: the session's claims
// expire, gc forgets the chunks in the pack and then the pack itself.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import type { ChunkHasher, ChunkId } from '../core/chunk-id.ts';
import { chunkStream, minChunk } from '../core/chunker.ts';
import type { CodecChoice } from '../core/codecs.ts';
import { PackBuilder } from '../core/pack.ts';
import { DcsError } from '../core/errors.ts';
import type { LatestVersion, StagedChunk, StoredChunk } from '../metadata/metadata-store.ts';
import { isFileInput, type ChunkInput } from './chunk-source.ts';
import { orderedMap } from './concurrency.ts';
import type { EngineContext } from './context.ts';
import { PACK_TARGET_BYTES, writePack } from './pack-writer.ts';
import { claimChunks, countWritten, upload, warnDegraded, withHeartbeat, type UploadResult, type WrittenCounts } from './upload.ts';

export interface SmallFile {
  name: string;
  input: ChunkInput;
  /** The version's attributes (VersionRecord.attributes). */
  attributes?: string;
}

interface Chunked {
  name: string;
  size: number;
  chunks: { id: ChunkId; data: Uint8Array | undefined; staged: StagedChunk }[];
}

/** Bytes of the small files of a group kept at once (GROUP_BYTES of upload-files.ts, with room to spare). */
const ARENA_BYTES = 24 * 1024 * 1024;
/** Arenas not in use, kept for the next group: their pages are already mapped. */
const idleArenas: Uint8Array[] = [];

/**
 * Where a group's files are read to: one buffer, reused group after group, that each file is read
 * into at the next offset, so its chunks are views of it. A fresh buffer per file (readFileSync)
 * cost its allocation, page faults and collection: 3,000 files read twice as fast into this.
 */
class ReadArena {
  readonly bytes = idleArenas.pop() ?? new Uint8Array(ARENA_BYTES);
  #used = 0;

  /** The whole file, in the arena when it fits, else in a buffer of its own. */
  read(path: string): Uint8Array {
    const fd = openSync(path, 'r');
    try {
      const start = this.#used;
      let end = start;
      for (;;) {
        if (end === this.bytes.length) return readFileSync(path);
        const n = readSync(fd, this.bytes, end, this.bytes.length - end, null);
        if (n === 0) break;
        end += n;
      }
      this.#used = end;
      return this.bytes.subarray(start, end);
    } finally {
      closeSync(fd);
    }
  }

  #released = false;

  /** No chunk of this group is needed any more (they are encoded, or the upload failed). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (idleArenas.length < 2) idleArenas.push(this.bytes);
  }
}

/**
 * A small file's chunks. A file is read with synchronous reads (page-cached, a few microseconds;
 * the promise API's open, read and close each cost a thread-pool round trip), and one no larger
 * than the chunker's minimum is one chunk without a chunking pass; the cut points are the
 * chunker's either way. Chunks of a file read into the arena are views of it: encoded with
 * `here`, so no transformer takes them.
 */
async function chunkFile(ctx: EngineContext, hasher: ChunkHasher, arena: ReadArena, file: SmallFile): Promise<Chunked> {
  const chunks: Chunked['chunks'] = [];
  let offset = 0;
  const add = (id: ChunkId, data: Uint8Array): void => {
    chunks.push({ id, data, staged: { seq: chunks.length, offset, length: data.length, id } });
    offset += data.length;
  };
  if (isFileInput(file.input)) {
    const whole = arena.read(file.input.path);
    if (whole.length > 0 && whole.length <= minChunk(ctx.chunker)) add(hasher.id(whole), whole);
    else for await (const data of chunkStream(single(whole), ctx.chunker)) add(hasher.id(data), data);
  } else {
    for await (const { id, data } of (ctx.smallChunkSource ?? ctx.chunkSource)(file.input, ctx.chunker)) add(id, data);
  }
  return { name: file.name, size: offset, chunks };
}

async function* single(data: Uint8Array): AsyncGenerator<Uint8Array> {
  if (data.length > 0) yield data;
}

/**
 * What identifies an unchanged local file, as restic and borg check it: its path, size, change and
 * modification times and inode. Taken before the file is read, so a change during the read shows
 * as a change next time. A digest: metadata keeps no paths but names.
 */
export function sourceStamp(path: string): string {
  const s = statSync(path, { bigint: true });
  return createHash('sha256').update(`dcs-source-v1\0${path}\0${s.size}\0${s.mtimeNs}\0${s.ctimeNs}\0${s.ino}\0${s.dev}`).digest('hex').slice(0, 32);
}

export interface SmallFilesOptions {
  codec?: CodecChoice;
  level?: number;
  /**
   * Read every file, even one whose source stamp equals its latest version's (whose chunk list
   * is otherwise reused without reading it).
   */
  reread?: boolean;
}

/**
 * Store a group of small files (the caller bounds its total size: every file's bytes are held
 * until their chunks are encoded) and commit them together. Engines that cannot name packs (no
 * hasher) store them one by one.
 */
export async function uploadSmallFiles(ctx: EngineContext, files: readonly SmallFile[], options: SmallFilesOptions): Promise<UploadResult[]> {
  const codec = options.codec ?? ctx.compression.codec;
  const level = options.level ?? (options.codec === undefined ? ctx.compression.level : undefined);
  const hasher = await ctx.hasher?.();
  if (!hasher || files.length === 0) {
    const results: UploadResult[] = [];
    for (const f of files) results.push(await upload(ctx, f.input, { name: f.name, codec, ...(level === undefined ? {} : { level }), ...(f.attributes === undefined ? {} : { attributes: () => f.attributes }) }));
    return results;
  }
  const { metadata } = ctx;
  const { sessionId } = await metadata.beginUpload(files[0]!.name);
  let reusedAny = false;
  const arena = new ReadArena();
  try {
    return await withHeartbeat(ctx, sessionId, async () => {
      const stamps = files.map((f) => (isFileInput(f.input) ? sourceStamp(f.input.path) : undefined));
      const latest = options.reread ? new Map<string, LatestVersion>() : await metadata.latestVersions(files.filter((_, i) => stamps[i] !== undefined).map((f) => f.name));
      // An unchanged file (its stamp is its latest version's) is not read: that version's chunks are its chunks.
      const unchanged = (i: number): LatestVersion | undefined => {
        const l = latest.get(files[i]!.name);
        return l && l.sourceStamp !== undefined && l.sourceStamp === stamps[i] ? l : undefined;
      };
      const reused = files.map((_, i) => unchanged(i));
      reusedAny = reused.some((l) => l !== undefined);
      const chunked: Chunked[] = [];
      const read = async (f: SmallFile, i: number): Promise<Chunked> => {
        const l = reused[i];
        return l ? { name: f.name, size: l.version.size, chunks: l.chunks.map((staged) => ({ id: staged.id, data: undefined, staged })) } : chunkFile(ctx, hasher, arena, f);
      };
      for (const [i, f] of files.entries()) chunked.push(await read(f, i));
      // Chunks of unchanged files need no claim: the commit checks they are still stored.
      const claims = await claimChunks(ctx, sessionId, [...new Set(chunked.flatMap((f, i) => (reused[i] ? [] : f.chunks.map((c) => c.id))))]);

      // Each chunk to write, once (the first file that has it is credited with it).
      const toWrite: { file: number; id: ChunkId; data: Uint8Array }[] = [];
      const scheduled = new Set<ChunkId>();
      for (const [i, f] of chunked.entries()) {
        for (const c of f.chunks) {
          if (claims.get(c.id) === 'write' && !scheduled.has(c.id)) {
            scheduled.add(c.id);
            toWrite.push({ file: i, id: c.id, data: c.data! });
          }
          c.data = undefined;
        }
      }
      const counts: WrittenCounts[] = chunked.map(() => ({ newChunks: 0, newStoredBytes: 0, newRawBytes: 0, codecs: {}, degraded: 0 }));
      let builder = new PackBuilder();
      let members: { file: number; stored: StoredChunk }[] = [];
      let degraded = 0;
      const sealAndStore = async (): Promise<void> => {
        if (builder.count === 0) return;
        const inPack = members;
        const full = builder;
        builder = new PackBuilder();
        members = [];
        if ((await writePack(ctx, sessionId, hasher, full, inPack.map((m) => m.stored))).degraded) degraded++;
        for (const m of inPack) countWritten(counts[m.file]!, m.stored, false);
      };
      for await (const { item, encoded } of orderedMap(toWrite, ctx.limits.inFlightChunks, async (w) => ({ item: w, encoded: await ctx.transformer.encode(w.data, w.id, codec, level, { here: true }) }))) {
        builder.add(encoded.id, encoded.envelope);
        members.push({ file: item.file, stored: { id: encoded.id, rawSize: encoded.rawSize, storedSize: encoded.storedSize, codecId: encoded.codecId, backends: [] } });
        if (builder.size >= PACK_TARGET_BYTES) await sealAndStore();
      }
      await sealAndStore();
      arena.release();

      const versions = await metadata.commitFiles(
        sessionId,
        chunked.map((f, i) => ({
          name: f.name,
          size: f.size,
          codec,
          chunks: f.chunks.map((c) => c.staged),
          ...(stamps[i] !== undefined ? { sourceStamp: stamps[i] } : {}),
          ...(files[i]!.attributes !== undefined ? { attributes: files[i]!.attributes } : {}),
        })),
      );
      if (degraded > 0) warnDegraded(ctx, `${degraded} pack(s) of ${files.length} files`, degraded);
      return versions.map(({ version, storedSize }, i) => {
        const { degraded: _, ...written } = counts[i]!;
        return { version, storedSize, size: chunked[i]!.size, chunks: chunked[i]!.chunks.length, ...written };
      });
    });
  } catch (err) {
    arena.release();
    await metadata.abortUpload(sessionId).catch(() => {});
    // A reused chunk list whose chunks lost their copies (or were deleted since): read the files.
    if (reusedAny && err instanceof DcsError && err.code === 'COMMIT_REFUSED') return uploadSmallFiles(ctx, files, { ...options, reread: true });
    throw err;
  }
}
