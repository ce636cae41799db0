// `stat`: what a file version is made of — sizes, ratio, codecs, every chunk's copies and health.
import { codecById } from '../core/codecs.ts';
import type { CopyRecord, VersionRecord } from '../metadata/metadata-store.ts';
import type { EngineContext } from './context.ts';
import { resolveVersion } from './download.ts';
import { chunkHealth, type Health, worstHealth } from './chunk-health.ts';

export interface ChunkPlacement {
  seq: number;
  offset: number;
  length: number;
  id: string;
  codec: string;
  storedSize: number;
  /** Versions referencing the chunk (more than one: deduplicated). */
  refcount: number;
  copies: CopyRecord[];
  health: Health;
  /** The pack object the chunk is stored in (its copies are the pack's), if it is in one. */
  pack?: string;
}

export interface FileStat {
  version: VersionRecord;
  versions: number;
  /** Stored bytes of the distinct chunks of this version (one copy). */
  storedSize: number;
  /** size / storedSize (higher is better; 1 for incompressible data). */
  ratio: number;
  chunks: number;
  distinctChunks: number;
  /** Distinct chunks also referenced by other versions or files (deduplicated). */
  sharedChunks: number;
  /** Chunks per codec actually used. */
  codecs: Record<string, number>;
  health: Health;
  /** Per-chunk placement; omitted unless asked for (it is one entry per chunk). */
  chunkList?: ChunkPlacement[];
}

export async function stat(ctx: EngineContext, name: string, options: { version?: number; chunks?: boolean } = {}): Promise<FileStat> {
  const version = await resolveVersion(ctx, name, options.version);
  const versions = (await ctx.metadata.listVersions(name)).length;
  const codecs: Record<string, number> = {};
  // A version's own chunk list can repeat ids; count each distinct chunk once. The set is per file
  // version, which the caller asked to inspect, so its size is that of the answer itself.
  const seen = new Set<string>();
  let storedSize = 0;
  let sharedChunks = 0;
  let health: Health = 'healthy';
  const chunkList: ChunkPlacement[] = [];
  for await (const vc of ctx.metadata.versionChunks(version.versionId)) {
    const h = chunkHealth(vc.chunk, ctx.replicas, ctx.erasure);
    health = worstHealth(health, h);
    const codec = codecById(vc.chunk.codecId).name;
    if (!seen.has(vc.chunk.id)) {
      seen.add(vc.chunk.id);
      storedSize += vc.chunk.storedSize;
      if (vc.chunk.refcount > 1) sharedChunks++;
      codecs[codec] = (codecs[codec] ?? 0) + 1;
    }
    if (options.chunks) {
      chunkList.push({
        seq: vc.seq,
        offset: vc.offset,
        length: vc.length,
        id: vc.chunk.id,
        codec,
        storedSize: vc.chunk.storedSize,
        refcount: vc.chunk.refcount,
        copies: vc.chunk.copies,
        health: h,
        ...(vc.chunk.pack ? { pack: vc.chunk.pack.id } : {}),
      });
    }
  }
  return {
    version,
    versions,
    storedSize,
    ratio: storedSize === 0 ? 1 : version.size / storedSize,
    chunks: version.chunkCount,
    distinctChunks: seen.size,
    sharedChunks,
    codecs,
    health,
    ...(options.chunks ? { chunkList } : {}),
  };
}
