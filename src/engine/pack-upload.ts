// Small files in groups: a put of many small files stores them a group at a time — one session,
// one claim of all their chunk ids, their new chunks sealed into pack objects (core/pack.ts) of a
// few MiB, one record per pack and one commit of every file's version — where storing them one by
// one costs each file an object (a create, write, fsync and rename; a request on S3), a claim, a
// record and a commit. A crash before the commit leaves nothing visible: the session's claims
// expire, gc forgets the chunks in the pack and then the pack itself.
import type { ChunkId } from '../core/chunk-id.ts';
import { PACK_CODEC_ID, type CodecChoice } from '../core/codecs.ts';
import { PackBuilder } from '../core/pack.ts';
import type { StagedChunk, StoredChunk } from '../metadata/metadata-store.ts';
import type { ChunkInput } from './chunk-source.ts';
import { orderedMap } from './concurrency.ts';
import type { EngineContext } from './context.ts';
import { claimChunks, countWritten, storeEncoded, upload, warnDegraded, withHeartbeat, type UploadResult, type WrittenCounts } from './upload.ts';

/** A pack is sealed once its payload reaches this (a few MiB, as restic's and kopia's packs). */
export const PACK_TARGET_BYTES = 8 * 1024 * 1024;
/** Files read and chunked at once: small reads overlap their latency (no more than the chunker keeps idle windows for). */
const READ_AHEAD = 4;

export interface SmallFile {
  name: string;
  input: ChunkInput;
}

interface Chunked {
  name: string;
  size: number;
  chunks: { id: ChunkId; data: Uint8Array | undefined; staged: StagedChunk }[];
}

async function chunkFile(ctx: EngineContext, file: SmallFile): Promise<Chunked> {
  const source = ctx.smallChunkSource ?? ctx.chunkSource;
  const chunks: Chunked['chunks'] = [];
  let offset = 0;
  for await (const { id, data } of source(file.input, ctx.chunker)) {
    chunks.push({ id, data, staged: { seq: chunks.length, offset, length: data.length, id } });
    offset += data.length;
  }
  return { name: file.name, size: offset, chunks };
}

/**
 * Store a group of small files (the caller bounds its total size: every file's bytes are held
 * until their chunks are encoded) and commit them together. Engines that cannot name packs (no
 * hasher) store them one by one.
 */
export async function uploadSmallFiles(ctx: EngineContext, files: readonly SmallFile[], options: { codec?: CodecChoice; level?: number }): Promise<UploadResult[]> {
  const codec = options.codec ?? ctx.compression.codec;
  const level = options.level ?? (options.codec === undefined ? ctx.compression.level : undefined);
  const hasher = ctx.hasher;
  if (!hasher || files.length === 0) {
    const results: UploadResult[] = [];
    for (const f of files) results.push(await upload(ctx, f.input, { name: f.name, codec, ...(level === undefined ? {} : { level }) }));
    return results;
  }
  const { metadata } = ctx;
  const { sessionId } = await metadata.beginUpload(files[0]!.name);
  try {
    return await withHeartbeat(ctx, sessionId, async () => {
      const chunked: Chunked[] = [];
      for await (const c of orderedMap(files, READ_AHEAD, (f) => chunkFile(ctx, f))) chunked.push(c);
      const claims = await claimChunks(ctx, sessionId, [...new Set(chunked.flatMap((f) => f.chunks.map((c) => c.id)))]);

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
        const sealed = builder.seal(hasher);
        const inPack = members;
        builder = new PackBuilder();
        members = [];
        // The pack's row (pending, claimed) exists before its object does: gc's orphan sweep leaves it be.
        const packClaim = await claimChunks(ctx, sessionId, [sealed.id]);
        let packStored: StoredChunk[] = [];
        if (packClaim.get(sealed.id) === 'write') {
          const written = await storeEncoded(ctx, { id: sealed.id, envelope: sealed.envelope, codecId: PACK_CODEC_ID, rawSize: sealed.payloadLength, storedSize: sealed.envelope.length });
          packStored = [written.stored];
          if (written.degraded) degraded++;
        }
        const offsets = new Map(sealed.members.map((m) => [m.id, m.offset]));
        const chunks = inPack.map((m) => ({ ...m.stored, pack: { id: sealed.id, offset: offsets.get(m.stored.id)! } }));
        await metadata.recordStored(sessionId, [...packStored, ...chunks]);
        for (const m of inPack) countWritten(counts[m.file]!, m.stored, false);
      };
      for await (const { item, encoded } of orderedMap(toWrite, ctx.limits.inFlightChunks, async (item) => ({ item, encoded: await ctx.transformer.encode(item.data, item.id, codec, level) }))) {
        builder.add(encoded.id, encoded.envelope);
        members.push({ file: item.file, stored: { id: encoded.id, rawSize: encoded.rawSize, storedSize: encoded.storedSize, codecId: encoded.codecId, backends: [] } });
        if (builder.size >= PACK_TARGET_BYTES) await sealAndStore();
      }
      await sealAndStore();

      const versions = await metadata.commitFiles(
        sessionId,
        chunked.map((f) => ({ name: f.name, size: f.size, codec, chunks: f.chunks.map((c) => c.staged) })),
      );
      if (degraded > 0) warnDegraded(ctx, `${degraded} pack(s) of ${files.length} files`, degraded);
      return versions.map(({ version, storedSize }, i) => {
        const { degraded: _, ...written } = counts[i]!;
        return { version, storedSize, size: chunked[i]!.size, chunks: chunked[i]!.chunks.length, ...written };
      });
    });
  } catch (err) {
    await metadata.abortUpload(sessionId).catch(() => {});
    throw err;
  }
}
