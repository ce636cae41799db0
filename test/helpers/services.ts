// Chunker and compressor services on loopback ports for tests, with the node token required.
import type { ServiceImpl } from '@connectrpc/connect';
import { serverAuth } from '../../src/services/auth.ts';
import { chunkingServiceImpl, type ChunkingServiceOptions } from '../../src/services/chunking-service.ts';
import { compressionServiceImpl, type CompressionServiceOptions } from '../../src/services/compression-service.ts';
import { ChunkingService } from '../../src/services/gen/dcs/v1/chunking_pb.js';
import { CompressionService } from '../../src/services/gen/dcs/v1/compression_pb.js';
import { listen, type RunningListener } from '../../src/services/listener.ts';
import type { ChunkCompressor } from '../../src/engine/chunk-compressor.ts';
import { WorkerPoolTransformer } from '../../src/engine/worker-transformer.ts';

export const NODE_TOKEN = 'node-secret';

export interface RunningService {
  url: string;
  listener: RunningListener;
  /** Calls answered so far (counted by an interceptor). */
  calls(): number;
  close(): Promise<void>;
}

async function serve(routes: Parameters<typeof listen>[0]['routes'], role: string, cleanup: () => Promise<void> = async () => {}, port = 0, host = '127.0.0.1'): Promise<RunningService> {
  let calls = 0;
  const listener = await listen({
    host,
    port,
    interceptors: [
      (next) => async (req) => {
        calls++;
        return next(req);
      },
      ...serverAuth({ token: NODE_TOKEN, host, role }),
    ],
    routes,
  });
  return {
    url: listener.url,
    listener,
    calls: () => calls,
    close: async () => {
      await listener.close(1000);
      await cleanup();
    },
  };
}

/** A compressor service over a worker pool (as deployed), or over the given compressor. */
export async function startCompressor(
  options: CompressionServiceOptions & { workers?: number; compressor?: ChunkCompressor; port?: number; host?: string } = {},
): Promise<RunningService> {
  const compressor = options.compressor ?? new WorkerPoolTransformer({ workers: options.workers ?? 2 });
  return serve((r) => r.service(CompressionService, compressionServiceImpl(compressor, options)), 'compressor', () => compressor.close(), options.port, options.host);
}

export async function startChunker(options: ChunkingServiceOptions = {}): Promise<RunningService> {
  return serve((r) => r.service(ChunkingService, chunkingServiceImpl(options)), 'chunker');
}

/** A service with a hand-written (possibly lying) implementation. */
export async function startFake<S extends typeof ChunkingService | typeof CompressionService>(service: S, impl: Partial<ServiceImpl<S>>): Promise<RunningService> {
  return serve((r) => r.service(service, impl), 'fake');
}
