// Engine stages for an orchestrator whose dcs.yaml names chunker and compressor services: remote
// implementations of ChunkSource and ChunkTransformer, the local ones where none is configured.
import type { ChunkSource } from '../engine/chunk-source.ts';
import type { ChunkTransformer } from '../engine/chunk-transformer.ts';
import type { RepositoryKeys } from '../core/keyfile.ts';
import { RemoteChunker } from './remote-chunk-source.ts';
import { RemoteTransformer } from './remote-transformer.ts';
import type { ClientOptions } from './transport.ts';

interface ServiceUrls {
  chunker: string[];
  compressor: string[];
}

export interface ServiceStages {
  transformer: (services: ServiceUrls | undefined, keys: RepositoryKeys | undefined, local: () => ChunkTransformer) => ChunkTransformer;
  chunkSource: (services: ServiceUrls | undefined, keys: RepositoryKeys | undefined, local: () => ChunkSource) => ChunkSource;
  /** Close the chunker connections (the transformer is closed with the repository). */
  close(): void;
}

export function serviceStages(client: ClientOptions, warn: (message: string) => void = () => {}): ServiceStages {
  const chunkers: RemoteChunker[] = [];
  return {
    transformer: (services, keys, local) =>
      services && services.compressor.length > 0
        ? new RemoteTransformer({ urls: services.compressor, client, ...(keys ? { keys } : {}), local: local(), warn })
        : local(),
    chunkSource: (services, keys, local) => {
      if (!services || services.chunker.length === 0) return local();
      const { timeoutMs: _unused, ...chunkerClient } = client;
      const chunker = new RemoteChunker({ urls: services.chunker, client: chunkerClient, ...(keys ? { idKey: keys.idKey } : {}) });
      chunkers.push(chunker);
      return chunker.chunkSource;
    },
    close: () => {
      for (const c of chunkers) c.close();
    },
  };
}
