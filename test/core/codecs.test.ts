// Codecs and the per-chunk transform: round trips, stable ids (golden samples that must decode
// forever), auto choice, and the guarantee that nothing is stored larger than raw + header.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkCodec } from '../../src/core/chunk-codec.ts';
import { chooseAutoCodec, CODEC_NAMES, codecById, codecByName, parseCodecChoice, validateLevel } from '../../src/core/codecs.ts';
import { ENVELOPE_HEADER_SIZE } from '../../src/core/envelope.ts';
import { ChunkCorruptError, UnknownCodecError, UsageError } from '../../src/core/errors.ts';
import { randomBytes, textBytes } from '../helpers/data.ts';

const GOLDEN_PLAIN = 'dcs golden sample: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa end';
const GOLDEN_ID = '15b9da2a95908b67101322604f8cfc6d8cb63ac10d7f31fef75f183da584df33';
/** Written once by this code; if any stops decoding, old repositories would become unreadable. */
const GOLDEN: Record<string, string> = {
  none: '444353010100000059000000590000003a860a8164637320676f6c64656e2073616d706c653a2061616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616120656e64',
  gzip: '4443530101010000590000002e000000366a872d1f8b08000000000000034b492e5648cfcf4949cd53284ecc2dc849b55248a41828a4e6a50000064e0ebe59000000',
  zstd: '44435301010200005900000027000000afc6f58a28b52ffd2059f50000c064637320676f6c64656e2073616d706c653a206120656e6401002c0126',
  brotli: '444353010103000059000000200000004952d4171b580000443786a9ae645b13372c172c51ae0aa496f1c82d6af0de5732386808',
  snappy: '44435301010400005900000020000000ad37e5e1594c64637320676f6c64656e2073616d706c653a2061ee010005010c20656e64',
  lz4: '44435301010500005900000024000000767e562359000000ff0564637320676f6c64656e2073616d706c653a206101002c60616120656e64',
};
const GOLDEN_KEYS = { chunkKey: new Uint8Array(32).fill(7), idKey: new Uint8Array(32).fill(9) };
const GOLDEN_ENCRYPTED_ID = '88a12f1607be073ff6de7538467c283da0fe7246f8fac68ac0ad009d19327863';
const GOLDEN_ENCRYPTED =
  '44435301010201005900000043000000ce3b3071c5795aac24e8f260798def63a2a01827da8f04dcba6f98f58428d7330a27e3a21723d1ab5dba49effb606067805c7069273e8c30eb31fe71269521dde10787f1edc303';

describe('codec registry', () => {
  it('keeps its ids stable', () => {
    assert.deepEqual(
      CODEC_NAMES.map((n) => [n, codecByName(n).id]),
      [['none', 0], ['gzip', 1], ['zstd', 2], ['brotli', 3], ['snappy', 4], ['lz4', 5]],
    );
    for (const n of CODEC_NAMES) assert.equal(codecById(codecByName(n).id).name, n);
    assert.throws(() => codecById(6), UnknownCodecError);
    assert.throws(() => parseCodecChoice('lzma'), UnknownCodecError);
    assert.equal(parseCodecChoice('auto'), 'auto');
  });

  it('validates levels per codec', () => {
    assert.equal(validateLevel(codecByName('zstd'), 19), 19);
    assert.throws(() => validateLevel(codecByName('zstd'), 20), UsageError);
    assert.throws(() => validateLevel(codecByName('gzip'), 0), UsageError);
    assert.throws(() => validateLevel(codecByName('lz4'), 1), /no compression levels/);
    assert.equal(codecByName('brotli').levels!.default, 4);
  });

  for (const name of CODEC_NAMES) {
    it(`${name}: golden sample decodes to the known plaintext`, () => {
      const plain = new ChunkCodec({}).decode(Buffer.from(GOLDEN[name]!, 'hex'), GOLDEN_ID);
      assert.equal(new TextDecoder().decode(plain), GOLDEN_PLAIN);
    });

    it(`${name}: round-trips empty, 1-byte, text and random chunks at every level`, () => {
      const codec = codecByName(name);
      const levels = codec.levels ? [codec.levels.min, codec.levels.default, Math.min(codec.levels.max, 9)] : [undefined];
      for (const data of [new Uint8Array(0), new Uint8Array([7]), textBytes(300_000), randomBytes(100_000)]) {
        for (const level of levels) {
          const packed = codec.compress(data, level);
          assert.deepEqual(codec.decompress(packed, data.length), data);
        }
      }
    });
  }

  it('refuses decompressed output longer than the recorded plain length', () => {
    const zstd = codecByName('zstd');
    const packed = zstd.compress(new Uint8Array(100_000));
    assert.throws(() => zstd.decompress(packed, 1000));
  });

  it('golden encrypted sample decodes with its key and fails with another', () => {
    const plain = new ChunkCodec({ keys: GOLDEN_KEYS }).decode(Buffer.from(GOLDEN_ENCRYPTED, 'hex'), GOLDEN_ENCRYPTED_ID);
    assert.equal(new TextDecoder().decode(plain), GOLDEN_PLAIN);
    const other = new ChunkCodec({ keys: { chunkKey: new Uint8Array(32).fill(1), idKey: GOLDEN_KEYS.idKey } });
    assert.throws(() => other.decode(Buffer.from(GOLDEN_ENCRYPTED, 'hex'), GOLDEN_ENCRYPTED_ID), /authentication failed/);
  });
});

