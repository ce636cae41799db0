// CompressionService: every codec (and auto) round-trips when the caller seals the answer itself,
// plain and encrypted, byte-for-byte like local encoding; bad codecs, levels, sizes and payloads
// get INVALID_ARGUMENT; the node token is required; one port speaks gRPC and Connect.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { ChunkCodec } from '../../src/core/chunk-codec.ts';
import { CODEC_NAMES, codecById, codecByName } from '../../src/core/codecs.ts';
import type { ChunkCompressor } from '../../src/engine/chunk-compressor.ts';
import { sendBearer } from '../../src/services/auth.ts';
import { CompressionService } from '../../src/services/gen/dcs/v1/compression_pb.js';
import { createTransport, type ClosableTransport } from '../../src/services/transport.ts';
import { randomBytes, textBytes } from '../helpers/data.ts';
import { NODE_TOKEN, startCompressor, type RunningService } from '../helpers/services.ts';

const KEYS = { chunkKey: new Uint8Array(32).fill(7), idKey: new Uint8Array(32).fill(9) };
const isCode = (code: Code, pattern?: RegExp) => (e: unknown): boolean =>
  e instanceof ConnectError && e.code === code && (pattern === undefined || pattern.test(e.rawMessage));

describe('compression service', () => {
  let svc: RunningService;
  let conn: ClosableTransport;
  let client: ReturnType<typeof createClient<typeof CompressionService>>;

  before(async () => {
    svc = await startCompressor({ workers: 2, maxChunkBytes: 1 << 20 });
    // createTransport: the gRPC protocol over HTTP/2 (createGrpcTransport), as orchestrators call.
    conn = createTransport(svc.url, { token: NODE_TOKEN });
    client = createClient(CompressionService, conn.transport);
  });
  after(async () => {
    conn.close();
    await svc.close();
  });

  for (const keys of [undefined, KEYS]) {
    it(`round-trips every codec and auto, sealed by the caller (${keys ? 'encrypted' : 'plain'} repository)`, async () => {
      const codec = new ChunkCodec(keys ? { keys } : {});
      const text = textBytes(200_000, 3);
      const id = codec.id(text);
      for (const name of [...CODEC_NAMES, 'auto'] as const) {
        const res = await client.compress({ data: text, codec: name });
        assert.equal(res.codecId, codecByName(name === 'auto' ? 'zstd' : name).id, name);
        const sealed = codec.seal(text.length, id, res.codecId, res.payload);
        assert.deepEqual(codec.decode(sealed.envelope, id), text, name);
        const local = codec.encode(text, id, name);
        assert.equal(sealed.storedSize, local.storedSize, name);
        // Without keys there is no nonce: the remote path stores exactly the bytes the local one does.
        if (!keys) assert.deepEqual(sealed.envelope, local.envelope, name);
        const back = await client.decompress({ codecId: res.codecId, payload: res.payload, plainLength: text.length });
        assert.deepEqual(new Uint8Array(back.data), text, name);
      }
    });
  }

  it('answers codec none for data that does not compress, whatever codec is asked for', async () => {
    const rnd = randomBytes(100_000, 4);
    for (const name of [...CODEC_NAMES, 'auto']) {
      const res = await client.compress({ data: rnd, codec: name });
      assert.equal(res.codecId, 0, name);
      assert.deepEqual(new Uint8Array(res.payload), rnd, name);
    }
  });

  it('honours levels, including brotli quality 0 (levels are optional on the wire)', async () => {
    const text = textBytes(300_000, 5);
    const fast = await client.compress({ data: text, codec: 'brotli', level: 0 });
    const dflt = await client.compress({ data: text, codec: 'brotli' });
    assert.equal(fast.codecId, 3);
    assert.notEqual(fast.payload.length, dflt.payload.length, 'quality 0 is not the default quality 4');
    assert.deepEqual(new Uint8Array(dflt.payload), codecByName('brotli').compress(text, 4));
    const z19 = await client.compress({ data: text, codec: 'auto', level: 19 });
    assert.deepEqual(new Uint8Array(z19.payload), codecByName('zstd').compress(text, 19));
  });

  it('refuses unknown codecs, bad levels and oversize chunks with INVALID_ARGUMENT', async () => {
    const data = textBytes(1000);
    await assert.rejects(client.compress({ data, codec: 'lzma' }), isCode(Code.InvalidArgument, /unknown codec "lzma"/));
    await assert.rejects(client.compress({ data, codec: '' }), isCode(Code.InvalidArgument, /codec is required/));
    await assert.rejects(client.compress({ data, codec: 'zstd', level: 42 }), isCode(Code.InvalidArgument, /level for zstd must be 1\.\.19/));
    await assert.rejects(client.compress({ data, codec: 'auto', level: 0 }), isCode(Code.InvalidArgument, /level for zstd/));
    await assert.rejects(client.compress({ data, codec: 'snappy', level: 1 }), isCode(Code.InvalidArgument, /snappy has no compression levels/));
    await assert.rejects(client.compress({ data: new Uint8Array((1 << 20) + 1), codec: 'zstd' }), isCode(Code.InvalidArgument, /larger than this compressor accepts/));
  });

  it('guards decompression: unknown codec, oversize plain_length, wrong length (bomb guard), garbage', async () => {
    const text = textBytes(50_000, 6);
    const z = await client.compress({ data: text, codec: 'zstd' });
    await assert.rejects(client.decompress({ codecId: 9, payload: z.payload, plainLength: text.length }), isCode(Code.InvalidArgument, /unknown codec 9/));
    await assert.rejects(client.decompress({ codecId: 2, payload: z.payload, plainLength: 0xffffffff }), isCode(Code.InvalidArgument, /plain_length/));
    for (const codecId of [1, 2, 3, 4, 5]) {
      const res = await client.compress({ data: text, codec: codecById(codecId).name });
      await assert.rejects(client.decompress({ codecId, payload: res.payload, plainLength: text.length - 1 }), isCode(Code.InvalidArgument, /cannot decompress/), `codec ${codecId}`);
    }
    await assert.rejects(client.decompress({ codecId: 2, payload: randomBytes(1000), plainLength: 5000 }), isCode(Code.InvalidArgument, /cannot decompress zstd/));
  });

  it('takes many large calls at once on one connection (no HTTP/2 session memory refusal)', async () => {
    const data = randomBytes(1 << 20, 9);
    const res = await Promise.all(Array.from({ length: 24 }, () => client.compress({ data, codec: 'none' })));
    for (const r of res) assert.equal(r.payload.length, data.length);
  });

  it('requires the node token', async () => {
    for (const options of [{}, { token: 'wrong' }]) {
      const c = createTransport(svc.url, options);
      await assert.rejects(createClient(CompressionService, c.transport).compress({ data: new Uint8Array(10), codec: 'zstd' }), isCode(Code.Unauthenticated));
      c.close();
    }
  });

  it('speaks the Connect protocol over HTTP/1.1 on the same port as gRPC', async () => {
    const text = textBytes(100_000, 8);
    const connect = createClient(CompressionService, createConnectTransport({ baseUrl: svc.url, httpVersion: '1.1', interceptors: [sendBearer(NODE_TOKEN)] }));
    const viaConnect = await connect.compress({ data: text, codec: 'zstd' });
    const viaGrpc = await client.compress({ data: text, codec: 'zstd' });
    assert.equal(viaConnect.codecId, 2);
    assert.deepEqual(viaConnect.payload, viaGrpc.payload);
    await assert.rejects(connect.compress({ data: text, codec: 'nope' }), isCode(Code.InvalidArgument));
  });
});

describe('compression service admission', () => {
  it('refuses work beyond maxPending with RESOURCE_EXHAUSTED instead of queueing without bound', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: ChunkCompressor = {
      compress: async (plain) => {
        await gate;
        return { codecId: 0, payload: plain };
      },
      decompress: async (_id, payload) => payload,
      close: async () => {},
    };
    const svc = await startCompressor({ compressor: slow, maxPending: 2 });
    const conn = createTransport(svc.url, { token: NODE_TOKEN });
    try {
      const client = createClient(CompressionService, conn.transport);
      const running = [client.compress({ data: new Uint8Array(10), codec: 'none' }), client.compress({ data: new Uint8Array(10), codec: 'none' })];
      await new Promise((r) => setTimeout(r, 100));
      await assert.rejects(client.compress({ data: new Uint8Array(10), codec: 'none' }), isCode(Code.ResourceExhausted, /busy/));
      release();
      for (const r of await Promise.all(running)) assert.equal(r.payload.length, 10);
    } finally {
      conn.close();
      await svc.close();
    }
  });
});
