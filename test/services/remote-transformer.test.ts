// RemoteTransformer: the same ids and envelopes as local encoding on real data; round robin with a
// bound on calls in flight per compressor; failover to another compressor and to local
// compression; answers that break the protocol are errors, never stored.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkCodec } from '../../src/core/chunk-codec.ts';
import { CODEC_NAMES } from '../../src/core/codecs.ts';
import { UsageError } from '../../src/core/errors.ts';
import { inlineChunkSource } from '../../src/engine/chunk-source.ts';
import { InlineTransformer } from '../../src/engine/chunk-transformer.ts';
import { WorkerPoolTransformer } from '../../src/engine/worker-transformer.ts';
import { CompressionService } from '../../src/services/gen/dcs/v1/compression_pb.js';
import { RemoteServiceError } from '../../src/services/remote-service-error.ts';
import { RemoteTransformer } from '../../src/services/remote-transformer.ts';
import { hmacHasher, sha256Hasher } from '../../src/core/chunk-id.ts';
import { pieces, randomBytes, textBytes } from '../helpers/data.ts';
import { SMALL_CHUNKS } from '../helpers/engine.ts';
import { NODE_TOKEN, startCompressor, startFake } from '../helpers/services.ts';

const KEYS = { chunkKey: new Uint8Array(32).fill(7), idKey: new Uint8Array(32).fill(9) };

/** Text and random regions, so both compressed and `none` chunks occur. */
function mixedData(): Uint8Array {
  const out = new Uint8Array(1_500_000);
  out.set(textBytes(700_000, 21), 0);
  out.set(randomBytes(300_000, 22), 700_000);
  out.set(textBytes(500_000, 23), 1_000_000);
  return out;
}

async function chunksOf(data: Uint8Array, keys?: typeof KEYS): Promise<{ id: string; data: Uint8Array }[]> {
  const out: { id: string; data: Uint8Array }[] = [];
  for await (const c of inlineChunkSource(keys ? hmacHasher(keys.idKey) : sha256Hasher())(pieces(data), SMALL_CHUNKS)) out.push(c);
  return out;
}

