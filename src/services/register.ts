// Makes storage nodes usable as backends: `grpc://HOST:PORT` (plaintext) and `grpcs://HOST:PORT`
// (TLS) in dcs.yaml open a RemoteBlobStore. Credentials come from the caller (the environment),
// never from dcs.yaml.
import { registerBackendScheme } from '../storage/registry.ts';
import { RemoteBlobStore } from './remote-blob-store.ts';
import type { ClientOptions } from './transport.ts';

export function registerStorageNodeBackends(options: ClientOptions): void {
  for (const scheme of ['grpc', 'grpcs']) {
    registerBackendScheme(scheme, async (spec) => new RemoteBlobStore(spec.name, spec.url, options), { network: true });
  }
}
