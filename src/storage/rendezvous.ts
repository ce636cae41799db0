// Weighted rendezvous (highest random weight) hashing: every key ranks every backend by
// score = -weight / ln(u), u = hash(key, backend) mapped into (0, 1). Adding a backend moves only
// the keys that now rank it first; removing one moves only its keys. The hash is part of the
// placement contract: changing it would move data, so it is SHA-256 (stable everywhere).
import { createHash } from 'node:crypto';

export interface WeightedNode {
  name: string;
  weight: number;
}

/** A uniform number in (0, 1) from the first 52 bits of SHA-256(key ‖ 0 ‖ node). */
function unit(key: string, node: string): number {
  const d = createHash('sha256').update(key).update('\0').update(node).digest();
  const hi = d.readUInt32BE(0) >>> 12; // 20 bits
  const lo = d.readUInt32BE(4); // 32 bits
  return (hi * 2 ** 32 + lo + 0.5) / 2 ** 52;
}

export function score(key: string, node: WeightedNode): number {
  return -node.weight / Math.log(unit(key, node.name));
}

/** All node names, best first, for this key. */
export function rankNodes<T extends WeightedNode>(key: string, nodes: readonly T[]): T[] {
  return nodes
    .map((n) => ({ n, s: score(key, n) }))
    .sort((a, b) => b.s - a.s || (a.n.name < b.n.name ? -1 : 1))
    .map((x) => x.n);
}
