// Chaos: four backends that each fail 20% of all operations at random (transient errors), one of
// them down for the whole run, replicate 2, behind the default resilience stack (retries with
// jitter, circuit breaker). 200 random files must round-trip with zero loss and zero wrong bytes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { download } from '../../src/engine/download.ts';
import { upload } from '../../src/engine/upload.ts';
import { verify } from '../../src/engine/verify.ts';
import { withFaults, type FaultyStore } from '../../src/storage/fault-store.ts';
import { MemoryBlobStore } from '../../src/storage/memory-store.ts';
import { withResilience } from '../../src/storage/resilient-store.ts';
import { collect, pieces, randomBytes } from '../helpers/data.ts';
import { testEngine } from '../helpers/engine.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const RATE = { put: 0.2, get: 0.2, head: 0.2, delete: 0.2, list: 0.2 };

describe('chaos', () => {
  it('200 files round-trip through 20% random transient errors with one backend down', { timeout: 120_000 }, async () => {
    const faulty: FaultyStore[] = Array.from({ length: 4 }, (_, i) => withFaults(new MemoryBlobStore({ name: `b${i}` }), { errorRate: RATE, seed: 100 + i }));
    faulty[2]!.faults.outage = true;
    const stores = faulty.map((s) => withResilience(s, { retry: { retries: 6, initialDelayMs: 2, maxDelayMs: 50 }, breaker: { failures: 5, halfOpenAfterMs: 200 } }));
    const t = await testEngine({ stores, replicas: 2 });
    try {
      const files = Array.from({ length: 200 }, (_, i) => ({ name: `f/${i}`, data: randomBytes((i * 7919) % 150_000, 1000 + i) }));
      for (let i = 0; i < files.length; i += 8) {
        await Promise.all(files.slice(i, i + 8).map((f) => upload(t.ctx, pieces(f.data, [40_000]), { name: f.name })));
      }
      for (let i = 0; i < files.length; i += 8) {
        await Promise.all(
          files.slice(i, i + 8).map(async (f) => {
            const got = await collect((await download(t.ctx, f.name)).body);
            assert.equal(sha(got), sha(f.data), f.name);
          }),
        );
      }
      // Every chunk has its two copies on live backends: nothing was recorded on the dead one.
      faulty.forEach((s) => (s.faults.errorRate = {}));
      const report = await verify(t.ctx, { deep: true });
      assert.equal(report.lost, 0);
      assert.equal(report.corrupt, 0);
      assert.equal(report.missing, 0);
    } finally {
      await t.close();
    }
  });
});
