import { MemoryBlobStore } from '../../src/storage/memory-store.ts';
import { blobStoreConformance } from '../conformance/blob-store.ts';

blobStoreConformance('memory', async () => ({ store: new MemoryBlobStore({ name: 'mem' }), cleanup: async () => {} }));
