// Scrub pacing: `verify --deep --rate R` reads at most R bytes per second across all backends.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { upload } from '../../src/engine/upload.ts';
import { verify } from '../../src/engine/verify.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { pieces, randomBytes } from '../helpers/data.ts';
import { testEngine } from '../helpers/engine.ts';

describe('scrub rate limit', () => {
  it('paces deep verification to the given byte rate', async () => {
    const t = await testEngine({ backends: 2, replicas: 2 });
    try {
      await upload(t.ctx, pieces(randomBytes(300_000, 4)), { name: 'f' }); // ~600 kB stored in two copies
      const fast = performance.now();
      const unpaced = await verify(t.ctx, { deep: true });
      const unpacedMs = performance.now() - fast;
      const started = performance.now();
      const paced = await verify(t.ctx, { deep: true, rateBytesPerSec: 400_000 });
      const pacedMs = performance.now() - started;
      assert.equal(paced.bytesChecked, unpaced.bytesChecked);
      // 600 kB at 400 kB/s: the first reservation starts at once, so at least ~1.2 s for the rest.
      assert.ok(pacedMs >= 1000, `paced scrub took ${Math.round(pacedMs)} ms`);
      assert.ok(unpacedMs < pacedMs / 2, `unpaced ${Math.round(unpacedMs)} ms vs paced ${Math.round(pacedMs)} ms`);
    } finally {
      await t.close();
    }
  });

  it('refuses --rate without --deep', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const r = await runCli(['verify', '--rate', '10M', '--repo', dir], { cwd: dir });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--rate .* --deep/);
    } finally {
      await cleanup();
    }
  });
});
