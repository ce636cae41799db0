// Orchestrators side by side (`dcs cluster up --orchestrators 2` over one PostgreSQL database), as
// real processes: concurrent uploads of overlapping content, deletes and gc through both keep
// reference counts exact and lose no chunk (deep verify clean); an orchestrator killed with SIGKILL
// mid-upload costs the client nothing: it carries the upload over to the other one and the file is
// complete and correct; a client given both URLs keeps working while one is down.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clusterDown, clusterUp, isAlive, type ClusterState } from '../../src/cli/commands/cluster.ts';
import { RemoteRepository } from '../../src/repository/remote-repository.ts';
import { tempDir } from '../helpers/cli.ts';
import { collect, pieces, randomBytes, textBytes } from '../helpers/data.ts';
import { POSTGRES_URL, requirePostgres } from '../helpers/postgres.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const KiB = 1024;

let dir: string;
let cleanup: () => Promise<void>;
let cluster: ClusterState;
let token: string;

before(async () => {
  await requirePostgres();
  ({ dir, cleanup } = await tempDir('dcs-orchestrators-'));
  cluster = await clusterUp({ dir: join(dir, 'c'), nodes: 3, replicate: 2, port: 14_000 + Math.floor(Math.random() * 80) * 100, orchestrators: 2, metadata: POSTGRES_URL, env: process.env });
  token = (JSON.parse(await readFile(join(dir, 'c', 'tokens.json'), 'utf8')) as { DCS_TOKEN: string }).DCS_TOKEN;
});

after(async () => {
  await clusterDown(join(dir, 'c'), 5000);
  await cleanup();
});

const through = (i: number, options: { workers?: number } = {}): RemoteRepository => new RemoteRepository(cluster.servers[i]!, { token, workers: options.workers ?? 1 });

/** Blocks of shared and distinct content, so concurrent uploads claim the same chunks. */
function mixed(shared: Uint8Array, seed: number): Uint8Array {
  return Buffer.concat([shared.subarray(0, 200 * KiB), randomBytes(150 * KiB, seed), shared.subarray(200 * KiB), textBytes(100 * KiB, seed)]);
}

describe('two orchestrators over one PostgreSQL database', () => {
  it('concurrent uploads, deletes and gc through both keep refcounts exact and lose no chunk', async () => {
    const a = through(0);
    const b = through(1);
    try {
      const shared = textBytes(600 * KiB, 1);
      const files = Array.from({ length: 8 }, (_, i) => ({ name: `f${i % 4}`, data: mixed(shared, 10 + i) }));
      // Eight uploads at once, alternating orchestrators; names repeat, so versions pile up.
      await Promise.all(files.map((f, i) => (i % 2 ? b : a).upload(pieces(f.data, [64 * KiB]), { name: f.name, codec: 'zstd' })));
      // Deletes and gc through both, while more uploads of the same content run.
      await Promise.all([
        a.remove('f0'),
        b.remove('f1', { version: 1 }),
        b.upload(pieces(files[0]!.data), { name: 'late' }),
        a.gc({ orphans: false }),
        b.gc({ orphans: false }),
      ]);
      await a.gc({ orphans: false });

      // Every remaining version reads back exactly, through either orchestrator.
      const expected = new Map<string, Uint8Array>([['late', files[0]!.data]]);
      for (const f of files) if (f.name !== 'f0') expected.set(f.name, f.data);
      const names: string[] = [];
      for await (const f of a.list()) names.push(f.name);
      assert.deepEqual(names, [...expected.keys()].sort());

      // Refcounts: each chunk is referenced once per (version, occurrence) that holds it.
      const refs = new Map<string, number>();
      const refcount = new Map<string, number>();
      for (const name of names) {
        const s = await b.stat(name);
        for (let v = 1; v <= s.version.version; v++) {
          let st;
          try {
            st = await a.stat(name, { version: v, chunks: true });
          } catch {
            continue; // deleted version
          }
          const dl = await (v % 2 ? a : b).download(name, { version: v });
          assert.equal((await collect(dl.body)).length, st.version.size);
          for (const c of new Set(st.chunkList!.map((k) => k.id))) refs.set(c, (refs.get(c) ?? 0) + 1);
          for (const c of st.chunkList!) refcount.set(c.id, c.refcount);
        }
      }
      for (const [id, n] of refs) assert.equal(refcount.get(id), n, `chunk ${id.slice(0, 12)} refcount`);
      // The two concurrent uploads of f2 are its two versions, in whichever order they committed.
      const f2 = [sha(await collect((await a.download('f2', { version: 1 })).body)), sha(await collect((await b.download('f2', { version: 2 })).body))];
      assert.deepEqual(f2.sort(), [sha(files[2]!.data), sha(files[6]!.data)].sort());
      const report = await b.verify({ deep: true });
      assert.deepEqual(report.problems, []);
      assert.equal(report.lost, 0);
      assert.equal(report.missing, 0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a SIGKILLed orchestrator mid-upload: the client finishes on the other, the file is complete and correct', async () => {
    const client = new RemoteRepository(cluster.servers, { token, workers: 1 });
    const victim = cluster.processes.find((p) => p.role === 'orchestrator' && `http://127.0.0.1:${p.port}` === cluster.servers[0])!;
    try {
      const data = Buffer.concat([textBytes(3 * 1024 * KiB, 21), randomBytes(1024 * KiB, 22)]);
      let killed = false;
      async function* stream(): AsyncGenerator<Uint8Array> {
        for (let at = 0; at < data.length; at += 64 * KiB) {
          if (!killed && at >= data.length / 2) {
            // Half the file is offered and partly sent to orchestrator 0: kill it without warning.
            process.kill(victim.pid, 'SIGKILL');
            for (let i = 0; i < 250 && isAlive(victim.pid); i++) await new Promise((r) => setTimeout(r, 20));
            killed = true;
          }
          yield data.subarray(at, at + 64 * KiB);
        }
      }
      const r = await client.upload(stream(), { name: 'moved.bin', codec: 'zstd' });
      assert.ok(killed);
      assert.equal(r.version.size, data.length);
      assert.equal(isAlive(victim.pid), false);
      const back = await client.download('moved.bin');
      assert.equal(sha(await collect(back.body)), sha(data));
      const other = through(1);
      try {
        assert.equal(sha(await collect((await other.download('moved.bin')).body)), sha(data));
        const report = await other.verify({ name: 'moved.bin', deep: true });
        assert.deepEqual(report.problems, []);
        // Calls that find orchestrator 0 dead go to orchestrator 1.
        const s = await client.stat('moved.bin');
        assert.equal(s.version.size, data.length);
      } finally {
        await other.close();
      }
    } finally {
      await client.close();
    }
  });
});
