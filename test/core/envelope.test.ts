// Every kind of damage to a stored object is detected and named.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkCodec } from '../../src/core/chunk-codec.ts';
import { ENVELOPE_HEADER_SIZE, encodeEnvelope, parseEnvelope } from '../../src/core/envelope.ts';
import { ChunkCorruptError } from '../../src/core/errors.ts';
import { textBytes } from '../helpers/data.ts';

const codec = new ChunkCodec({});
const data = textBytes(20_000);
const id = codec.id(data);
const good = codec.encode(data, id, 'zstd').envelope;

function expectCorrupt(bytes: Uint8Array, reason: RegExp): void {
  assert.throws(
    () => codec.decode(bytes, id, 'disk1'),
    (e: unknown) => e instanceof ChunkCorruptError && e.chunkId === id && e.backend === 'disk1' && reason.test(e.reason),
  );
}

describe('envelope', () => {
  it('round-trips header fields', () => {
    const env = encodeEnvelope({ codecId: 2, cipherId: 0, plainLength: 12345 }, new Uint8Array([1, 2, 3]));
    const { header, payload } = parseEnvelope(env, id);
    assert.deepEqual({ ...header, checksum: 0 }, { version: 1, codecId: 2, cipherId: 0, flags: 0, plainLength: 12345, payloadLength: 3, checksum: 0 });
    assert.deepEqual(payload, new Uint8Array([1, 2, 3]));
  });

  it('detects a flipped bit anywhere in the object', () => {
    for (let i = 0; i < good.length; i += Math.max(1, Math.floor(good.length / 97))) {
      const bad = new Uint8Array(good);
      bad[i]! ^= 0x10;
      assert.throws(() => codec.decode(bad, id), ChunkCorruptError, `byte ${i}`);
    }
  });

  it('names truncation, wrong magic, unknown version, trailing bytes and a bad checksum', () => {
    expectCorrupt(good.subarray(0, good.length - 1), /truncated/);
    expectCorrupt(good.subarray(0, 10), /truncated/);
    const magic = new Uint8Array(good);
    magic[0] = 0x58;
    expectCorrupt(magic, /bad magic/);
    const version = new Uint8Array(good);
    version[4] = 9;
    expectCorrupt(version, /unsupported format version 9/);
    const longer = new Uint8Array(good.length + 3);
    longer.set(good);
    expectCorrupt(longer, /trailing bytes/);
    const payload = new Uint8Array(good);
    payload[ENVELOPE_HEADER_SIZE + 5]! ^= 1;
    expectCorrupt(payload, /checksum mismatch/);
  });

  it('detects a valid object stored under the wrong chunk id', () => {
    const other = textBytes(20_000, 99);
    const env = codec.encode(other, codec.id(other), 'zstd').envelope;
    expectCorrupt(env, /does not match its chunk id/);
  });
});
