import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.ts';
import { MemoryBlobStore } from '../../src/storage/memory-store.ts';
import { Placement } from '../../src/storage/placement.ts';
import { rankNodes } from '../../src/storage/rendezvous.ts';
import { randomBytes } from '../helpers/data.ts';

const keys = Array.from({ length: 20_000 }, (_, i) => Buffer.from(randomBytes(32, i + 1)).toString('hex'));
const nodes = (names: string[], weights: number[] = []) => names.map((name, i) => ({ name, weight: weights[i] ?? 1 }));

describe('rendezvous placement', () => {
  it('is deterministic and independent of the order backends are listed in', () => {
    const a = nodes(['a', 'b', 'c', 'd']);
    for (const k of keys.slice(0, 200)) {
      assert.deepEqual(rankNodes(k, a).map((n) => n.name), rankNodes(k, [...a].reverse()).map((n) => n.name));
    }
    assert.deepEqual(rankNodes('fixed-key', a).map((n) => n.name), rankNodes('fixed-key', a).map((n) => n.name));
  });

  it('spreads keys in proportion to weights', () => {
    const counts = new Map<string, number>();
    for (const k of keys) {
      const first = rankNodes(k, nodes(['a', 'b', 'c'], [1, 1, 2]))[0]!.name;
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
    const share = (n: string) => (counts.get(n) ?? 0) / keys.length;
    assert.ok(Math.abs(share('a') - 0.25) < 0.02, `a ${share('a')}`);
    assert.ok(Math.abs(share('c') - 0.5) < 0.02, `c ${share('c')}`);
  });

  it('adding a backend moves only about 1/n of keys, and only to the new backend', () => {
    let moved = 0;
    for (const k of keys) {
      const before = rankNodes(k, nodes(['a', 'b', 'c', 'd']))[0]!.name;
      const after = rankNodes(k, nodes(['a', 'b', 'c', 'd', 'e']))[0]!.name;
      if (before !== after) {
        moved++;
        assert.equal(after, 'e');
      }
    }
    assert.ok(Math.abs(moved / keys.length - 0.2) < 0.02, `moved ${moved / keys.length}`);
  });

  it('removing a backend moves only its keys', () => {
    for (const k of keys.slice(0, 5000)) {
      const before = rankNodes(k, nodes(['a', 'b', 'c', 'd']))[0]!.name;
      const after = rankNodes(k, nodes(['a', 'b', 'c']))[0]!.name;
      if (before !== 'd') assert.equal(after, before);
    }
  });

  it('targets distinct backends and validates its configuration', () => {
    const backends = ['a', 'b', 'c'].map((name) => ({ name, weight: 1, store: new MemoryBlobStore({ name }) }));
    const p = new Placement(backends);
    const t = p.targets(keys[0]!, 2).map((b) => b.name);
    assert.equal(new Set(t).size, 2);
    assert.throws(() => new Placement([]), ConfigError);
    assert.throws(() => new Placement([backends[0]!, backends[0]!]), ConfigError);
    assert.throws(() => new Placement([{ ...backends[0]!, weight: 0 }]), ConfigError);
  });
});
