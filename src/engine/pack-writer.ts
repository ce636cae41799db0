// Writing one pack: seal the envelopes collected in a PackBuilder, store the pack like any chunk
// (whole copies or erasure shards) and record it with its chunks pointing into it. Shared by the
// small-file put (pack-upload.ts) and gc's repack (repack.ts).
import type { ChunkHasher } from '../core/chunk-id.ts';
import { PACK_CODEC_ID } from '../core/codecs.ts';
import type { PackBuilder } from '../core/pack.ts';
import type { StoredChunk } from '../metadata/metadata-store.ts';
import type { EngineContext } from './context.ts';
import { claimChunks, storeEncoded } from './upload.ts';

/** A pack is sealed once its payload reaches this (a few MiB, as restic's and kopia's packs). */
export const PACK_TARGET_BYTES = 8 * 1024 * 1024;

/**
 * Seal `builder` (whose members are `chunks`, backends empty), store the pack and record it and
 * the chunks in `sessionId`. Returns whether the pack has fewer copies than the policy wants.
 */
export async function writePack(ctx: EngineContext, sessionId: string, hasher: ChunkHasher, builder: PackBuilder, chunks: readonly StoredChunk[]): Promise<{ degraded: boolean }> {
  const sealed = builder.seal(hasher);
  // The pack's row (pending, claimed) exists before its object does: gc's orphan sweep leaves it be.
  const claim = await claimChunks(ctx, sessionId, [sealed.id]);
  const stored: StoredChunk[] = [];
  let degraded = false;
  // 'present': the very same pack is stored already; the chunks point into it.
  if (claim.get(sealed.id) === 'write') {
    const written = await storeEncoded(ctx, { id: sealed.id, envelope: sealed.envelope, codecId: PACK_CODEC_ID, rawSize: sealed.payloadLength, storedSize: sealed.envelope.length });
    stored.push(written.stored);
    degraded = written.degraded;
  }
  const offsets = new Map(sealed.members.map((m) => [m.id, m.offset]));
  await ctx.metadata.recordStored(sessionId, [...stored, ...chunks.map((c) => ({ ...c, pack: { id: sealed.id, offset: offsets.get(c.id)! } }))]);
  return { degraded };
}
