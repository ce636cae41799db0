// Erasure coding of one envelope: any k of k+m shards give it back; damaged, foreign or swapped
// shards are detected on their own and count as missing; repair rebuilds byte-equal shards.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  InsufficientShardsError,
  MAX_DATA_SHARDS,
  MAX_PARITY_SHARDS,
  SHARD_HEADER_SIZE,
  checkShard,
  decodeShards,
  decodeShardsDetailed,
  encodeShards,
  reconstructShards,
  shardIdFromKey,
  shardKey,
  shardPayloadLength,
  validateErasureParams,
} from '../../src/core/erasure.ts';
import { ChunkCodec } from '../../src/core/chunk-codec.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { randomBytes, textBytes } from '../helpers/data.ts';

const MiB = 1024 * 1024;

/** Every subset of size `n` of 0..total-1. */
function subsets(total: number, n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (let first = 0; first < total; first++) {
    for (const rest of subsets(total, n - 1)) if (rest.every((r) => r > first)) out.push([first, ...rest]);
  }
  return out;
}

function without(shards: readonly Uint8Array[], lost: readonly number[]): (Uint8Array | undefined)[] {
  return shards.map((s, i) => (lost.includes(i) ? undefined : s));
}

function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[at]! ^= 0x40;
  return copy;
}

function expectInsufficient(valid: number, needed: number): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof InsufficientShardsError, `expected InsufficientShardsError, got ${String(e)}`);
    assert.equal(e.code, 'INSUFFICIENT_SHARDS');
    assert.equal(e.valid, valid);
    assert.equal(e.needed, needed);
    assert.match(e.message, new RegExp(`only ${valid} of \\d+ erasure shards are valid, ${needed} needed`));
    return true;
  };
}

