// An orchestrator is ready while it can write under its redundancy policy: as many backends answer
// as a write needs (`replicate`, `minCopies` below it, or erasure's `successThreshold`).
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { initRepository, type InitOptions } from '../../src/repository/init-repository.ts';
import { openRepository } from '../../src/repository/local-repository.ts';
import type { Readiness } from '../../src/repository/repository.ts';
import { tempDir } from '../helpers/cli.ts';

/** Readiness of a repository over fs backends b1..bN, after the directories of `lost` are deleted. */
async function readinessAfterLosing(backends: number, redundancy: Pick<InitOptions, 'replicate' | 'erasure'>, lost: number[]): Promise<Readiness> {
  const { dir, cleanup } = await tempDir('dcs-ready-');
  try {
    const repo = join(dir, 'repo');
    await initRepository(repo, { backends: Array.from({ length: backends }, (_, i) => `fs:b${i + 1}`), ...redundancy });
    for (const i of lost) await rm(join(repo, `b${i}`), { recursive: true });
    const opened = await openRepository(repo, { workers: 0 });
    try {
      return await opened.readiness();
    } finally {
      await opened.close();
    }
  } finally {
    await cleanup();
  }
}

describe('repository readiness', () => {
  it('replicate 2 without minCopies needs both backends', async () => {
    assert.deepEqual(await readinessAfterLosing(2, { replicate: 2 }, []), { ready: true, metadata: true, backends: { needed: 2, up: ['fs1', 'fs2'], down: [] } });
    assert.deepEqual(await readinessAfterLosing(3, { replicate: 2 }, [3]), { ready: true, metadata: true, backends: { needed: 2, up: ['fs1', 'fs2'], down: ['fs3'] } });
    assert.deepEqual(await readinessAfterLosing(2, { replicate: 2 }, [1]), { ready: false, metadata: true, backends: { needed: 2, up: ['fs2'], down: ['fs1'] } });
  });

  it('erasure 2+2 with successThreshold 3 stays ready with one backend lost, not with two', async () => {
    const erasure = { data: 2, parity: 2, successThreshold: 3 };
    assert.deepEqual(await readinessAfterLosing(4, { erasure }, [2]), { ready: true, metadata: true, backends: { needed: 3, up: ['fs1', 'fs3', 'fs4'], down: ['fs2'] } });
    assert.deepEqual(await readinessAfterLosing(4, { erasure }, [2, 4]), { ready: false, metadata: true, backends: { needed: 3, up: ['fs1', 'fs3'], down: ['fs2', 'fs4'] } });
  });
});
