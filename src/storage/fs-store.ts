// Filesystem BlobStore. Writes are atomic and durable: a temp file in the target directory is
// written, fsynced and renamed over the key, then the directory is fsynced, so a reader never sees
// a partial object and a crash leaves either the old object or the new one (plus, at worst, a
// temp file that sweepTemp removes). Listing walks directories in sorted order, streaming.
import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, open, opendir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BackendError, BlobNotFoundError, errnoCode } from '../core/errors.ts';
import type { BlobInfo, BlobStore, BlobStoreCapabilities, GetOptions } from './blob-store.ts';
import { fileModes, type FileModes, type Sharing } from '../core/file-modes.ts';
import { validateKey } from './keys.ts';

const TEMP_PREFIX = '.tmp-';

/** One place that turns errno into the storage error contract. */
export function translateFsError(err: unknown, backend: string, operation: string, key?: string): Error {
  const message = err instanceof Error ? err.message : String(err);
  switch (errnoCode(err)) {
    case 'ENOENT':
      if (key !== undefined && operation === 'get') return new BlobNotFoundError(key, backend);
      return new BackendError(backend, operation, `no such file or directory${key ? ` (${key})` : ''}`, false, { cause: err });
    case 'ENOSPC':
    case 'EDQUOT':
      return new BackendError(backend, operation, 'disk full', false, { cause: err });
    case 'EROFS':
      return new BackendError(backend, operation, 'file system is read-only', false, { cause: err });
    case 'EACCES':
    case 'EPERM':
      return new BackendError(backend, operation, 'permission denied', false, { cause: err });
    case 'EIO':
    case 'EAGAIN':
    case 'EMFILE':
    case 'ENFILE':
    case 'EBUSY':
      return new BackendError(backend, operation, message, true, { cause: err });
    default:
      return new BackendError(backend, operation, message, false, { cause: err });
  }
}

export class FsBlobStore implements BlobStore {
  readonly name: string;
  readonly root: string;
  readonly capabilities: BlobStoreCapabilities = { rangedReads: true, atomicPut: true, maxObjectSize: 2 ** 31 - 1 };

  readonly #modes: FileModes;

  constructor(options: { name: string; root: string; sharing?: Sharing }) {
    this.name = options.name;
    this.root = options.root;
    this.#modes = fileModes(options.sharing);
  }

  /** Create the root directory (done once, by `dcs init`; never implicitly). */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: this.#modes.dir });
  }

  #path(key: string): string {
    return join(this.root, validateKey(key));
  }

  /** A missing root is a configuration or mount problem, not an empty store: say so clearly. */
  async #checkRoot(operation: string): Promise<void> {
    try {
      const s = await stat(this.root);
      if (!s.isDirectory()) throw new BackendError(this.name, operation, `storage path ${this.root} is not a directory`, false);
    } catch (err) {
      if (err instanceof BackendError) throw err;
      if (errnoCode(err) === 'ENOENT') {
        throw new BackendError(this.name, operation, `storage directory ${this.root} does not exist`, false);
      }
      throw translateFsError(err, this.name, operation);
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const path = this.#path(key);
    const dir = dirname(path);
    const tmp = join(dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
    try {
      let fh;
      try {
        fh = await open(tmp, 'wx', this.#modes.file);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
        // First object in this directory. Never recreate a missing root (an unmounted disk).
        await this.#checkRoot('put');
        await mkdir(dir, { recursive: true, mode: this.#modes.dir });
        fh = await open(tmp, 'wx', this.#modes.file);
      }
      try {
        let off = 0;
        while (off < data.length) off += (await fh.write(data, off, data.length - off)).bytesWritten;
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
      await syncDir(dir);
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => {});
      if (err instanceof BackendError) throw err;
      throw translateFsError(err, this.name, 'put', key);
    }
  }

  async get(key: string, options: GetOptions = {}): Promise<Uint8Array> {
    const path = this.#path(key);
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') await this.#checkRoot('get');
      throw translateFsError(err, this.name, 'get', key);
    }
    try {
      const size = (await fh.stat()).size;
      const offset = Math.min(options.range?.offset ?? 0, size);
      const length = Math.max(0, Math.min(options.range ? options.range.length : size, size - offset));
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(out, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === length ? out : out.subarray(0, done);
    } catch (err) {
      throw translateFsError(err, this.name, 'get', key);
    } finally {
      await fh.close();
    }
  }

  async head(key: string): Promise<BlobInfo | undefined> {
    try {
      const s = await stat(this.#path(key));
      return s.isFile() ? { key, size: s.size, modifiedAt: s.mtimeMs } : undefined;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') {
        await this.#checkRoot('head');
        return undefined;
      }
      throw translateFsError(err, this.name, 'head', key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.#path(key));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') {
        await this.#checkRoot('delete');
        return;
      }
      throw translateFsError(err, this.name, 'delete', key);
    }
  }

  async *list(prefix: string): AsyncIterable<BlobInfo> {
    await this.#checkRoot('list');
    yield* this.#walk('', prefix);
  }

  /** Depth-first walk in sorted key order; only directories that can hold matching keys are entered. */
  async *#walk(rel: string, prefix: string): AsyncGenerator<BlobInfo> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.root, rel), { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw translateFsError(err, this.name, 'list');
    }
    // Sort by the key each entry produces ("a/" sorts as a key prefix, compared with "/" appended).
    const named = entries
      .filter((e) => !e.name.startsWith(TEMP_PREFIX))
      .map((e) => ({ e, key: rel === '' ? e.name : `${rel}/${e.name}` }))
      .sort((a, b) => {
        const ka = a.e.isDirectory() ? `${a.key}/` : a.key;
        const kb = b.e.isDirectory() ? `${b.key}/` : b.key;
        return ka < kb ? -1 : ka > kb ? 1 : 0;
      });
    for (const { e, key } of named) {
      if (e.isDirectory()) {
        const dirKey = `${key}/`;
        if (dirKey.startsWith(prefix) || prefix.startsWith(dirKey)) yield* this.#walk(key, prefix);
      } else if (e.isFile() && key.startsWith(prefix)) {
        try {
          const s = await stat(join(this.root, key));
          yield { key, size: s.size, modifiedAt: s.mtimeMs };
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') throw translateFsError(err, this.name, 'list');
        }
      }
    }
  }

  /** Delete temp files left by crashed writes that are older than the given age. */
  async sweepTemp(olderThanMs: number): Promise<number> {
    let removed = 0;
    const cutoff = Date.now() - olderThanMs;
    const visit = async (dir: string): Promise<void> => {
      let handle;
      try {
        handle = await opendir(dir);
      } catch {
        return;
      }
      for await (const e of handle) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await visit(p);
        else if (e.name.startsWith(TEMP_PREFIX)) {
          const s = await stat(p).catch(() => undefined);
          if (s && s.mtimeMs < cutoff) {
            await rm(p, { force: true });
            removed++;
          }
        }
      }
    };
    await visit(this.root);
    return removed;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
