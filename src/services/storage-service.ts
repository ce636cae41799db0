// StorageService server: one BlobStore (a node's disk or a bucket) on the network. The store
// itself validates keys, so a hostile key gets the same clear error here as locally.
import type { ServiceImpl } from '@connectrpc/connect';
import { create } from '@bufbuild/protobuf';
import type { BlobStore } from '../storage/blob-store.ts';
import { validateKey } from '../storage/keys.ts';
import { ObjectInfoSchema, StorageService, type ObjectInfo } from './gen/dcs/v1/storage_pb.js';
import { LIST_PAGE } from './limits.ts';
import { handled } from './rpc-errors.ts';

export function storageServiceImpl(store: BlobStore): ServiceImpl<typeof StorageService> {
  const info = (b: { key: string; size: number; modifiedAt?: number }): ObjectInfo =>
    create(ObjectInfoSchema, { key: b.key, size: BigInt(b.size), modifiedAtMs: BigInt(Math.round(b.modifiedAt ?? 0)) });
  return {
    putObject: (req, ctx) => handled(async () => {
      await store.put(validateKey(req.key), req.data, { signal: ctx.signal });
      return {};
    }),
    getObject: (req, ctx) => handled(async () => {
      const range = req.offset !== undefined || req.length !== undefined
        ? { offset: Number(req.offset ?? 0n), length: req.length === undefined ? Number.MAX_SAFE_INTEGER : Number(req.length) }
        : undefined;
      return { data: await store.get(validateKey(req.key), { signal: ctx.signal, ...(range ? { range } : {}) }) };
    }),
    headObject: (req, ctx) => handled(async () => {
      const b = await store.head(validateKey(req.key), { signal: ctx.signal });
      return b ? { info: info(b) } : {};
    }),
    deleteObject: (req, ctx) => handled(async () => {
      await store.delete(validateKey(req.key), { signal: ctx.signal });
      return {};
    }),
    async *listObjects(req, ctx) {
      let page: ObjectInfo[] = [];
      try {
        for await (const b of store.list(req.prefix, { signal: ctx.signal })) {
          page.push(info(b));
          if (page.length >= LIST_PAGE) {
            yield { objects: page };
            page = [];
          }
        }
      } catch (err) {
        await handled(() => Promise.reject(err));
      }
      if (page.length > 0) yield { objects: page };
    },
    storageInfo: async () => ({
      name: store.name,
      rangedReads: store.capabilities.rangedReads,
      atomicPut: store.capabilities.atomicPut,
      maxObjectSize: BigInt(store.capabilities.maxObjectSize),
    }),
  };
}