describe('remote transformer', () => {
  for (const keys of [undefined, KEYS]) {
    it(`stores what local encoding stores, for every codec (${keys ? 'encrypted' : 'plain'})`, async () => {
      const svc = await startCompressor();
      const remote = new RemoteTransformer({ urls: [svc.url], client: { token: NODE_TOKEN }, ...(keys ? { keys } : {}) });
      const local = new ChunkCodec(keys ? { keys } : {});
      try {
        const chunks = await chunksOf(mixedData(), keys);
        assert.ok(chunks.length > 20);
        for (const codec of [...CODEC_NAMES, 'auto'] as const) {
          const encoded = await Promise.all(chunks.map((c) => remote.encode(c.data, c.id, codec, undefined)));
          let none = 0;
          for (const [i, e] of encoded.entries()) {
            const c = chunks[i]!;
            const want = local.encode(c.data, c.id, codec);
            assert.equal(e.id, c.id);
            assert.equal(e.codecId, want.codecId, codec);
            assert.equal(e.storedSize, want.storedSize, codec);
            if (!keys) assert.deepEqual(e.envelope, want.envelope, codec);
            assert.deepEqual(local.decode(e.envelope, c.id), c.data);
            assert.deepEqual(await remote.decode(e.envelope, c.id), c.data);
            if (e.codecId === 0) none++;
          }
          if (codec !== 'none') assert.ok(none > 0 && none < chunks.length, `${codec}: both compressed and raw chunks (${none})`);
        }
      } finally {
        await remote.close();
        await svc.close();
      }
    });
  }

  it('spreads chunks round robin with at most maxInFlightPerCompressor calls on each', async () => {
    const running = [0, 0];
    const peak = [0, 0];
    const fakes = await Promise.all(
      [0, 1].map((k) =>
        startFake(CompressionService, {
          compress: async (req) => {
            peak[k] = Math.max(peak[k]!, ++running[k]!);
            await new Promise((r) => setTimeout(r, 5));
            running[k]!--;
            return { codecId: 0, payload: req.data };
          },
        }),
      ),
    );
    const remote = new RemoteTransformer({ urls: fakes.map((f) => f.url), client: { token: NODE_TOKEN }, maxInFlightPerCompressor: 3 });
    try {
      const data = randomBytes(1000);
      await Promise.all(Array.from({ length: 60 }, (_, i) => remote.encode(data.slice(), `${String(i).padStart(2, '0')}${'0'.repeat(62)}`, 'zstd')));
      assert.deepEqual(peak, [3, 3]);
      // Round robin, except that a chunk skips a compressor whose slots are all taken.
      const calls = fakes.map((f) => f.calls());
      assert.equal(calls[0]! + calls[1]!, 60);
      assert.ok(Math.min(...calls) >= 20, `both compressors used: ${calls.join(', ')}`);
    } finally {
      await remote.close();
      for (const f of fakes) await f.close();
    }
  });

  it('fails over to the other compressor when one is down, and says so', async () => {
    const up = await startCompressor();
    const down = await startCompressor();
    const downUrl = down.url;
    await down.close();
    const warnings: string[] = [];
    const remote = new RemoteTransformer({ urls: [downUrl, up.url], client: { token: NODE_TOKEN }, warn: (m) => warnings.push(m) });
    const codec = new ChunkCodec({});
    try {
      const chunks = await chunksOf(textBytes(600_000, 31));
      for (const c of chunks) {
        const e = await remote.encode(c.data, c.id, 'zstd');
        assert.equal(e.codecId, 2);
        assert.deepEqual(codec.decode(e.envelope, c.id), c.data);
      }
      assert.equal(up.calls(), chunks.length, 'every chunk compressed by the live compressor');
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(warnings[0]!, new RegExp(`compressor ${downUrl} failed .*skipping it`));
    } finally {
      await remote.close();
      await up.close();
    }
  });

  it('compresses locally when no compressor is reachable, then uses one again once it is back', async () => {
    const svc = await startCompressor();
    const url = svc.url;
    await svc.close();
    const warnings: string[] = [];
    const remote = new RemoteTransformer({
      urls: [url],
      client: { token: NODE_TOKEN },
      keys: KEYS,
      local: new WorkerPoolTransformer({ workers: 1, keys: KEYS }),
      retryAfterMs: 50,
      warn: (m) => warnings.push(m),
    });
    const codec = new ChunkCodec({ keys: KEYS });
    const data = textBytes(100_000, 32);
    const id = codec.id(data);
    let back: Awaited<ReturnType<typeof startCompressor>> | undefined;
    try {
      const e = await remote.encode(data.slice(), id, 'zstd');
      assert.equal(e.codecId, 2);
      assert.deepEqual(codec.decode(e.envelope, id), data);
      assert.ok(warnings.some((w) => /no compressor reachable: compressing locally/.test(w)), warnings.join('\n'));
      // The same port again: the next chunk after the retry delay goes remote.
      back = await startCompressor({ port: Number(new URL(url).port) });
      await new Promise((r) => setTimeout(r, 60));
      await remote.encode(data.slice(), id, 'zstd');
      assert.equal(back.calls(), 1);
      assert.ok(warnings.some((w) => /reachable again/.test(w)), warnings.join('\n'));
    } finally {
      await remote.close();
      await back?.close();
    }
  });

  it('refuses answers that break the protocol, with an error naming the compressor', async () => {
    const text = textBytes(20_000, 41);
    const id = new ChunkCodec({}).id(text);
    const lies: [string, (data: Uint8Array) => { codecId: number; payload: Uint8Array }, RegExp][] = [
      ['unknown codec', (d) => ({ codecId: 9, payload: d.subarray(0, 10) }), /unknown codec id 9/],
      ['payload grew', (d) => ({ codecId: 2, payload: new Uint8Array(d.length + 1) }), /never grow/],
      ['none of another length', (d) => ({ codecId: 0, payload: d.subarray(1) }), /codec none with a/],
      ['garbage (caught by verify)', () => ({ codecId: 2, payload: randomBytes(100) }), /cannot decompress zstd/],
      ['wrong content (caught by verify)', () => ({ codecId: 4, payload: new Uint8Array(new ChunkCodec({}).encode(textBytes(20_000, 42), id, 'snappy').envelope.subarray(20)) }), /does not decompress to the chunk/],
    ];
    for (const [what, lie, pattern] of lies) {
      const fake = await startFake(CompressionService, { compress: async (req) => lie(new Uint8Array(req.data)) });
      const remote = new RemoteTransformer({ urls: [fake.url], client: { token: NODE_TOKEN }, verify: true });
      try {
        await assert.rejects(remote.encode(text, id, 'zstd'), (e: unknown) => e instanceof RemoteServiceError && e.message.includes(fake.url) && pattern.test(e.message), what);
      } finally {
        await remote.close();
        await fake.close();
      }
    }
  });

  it('passes bad arguments on as usage errors, and refuses to fail over on a wrong token', async () => {
    const svc = await startCompressor();
    const bad = new RemoteTransformer({ urls: [svc.url], client: { token: NODE_TOKEN } });
    const noToken = new RemoteTransformer({ urls: [svc.url], client: { token: 'wrong' }, local: new InlineTransformer() });
    try {
      const data = textBytes(1000);
      await assert.rejects(bad.encode(data, '0'.repeat(64), 'zstd', 99), (e: unknown) => e instanceof UsageError && /level for zstd/.test(e.message));
      await assert.rejects(noToken.encode(data, '0'.repeat(64), 'zstd'), (e: unknown) => e instanceof RemoteServiceError && /invalid token/.test(e.message));
    } finally {
      await bad.close();
      await noToken.close();
      await svc.close();
    }
  });

  it('spreads chunks over every address a compressor name resolves to, and follows the name when it changes', async () => {
    // Two compressors on one port, as Compose replicas behind one service name are: 127.0.0.1 and
    // 127.0.0.2 are both loopback.
    const a = await startCompressor({ workers: 1 });
    const port = Number(new URL(a.url).port);
    const b = await startCompressor({ workers: 1, host: '127.0.0.2', port });
    let addresses = ['127.0.0.1', '127.0.0.2'];
    const remote = new RemoteTransformer({ urls: [`http://compressors.test:${port}`], client: { token: NODE_TOKEN }, lookup: async () => addresses, resolveEveryMs: 60_000 });
    const local = new InlineTransformer();
    try {
      const chunks = await chunksOf(textBytes(800_000, 31));
      assert.ok(chunks.length >= 8, `${chunks.length} chunks`);
      const encodeAll = (): Promise<{ envelope: Uint8Array }[]> => Promise.all(chunks.map((c) => remote.encode(c.data, c.id, 'zstd')));
      await encodeAll();
      assert.deepEqual(remote.compressorUrls, [`http://127.0.0.1:${port}`, `http://127.0.0.2:${port}`]);
      assert.ok(a.calls() > 0 && b.calls() > 0, `calls: ${a.calls()} and ${b.calls()}`);
      assert.equal(a.calls() + b.calls(), chunks.length);
      // The name now resolves to another pair (one replica replaced): chunks follow it, and what is
      // stored is still what local encoding stores.
      const c = await startCompressor({ workers: 1, host: '127.0.0.3', port });
      try {
        addresses = ['127.0.0.3', '127.0.0.2'];
        await remote.resolve();
        assert.deepEqual(remote.compressorUrls, [`http://127.0.0.2:${port}`, `http://127.0.0.3:${port}`]);
        const [aBefore, bBefore] = [a.calls(), b.calls()];
        const encoded = await encodeAll();
        assert.equal(a.calls(), aBefore);
        assert.ok(b.calls() > bBefore && c.calls() > 0, `calls: ${b.calls() - bBefore} and ${c.calls()}`);
        for (const [i, chunk] of chunks.entries()) assert.deepEqual(await local.decode(encoded[i]!.envelope, chunk.id), chunk.data);
      } finally {
        await c.close();
      }
    } finally {
      await remote.close();
      await local.close();
      await a.close();
      await b.close();
    }
  });
});
