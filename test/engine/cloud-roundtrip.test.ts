// A repository over four kinds of backend at once — local disk, S3 (s3rver), Azure Blob (Azurite)
// and Google Cloud Storage (the labelled fake of its JSON API, test/helpers/fake-gcs.ts) — with two replicas of every chunk: files of 0 B to a few MiB round-trip, and still
// read back after every chunk object on any one backend is deleted (reads fall back to the copy
// on another backend).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { after, before, describe, it } from 'node:test';
import { download } from '../../src/engine/download.ts';
import { upload } from '../../src/engine/upload.ts';
import { initRepository } from '../../src/repository/init-repository.ts';
import { openEngine, type OpenedEngine } from '../../src/repository/open-engine.ts';
import { CHUNK_PREFIX } from '../../src/storage/blob-store.ts';
import { startAzurite, type RunningAzurite } from '../helpers/azurite.ts';
import { tempDir } from '../helpers/cli.ts';
import { collect, pieces, randomBytes, textBytes } from '../helpers/data.ts';
import { FakeGcs } from '../helpers/fake-gcs.ts';
import { startS3rver, useS3rverCredentials, type RunningS3rver } from '../helpers/s3rver.ts';

const FILES: [string, Uint8Array][] = [
  ['empty', new Uint8Array(0)],
  ['one-byte', new Uint8Array([7])],
  ['text-300k', textBytes(300_000, 11)],
  ['random-1m', randomBytes(1024 * 1024 + 17, 12)],
  ['random-3m', randomBytes(3 * 1024 * 1024, 13)],
];

describe('repository over fs + S3 + Azure + GCS with replicate 2', () => {
  let s3: RunningS3rver;
  let azure: RunningAzurite;
  let gcs: FakeGcs;
  let run = 0;
  before(async () => {
    [s3, azure, gcs] = await Promise.all([startS3rver(), startAzurite(), FakeGcs.start()]);
    useS3rverCredentials();
    process.env.AZURE_STORAGE_CONNECTION_STRING = azure.connectionString;
    process.env.STORAGE_EMULATOR_HOST = gcs.url;
    gcs.createBucket('dcs-test');
  });
  after(async () => {
    await Promise.all([s3?.close(), azure?.close(), gcs?.close()]);
  });

  async function newRepository(): Promise<{ dir: string; cleanup(): Promise<void> }> {
    const n = ++run;
    const { dir, cleanup } = await tempDir('dcs-cloud-');
    // The container exists beforehand, as an operator would create it (init creating it is
    // covered by the store tests, and a wrapper around the store may not pass init through).
    await BlobServiceClient.fromConnectionString(azure.connectionString).getContainerClient(`repo-${n}`).createIfNotExists();
    await initRepository(dir, {
      backends: [
        `disk=fs:${join(dir, 'disk')}`,
        `s3=s3://${s3.bucket}/repo-${n}?endpoint=${encodeURIComponent(s3.endpoint)}&path_style=true`,
        `azure=azure://repo-${n}/dcs`,
        `gcs=gs://dcs-test/repo-${n}`,
      ],
      replicate: 2,
      chunking: { kind: 'fastcdc', min: 16 * 1024, avg: 64 * 1024, max: 256 * 1024 },
    });
    return { dir, cleanup };
  }

  async function readAll(repo: OpenedEngine): Promise<void> {
    for (const [name, data] of FILES) {
      const dl = await download(repo.ctx, name);
      assert.equal(dl.length, data.length, name);
      assert.ok(Buffer.from(await collect(dl.body)).equals(data), name);
    }
  }

  for (const victim of ['disk', 's3', 'azure', 'gcs']) {
    it(`round-trips files and reads them back after every object on ${victim} is deleted`, async () => {
      const { dir, cleanup } = await newRepository();
      try {
        let repo = await openEngine(dir, { workers: 0 });
        try {
          for (const [name, data] of FILES) await upload(repo.ctx, pieces(data, [65536]), { name });
          await readAll(repo);
          // Every chunk has two copies, and each backend got a share.
          const counts = new Map<string, number>();
          for (const b of repo.ctx.placement.backends) {
            let n = 0;
            for await (const _ of b.store.list(CHUNK_PREFIX)) n++;
            counts.set(b.name, n);
          }
          assert.ok([...counts.values()].every((n) => n > 0), JSON.stringify([...counts]));
          // Lose everything on one backend: chunks, marker, all of it.
          const lost = repo.ctx.placement.backends.find((b) => b.name === victim)!.store;
          const keys: string[] = [];
          for await (const info of lost.list('')) keys.push(info.key);
          assert.ok(keys.length > 0);
          for (const key of keys) await lost.delete(key);
          for await (const info of lost.list('')) assert.fail(`left behind on ${victim}: ${info.key}`);
        } finally {
          await repo.close();
        }
        repo = await openEngine(dir, { workers: 0 });
        try {
          await readAll(repo);
        } finally {
          await repo.close();
        }
      } finally {
        await cleanup();
      }
    });
  }
});