describe('erasure coding', () => {
  const params: [number, number][] = [
    [1, 1],
    [2, 1],
    [4, 2],
    [6, 3],
    [10, 4],
  ];
  const sizes = [0, 1, 1000, MiB + 7, 4 * MiB + 20];

  for (const [k, m] of params) {
    it(`round-trips ${k}+${m} for envelopes of ${sizes.join(', ')} bytes, and with the first m shards lost`, async () => {
      for (const size of sizes) {
        const envelope = randomBytes(size, size + k);
        const shards = await encodeShards(envelope, k, m);
        assert.equal(shards.length, k + m);
        const payload = shardPayloadLength(size, k);
        assert.equal(payload % 8, 0);
        for (const s of shards) assert.equal(s.length, SHARD_HEADER_SIZE + payload);
        assert.deepEqual(await decodeShards(shards, k, m), envelope, `all shards, ${size} bytes`);
        // The first m shards (data) lost: the coder must rebuild.
        const lost = [...Array(m).keys()];
        assert.deepEqual(await decodeShards(without(shards, lost), k, m), envelope, `first ${m} lost, ${size} bytes`);
      }
    });
  }

  it('decodes a real chunk envelope whatever two of six shards are lost (all 15 cases for 4+2)', async () => {
    const codec = new ChunkCodec({});
    const data = textBytes(300_000);
    const id = codec.id(data);
    const { envelope } = codec.encode(data, id, 'zstd');
    const shards = await encodeShards(envelope, 4, 2);
    const cases = subsets(6, 2);
    assert.equal(cases.length, 15);
    for (const lost of cases) {
      const got = await decodeShards(without(shards, lost), 4, 2);
      assert.deepEqual(got, envelope, `lost ${lost.join(',')}`);
      assert.deepEqual(codec.decode(got, id), data);
    }
    for (const lost of subsets(6, 1)) assert.deepEqual(await decodeShards(without(shards, lost), 4, 2), envelope);
  });

  it('fails clearly, naming the count, when more than m shards are lost', async () => {
    const envelope = randomBytes(5000);
    const shards = await encodeShards(envelope, 4, 2);
    for (const lost of subsets(6, 3)) {
      await assert.rejects(decodeShards(without(shards, lost), 4, 2), expectInsufficient(3, 4));
    }
    await assert.rejects(decodeShards([], 4, 2), expectInsufficient(0, 4));
    await assert.rejects(
      decodeShards(without(shards, [0, 1, 2]), 4, 2, undefined, 'ab'.repeat(32)),
      (e: unknown) => e instanceof InsufficientShardsError && e.message.startsWith('chunk abababab') && /shard 0: missing/.test(e.message),
    );
  });

  it('detects a corrupted byte in any shard, header or payload, and treats that shard as missing', async () => {
    const envelope = randomBytes(10_000, 3);
    const shards = await encodeShards(envelope, 4, 2);
    const len = shards[0]!.length;
    // Every header byte and a spread of payload bytes, in a data shard and in a parity shard.
    const positions = [...Array(SHARD_HEADER_SIZE).keys(), SHARD_HEADER_SIZE, SHARD_HEADER_SIZE + 1, 700, 1500, len - 1];
    for (const victim of [1, 5]) {
      for (const at of positions) {
        const damaged = shards.map((s, i) => (i === victim ? flipped(s, at) : s));
        const result = await decodeShardsDetailed(damaged, 4, 2);
        assert.deepEqual(result.envelope, envelope, `shard ${victim} byte ${at}`);
        assert.deepEqual(result.rejected.map((r) => r.index), [victim], `shard ${victim} byte ${at}`);
        assert.ok(!result.valid.includes(victim));
        // With two others lost as well, that makes three: too few.
        const others = [0, 2, 3, 4].filter((i) => i !== victim).slice(0, 2);
        await assert.rejects(decodeShards(without(damaged, others), 4, 2), expectInsufficient(3, 4));
      }
    }
  });

  it('names why a shard was rejected: checksum, truncation, magic, trailing bytes', async () => {
    const shards = await encodeShards(randomBytes(999), 2, 1);
    const s = shards[0]!;
    const reason = (bytes: Uint8Array): string => {
      const r = checkShard(bytes, 2, 1, 0);
      assert.equal(typeof r, 'string');
      return r as string;
    };
    assert.match(reason(flipped(s, SHARD_HEADER_SIZE + 3)), /checksum mismatch/);
    assert.match(reason(s.subarray(0, s.length - 1)), /truncated/);
    assert.match(reason(s.subarray(0, 10)), /truncated/);
    assert.match(reason(flipped(s, 0)), /bad magic/);
    const longer = new Uint8Array(s.length + 1);
    longer.set(s);
    assert.match(reason(longer), /trailing bytes/);
    // A chunk envelope is not a shard.
    const codec = new ChunkCodec({});
    const data = textBytes(100);
    assert.match(reason(codec.encode(data, codec.id(data), 'none').envelope), /bad magic/);
  });

  it('rejects a shard from another chunk, a swapped index, and a shard coded with other k or m', async () => {
    const envelope = randomBytes(20_000, 11);
    const other = randomBytes(20_000, 12); // same length: only the envelope CRC tells them apart
    const shards = await encodeShards(envelope, 4, 2);
    const foreign = await encodeShards(other, 4, 2);

    // Another chunk's shard in slot 2.
    let result = await decodeShardsDetailed(shards.map((s, i) => (i === 2 ? foreign[2] : s)), 4, 2);
    assert.deepEqual(result.envelope, envelope);
    assert.deepEqual(result.rejected, [{ index: 2, reason: 'belongs to a different envelope (another chunk or a stale write)' }]);
    // Two foreign shards and one lost: three good ones left.
    await assert.rejects(
      decodeShards([shards[0], foreign[1], foreign[2], shards[3], shards[4], undefined], 4, 2),
      expectInsufficient(3, 4),
    );

    // Swapped objects: slot 0 holds shard 1 and slot 1 holds shard 0.
    result = await decodeShardsDetailed([shards[1], shards[0], ...shards.slice(2)], 4, 2);
    assert.deepEqual(result.envelope, envelope);
    assert.deepEqual(result.rejected.map((r) => r.index), [0, 1]);
    assert.match(result.rejected[0]!.reason, /holds shard index 1, expected 0/);

    // expectedIndexes lets the caller pass the shards it fetched in any order.
    const order = [5, 3, 1, 0];
    assert.deepEqual(await decodeShards(order.map((i) => shards[i]), 4, 2, order), envelope);
    await assert.rejects(decodeShards(order.map((i) => shards[i]), 4, 2, [5, 3, 0, 1]), expectInsufficient(2, 4));

    // Same envelope coded 3+3 or 4+1: right size perhaps, wrong code.
    const other33 = await encodeShards(envelope, 3, 3);
    const other41 = await encodeShards(envelope, 4, 1);
    result = await decodeShardsDetailed([other41[0], shards[1], shards[2], shards[3], other33[4], shards[5]], 4, 2);
    assert.deepEqual(result.envelope, envelope);
    assert.deepEqual(result.rejected.map((r) => r.index), [0, 4]);
    assert.match(result.rejected[0]!.reason, /coded as 4\+1, expected 4\+2/);
    assert.match(result.rejected[1]!.reason, /coded as 3\+3, expected 4\+2/);
  });

  it('reconstructShards rebuilds exactly the lost shards, byte-equal to the originals', async () => {
    for (const [k, m, size] of [
      [4, 2, 1_000_003],
      [10, 4, 4 * MiB + 20],
      [1, 1, 0],
      [6, 3, 1],
    ] as const) {
      const shards = await encodeShards(randomBytes(size, 5), k, m);
      for (const lost of [[...Array(m).keys()], [...Array(m).keys()].map((i) => k + m - 1 - i), [0, k + m - 1].slice(0, m)]) {
        const rebuilt = await reconstructShards(without(shards, lost), k, m, lost);
        assert.equal(rebuilt.length, lost.length);
        lost.forEach((index, j) => assert.deepEqual(rebuilt[j], shards[index], `${k}+${m} size ${size}: shard ${index}`));
      }
    }
    // All 15 two-shard losses of 4+2, plus asking for a shard that is present (a copy comes back).
    const shards = await encodeShards(randomBytes(77_777, 9), 4, 2);
    for (const lost of subsets(6, 2)) {
      const wanted = [...lost, lost[0] === 0 ? 1 : 0];
      const rebuilt = await reconstructShards(without(shards, lost), 4, 2, wanted);
      wanted.forEach((index, j) => assert.deepEqual(rebuilt[j], shards[index], `lost ${lost.join(',')}: shard ${index}`));
    }
    // A corrupt shard is not used as a source, and too few valid shards is the same clear error.
    const damaged = shards.map((s, i) => (i === 3 ? flipped(s, 100) : s));
    assert.deepEqual(await reconstructShards(without(damaged, [0]), 4, 2, [0, 3]), [shards[0], shards[3]]);
    await assert.rejects(reconstructShards(without(damaged, [0, 1]), 4, 2, [0, 1, 3]), expectInsufficient(3, 4));
  });

  it('gives each of many concurrent encodes and decodes its own result (shared scratch buffers)', async () => {
    const envelopes = [...Array(12).keys()].map((i) => randomBytes(50_000 + i * 40_000, 100 + i));
    const encoded = await Promise.all(envelopes.map((e, i) => encodeShards(e, i % 2 ? 4 : 6, i % 2 ? 2 : 3)));
    const decoded = await Promise.all(encoded.map((s, i) => decodeShards(without(s, [0, 1]), i % 2 ? 4 : 6, i % 2 ? 2 : 3)));
    decoded.forEach((d, i) => assert.deepEqual(d, envelopes[i], `envelope ${i}`));
  });

  it('validates k and m with clear errors', async () => {
    validateErasureParams(1, 1);
    validateErasureParams(MAX_DATA_SHARDS, MAX_PARITY_SHARDS);
    for (const [k, m, what] of [
      [0, 1, /data shards must be an integer from 1 to 24, got 0/],
      [MAX_DATA_SHARDS + 1, 2, /data shards .* got 25/],
      [2.5, 1, /data shards/],
      [4, 0, /parity shards must be an integer from 1 to 6, got 0/],
      [4, MAX_PARITY_SHARDS + 1, /parity shards .* got 7/],
    ] as const) {
      await assert.rejects(encodeShards(new Uint8Array(10), k, m), (e: unknown) => e instanceof ConfigError && what.test(e.message));
      await assert.rejects(decodeShards([], k, m), ConfigError);
    }
  });

  it('names shard objects after their chunk and parses the names back', () => {
    const id = `ab${'0123456789abcdef'.repeat(4).slice(2)}`;
    assert.equal(shardKey(id, 0), `chunks/ab/${id}.0`);
    assert.equal(shardKey(id, 13), `chunks/ab/${id}.13`);
    assert.deepEqual(shardIdFromKey(`chunks/ab/${id}.13`), { id, index: 13 });
    assert.deepEqual(shardIdFromKey(`chunks/ab/${id}.0`), { id, index: 0 });
    for (const bad of [
      `chunks/ab/${id}`, // a whole chunk, not a shard
      `chunks/ab/${id}.`,
      `chunks/ab/${id}.01`,
      `chunks/ab/${id}.30`,
      `chunks/ab/${id}.-1`,
      `chunks/cd/${id}.1`,
      `chunks/ab/${id.toUpperCase()}.1`,
      `chunks/ab/${id}.1.tmp`,
    ]) {
      assert.equal(shardIdFromKey(bad), undefined, bad);
    }
    assert.throws(() => shardKey('abc', 1), /not a chunk id/);
    assert.throws(() => shardKey(id, 30), /shard index/);
  });
});
