// Writes that cannot reach enough backends: by default they fail and leave no version; with
// redundancy.minCopies below replicate they succeed degraded, show as such in stat and verify,
// and repair completes them once the backend is back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InsufficientBackendsError } from '../../src/core/errors.ts';
import { repair } from '../../src/engine/repair.ts';
import { stat } from '../../src/engine/stat.ts';
import { upload } from '../../src/engine/upload.ts';
import { verify } from '../../src/engine/verify.ts';
import { withFaults } from '../../src/storage/fault-store.ts';
import { MemoryBlobStore } from '../../src/storage/memory-store.ts';
import { pieces, randomBytes } from '../helpers/data.ts';
import { testEngine } from '../helpers/engine.ts';

function threeBackends() {
  const stores = [0, 1, 2].map((i) => withFaults(new MemoryBlobStore({ name: `b${i}` })));
  stores[1]!.faults.outage = true;
  return stores;
}

describe('degraded writes', () => {
  it('fail cleanly by default when fewer backends than replicate are reachable', async () => {
    const t = await testEngine({ stores: threeBackends(), replicas: 3 });
    try {
      await assert.rejects(upload(t.ctx, pieces(randomBytes(100_000, 1)), { name: 'f' }), InsufficientBackendsError);
      assert.equal(await t.ctx.metadata.getVersion('f'), undefined);
    } finally {
      await t.close();
    }
  });

  it('succeed with minCopies, show as degraded, and repair completes them', async () => {
    const stores = threeBackends();
    const t = await testEngine({ stores, replicas: 3 });
    t.ctx.minCopies = 2;
    try {
      await upload(t.ctx, pieces(randomBytes(100_000, 2)), { name: 'f' });
      assert.match(t.warnings.join('\n'), /f: \d+ chunk\(s\) stored with fewer than 3 copies/);
      assert.equal((await stat(t.ctx, 'f')).health, 'degraded');
      const before = await verify(t.ctx);
      assert.ok(before.underReplicated > 0);
      assert.equal(before.lost, 0);
      // Per-backend health: a backend that stops answering shows as down.
      stores[0]!.faults.outage = true;
      const down = await verify(t.ctx);
      assert.equal(down.perBackend.find((b) => b.backend === 'b0')?.health, 'down');
      assert.equal(down.perBackend.find((b) => b.backend === 'b2')?.health, 'healthy');
      stores[0]!.faults.outage = false;
      stores[1]!.faults.outage = false;
      const r = await repair(t.ctx);
      assert.ok(r.added > 0);
      assert.equal((await stat(t.ctx, 'f')).health, 'healthy');
      assert.equal((await verify(t.ctx, { deep: true })).underReplicated, 0);
    } finally {
      await t.close();
    }
  });
});
