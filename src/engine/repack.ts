// gc's repack: a pack keeps all its bytes until the last chunk in it goes, so deleting most of a
// folder of small files would free nothing. Packs whose remaining chunks hold less than half their
// bytes are rewritten: the remaining chunks' envelopes (copied as they are, never re-encoded) go
// into new packs, the chunks move there (recordStored), and the old packs, left with no chunk,
// are deleted by gc like any garbage. restic's and kopia's prune do the same.
import type { ChunkId } from '../core/chunk-id.ts';
import { errorMessage } from '../core/errors.ts';
import { memberObjectOffset, PackBuilder } from '../core/pack.ts';
import type { ChunkRecord, StoredChunk } from '../metadata/metadata-store.ts';
import { fetchVerified, orderedCopies } from './chunk-reader.ts';
import type { EngineContext } from './context.ts';
import { isSharded, readShardedEnvelope } from './erasure-io.ts';
import { PACK_TARGET_BYTES, writePack } from './pack-writer.ts';
import { withHeartbeat } from './upload.ts';

/** A pack is rewritten once the chunks still in it hold less than this share of its bytes. */
export const REPACK_BELOW = 0.5;
const BATCH = 32;

export interface RepackReport {
  packsRewritten: number;
  /** Stored bytes of chunks copied into new packs. */
  bytesCopied: number;
}

/** The pack's whole envelope, verified against the pack's id (any good copy, or its shards). */
async function readPack(ctx: EngineContext, pack: ChunkRecord): Promise<Uint8Array> {
  if (isSharded(pack)) {
    const { envelope, from, heal } = await readShardedEnvelope(ctx, pack);
    await ctx.transformer.decode(envelope.slice(), pack.id, from);
    await heal();
    return envelope;
  }
  const reasons: string[] = [];
  for (const copy of orderedCopies(ctx, pack)) {
    if (!copy.backend || copy.state !== 'ok') continue;
    try {
      return (await fetchVerified(ctx, pack.id, copy.backend)).envelope;
    } catch (err) {
      reasons.push(`${copy.name}: ${errorMessage(err)}`);
    }
  }
  throw new Error(`no readable copy (${reasons.join('; ') || 'none recorded ok'})`);
}

export async function repackSparse(ctx: EngineContext): Promise<RepackReport> {
  const report: RepackReport = { packsRewritten: 0, bytesCopied: 0 };
  const hasher = await ctx.hasher?.();
  if (!hasher) return report;
  const { metadata } = ctx;
  const { sessionId } = await metadata.beginUpload('(gc: repack)');
  try {
    await withHeartbeat(ctx, sessionId, async () => {
      let builder = new PackBuilder();
      let moving: StoredChunk[] = [];
      let sources = new Set<ChunkId>();
      const seal = async (): Promise<void> => {
        if (builder.count === 0) return;
        await writePack(ctx, sessionId, hasher, builder, moving);
        report.packsRewritten += sources.size;
        builder = new PackBuilder();
        moving = [];
        sources = new Set();
      };
      let after: ChunkId | undefined;
      for (;;) {
        const sparse = await metadata.sparsePacks({ maxLiveFraction: REPACK_BELOW, limit: BATCH, ...(after === undefined ? {} : { after }) });
        if (sparse.length === 0) break;
        after = sparse[sparse.length - 1]!.pack.id;
        for (const { pack, members } of sparse) {
          let envelope: Uint8Array;
          try {
            envelope = await readPack(ctx, pack);
          } catch (err) {
            ctx.warn(`could not repack pack ${pack.id.slice(0, 12)}…: ${errorMessage(err)}; 'dcs repair' first`);
            continue;
          }
          for (const m of members) {
            const start = memberObjectOffset(m);
            builder.add(m.id, envelope.subarray(start, start + m.storedSize));
            moving.push({ id: m.id, rawSize: m.rawSize, storedSize: m.storedSize, codecId: m.codecId, backends: [] });
            report.bytesCopied += m.storedSize;
          }
          sources.add(pack.id);
          if (builder.size >= PACK_TARGET_BYTES) await seal();
        }
      }
      await seal();
    });
  } finally {
    // The new packs are held by the chunks now in them; the session's claims are not needed.
    await metadata.abortUpload(sessionId).catch(() => {});
  }
  return report;
}
