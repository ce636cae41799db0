// Erasure coding throughput of one envelope (src/core/erasure.ts), one call at a time: encode
// (split + parity + shard headers and CRCs), decode with all shards, decode with two data shards
// missing (the coder rebuilds them), and repair of two lost shards. MB/s = 10^6 envelope bytes
// per second; best and median of the rounds. No assertions.
//
//   node bench/erasure.ts [--seconds 0.4] [--rounds 5]
import { parseArgs } from 'node:util';
import { decodeShards, encodeShards, reconstructShards } from '../src/core/erasure.ts';
import { randomBytes } from '../test/helpers/data.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '0.4' },
    rounds: { type: 'string', default: '5' },
  },
});
const seconds = Number(args.seconds);
const rounds = Number(args.rounds);

async function rate(bytes: number, op: () => Promise<unknown>): Promise<string> {
  for (let i = 0; i < 3; i++) await op(); // warm up
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < seconds * 1000) {
      await op();
      n++;
      elapsed = performance.now() - start;
    }
    results.push((n * bytes) / 1e6 / (elapsed / 1000));
  }
  results.sort((a, b) => a - b);
  const best = results.at(-1)!;
  const median = results[Math.floor(results.length / 2)]!;
  return `${best.toFixed(0).padStart(6)} / ${median.toFixed(0).padStart(6)}`;
}

console.log(`node ${process.version}, ${rounds} rounds of ${seconds} s, MB/s best / median`);
console.log('code  envelope   encode          decode (all)    decode (2 lost) repair 2 shards');
for (const [k, m] of [
  [4, 2],
  [10, 4],
] as const) {
  for (const mib of [1, 4]) {
    const size = mib * 1024 * 1024;
    const envelope = randomBytes(size, k * 100 + mib);
    const shards = await encodeShards(envelope, k, m);
    const twoLost = shards.map((s, i) => (i < 2 ? undefined : s)); // data shards 0 and 1: the coder must run
    const cols = [
      await rate(size, () => encodeShards(envelope, k, m)),
      await rate(size, () => decodeShards(shards, k, m)),
      await rate(size, () => decodeShards(twoLost, k, m)),
      await rate(size, () => reconstructShards(twoLost, k, m, [0, 1])),
    ];
    console.log(`${`${k}+${m}`.padEnd(5)} ${`${mib} MiB`.padEnd(10)} ${cols.join('   ')}`);
  }
}