describe('auto and the size guarantee', () => {
  it('auto stores random data raw and compresses text with zstd', () => {
    assert.equal(chooseAutoCodec(randomBytes(1 << 20)), 'none');
    assert.equal(chooseAutoCodec(textBytes(1 << 20)), 'zstd');
    const c = new ChunkCodec({});
    const rnd = randomBytes(1 << 20, 3);
    assert.equal(c.encode(rnd, c.id(rnd), 'auto').codecId, 0);
  });

  it('never stores a chunk larger than raw + header, whatever codec is asked for', () => {
    for (const keys of [undefined, GOLDEN_KEYS]) {
      const c = new ChunkCodec(keys ? { keys } : {});
      for (const name of [...CODEC_NAMES, 'auto'] as const) {
        const data = randomBytes(50_000, 5);
        const e = c.encode(data, c.id(data), name);
        assert.ok(e.storedSize <= data.length + ENVELOPE_HEADER_SIZE + (keys ? 28 : 0), `${name}: ${e.storedSize}`);
        assert.equal(e.codecId, 0);
        assert.deepEqual(c.decode(e.envelope, e.id), data);
      }
    }
  });
});

describe('encrypted chunks', () => {
  it('uses HMAC ids that differ from plain SHA-256 ids and hides the plaintext', () => {
    const data = textBytes(10_000);
    const plainId = new ChunkCodec({}).id(data);
    const c = new ChunkCodec({ keys: GOLDEN_KEYS });
    const id = c.id(data);
    assert.notEqual(id, plainId);
    const e = c.encode(data, id, 'none');
    assert.equal(Buffer.from(e.envelope).includes(Buffer.from(data.subarray(0, 32))), false);
    const again = c.encode(data, id, 'none');
    assert.notDeepEqual(again.envelope, e.envelope, 'a fresh nonce per encryption');
  });

  it('fails authentication for an object stored under another id (swapped objects)', () => {
    const c = new ChunkCodec({ keys: GOLDEN_KEYS });
    const a = textBytes(5000, 1);
    const b = textBytes(5000, 2);
    const ea = c.encode(a, c.id(a), 'zstd');
    assert.throws(() => c.decode(ea.envelope, c.id(b)), (e: unknown) => e instanceof ChunkCorruptError && /authentication failed/.test(e.message));
  });

  it('refuses unencrypted objects in an encrypted repository and vice versa', () => {
    const data = textBytes(1000);
    const plain = new ChunkCodec({});
    const enc = new ChunkCodec({ keys: GOLDEN_KEYS });
    assert.throws(() => enc.decode(plain.encode(data, plain.id(data), 'zstd').envelope, enc.id(data)), /not encrypted/);
    assert.throws(() => plain.decode(enc.encode(data, enc.id(data), 'zstd').envelope, plain.id(data)), /no key/);
  });
});
