// The stateless roles of a deployment, as gRPC services ready to mount: chunkers and compressors do
// the CPU-heavy stages for orchestrators (in worker threads, so the event loop only moves
// messages); a storage node serves its own directory. `dcs serve` (src/server/node.ts) mounts
// them beside the orchestrator's services.
import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { ConnectRouter } from '@connectrpc/connect';
import { ConfigError } from '../core/errors.ts';
import { workerChunkSource } from '../engine/chunk-source.ts';
import { WorkerPoolTransformer } from '../engine/worker-transformer.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import { FsBlobStore } from '../storage/fs-store.ts';
import { fileModes, type Sharing } from '../core/file-modes.ts';
import { chunkingServiceImpl } from './chunking-service.ts';
import { CompressionService } from './gen/dcs/v1/compression_pb.js';
import { ChunkingService } from './gen/dcs/v1/chunking_pb.js';
import { StorageService } from './gen/dcs/v1/storage_pb.js';
import { compressionServiceImpl } from './compression-service.ts';
import { storageServiceImpl } from './storage-service.ts';
import { storageDataPlane } from './storage-data-plane.ts';
import type { DataRequest, DataResponse } from './data-plane.ts';

/** Services one role serves on a node's port. */
export interface ServiceMount {
  /** Fully qualified names, for the gRPC health protocol. */
  services: string[];
  routes: (router: ConnectRouter) => void;
  /**
   * Plain HTTP requests that are not RPCs (the data plane under /data/v1/): true when this mount
   * took the request, false to let the node try the next handler and finally answer 404.
   */
  handleHttp?: (req: DataRequest, res: DataResponse, path: string) => boolean;
  ready: () => Promise<boolean>;
  close: () => Promise<void>;
}

export function chunkerMount(): ServiceMount {
  return {
    services: [ChunkingService.typeName],
    routes: (r) => r.service(ChunkingService, chunkingServiceImpl({ chunkSource: (idKey) => workerChunkSource(idKey ? { idKey } : {}) })),
    ready: async () => true,
    close: async () => {},
  };
}

export function compressorMount(): ServiceMount {
  const pool = new WorkerPoolTransformer({ workers: availableParallelism() });
  return {
    services: [CompressionService.typeName],
    routes: (r) => r.service(CompressionService, compressionServiceImpl(pool)),
    ready: async () => true,
    close: () => pool.close(),
  };
}

/**
 * A storage node: objects in `dataDir`, over gRPC and over the data plane (which checks `token`,
 * the node token, itself: gRPC interceptors never see plain HTTP requests); ready once an
 * orchestrator has written the repository marker.
 */
export async function storageMount(options: { dataDir: string | undefined; name: string; marker: string; token: string | undefined; maxObjectBytes?: number; sharing?: Sharing }): Promise<ServiceMount> {
  if (!options.dataDir) throw new ConfigError('storage role needs --data DIR (the directory this node stores objects in)');
  await mkdir(options.dataDir, { recursive: true, mode: fileModes(options.sharing).dir });
  const store: BlobStore = new FsBlobStore({ name: options.name, root: options.dataDir, ...(options.sharing ? { sharing: options.sharing } : {}) });
  return {
    services: [StorageService.typeName],
    routes: (r) => r.service(StorageService, storageServiceImpl(store)),
    handleHttp: storageDataPlane({ store, token: options.token, ...(options.maxObjectBytes === undefined ? {} : { maxObjectBytes: options.maxObjectBytes }) }),
    ready: async () => {
      try {
        await store.head(options.marker);
        return true;
      } catch {
        return false;
      }
    },
    close: async () => {},
  };
}
