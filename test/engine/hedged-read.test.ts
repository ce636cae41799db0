// Hedged reads: when the first copy of a chunk is slow, the reader asks another copy and uses
// whichever verified answer comes first; a slow backend no longer sets the pace of a download.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { download } from '../../src/engine/download.ts';
import { upload } from '../../src/engine/upload.ts';
import { withFaults } from '../../src/storage/fault-store.ts';
import { MemoryBlobStore } from '../../src/storage/memory-store.ts';
import { withResilience } from '../../src/storage/resilient-store.ts';
import { collect, pieces, randomBytes } from '../helpers/data.ts';
import { testEngine } from '../helpers/engine.ts';

describe('hedged reads', () => {
  it('reads every chunk from the fast copy when the other backend stalls', async () => {
    const slow = withFaults(new MemoryBlobStore({ name: 'slow' }));
    const stores = [withResilience(slow), withResilience(new MemoryBlobStore({ name: 'fast' }))];
    const t = await testEngine({ stores, replicas: 2 });
    try {
      const data = randomBytes(400_000, 3);
      await upload(t.ctx, pieces(data), { name: 'f' });
      // Which backend ranks first differs per chunk; make sure some chunks rank the slow one first.
      const ranks = [];
      for await (const vc of t.ctx.metadata.versionChunks((await t.ctx.metadata.getVersion('f'))!.versionId)) ranks.push(t.ctx.placement.rank(vc.chunk.id)[0]!.name);
      assert.ok(ranks.includes('slow'), 'some chunks are read from the slow backend first');
      slow.faults.latencyMs = 10_000;
      const started = performance.now();
      const got = await collect((await download(t.ctx, 'f')).body);
      const seconds = (performance.now() - started) / 1000;
      assert.deepEqual(got, data);
      // Without hedging, each chunk ranked slow-first would wait 10 s.
      assert.ok(seconds < 5, `download took ${seconds.toFixed(1)} s`);
      assert.deepEqual(t.warnings, [], 'a slow copy is not a failed copy: nothing to heal');
    } finally {
      slow.faults.latencyMs = 0;
      await t.close();
    }
  });
});
