// Chunker and compressor roles: stateless services that do the CPU-heavy stages for orchestrators.
// Both run their work in worker threads, so the event loop only moves messages.
import { availableParallelism } from 'node:os';
import type { ConnectRouter } from '@connectrpc/connect';
import { workerChunkSource } from '../engine/chunk-source.ts';
import { WorkerPoolTransformer } from '../engine/worker-transformer.ts';
import { chunkingServiceImpl } from '../services/chunking-service.ts';
import { compressionServiceImpl } from '../services/compression-service.ts';
import { ChunkingService } from '../services/gen/dcs/v1/chunking_pb.js';
import { CompressionService } from '../services/gen/dcs/v1/compression_pb.js';

export interface ExtraMount {
  services: string[];
  routes: (router: ConnectRouter) => void;
  ready: () => Promise<boolean>;
  close: () => Promise<void>;
}

export async function extraRoles(role: string): Promise<ExtraMount[]> {
  const mounts: ExtraMount[] = [];
  if (role === 'chunker' || role === 'all') {
    mounts.push({
      services: [ChunkingService.typeName],
      routes: (r) => r.service(ChunkingService, chunkingServiceImpl({ chunkSource: (idKey) => workerChunkSource(idKey ? { idKey } : {}) })),
      ready: async () => true,
      close: async () => {},
    });
  }
  if (role === 'compressor' || role === 'all') {
    const pool = new WorkerPoolTransformer({ workers: availableParallelism() });
    mounts.push({
      services: [CompressionService.typeName],
      routes: (r) => r.service(CompressionService, compressionServiceImpl(pool)),
      ready: async () => true,
      close: () => pool.close(),
    });
  }
  return mounts;
}
