// ChunkingService + RemoteChunker: exactly the chunks and ids of local chunking (streams and
// files, FastCDC and fixed, SHA-256 and HMAC); bad setups get INVALID_ARGUMENT; a chunker that
// lies about boundaries produces a clear error, never wrong data; memory stays bounded on both
// sides of the stream.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { hmacHasher, sha256Hasher } from '../../src/core/chunk-id.ts';
import type { ChunkerParams } from '../../src/core/chunker.ts';
import { inlineChunkSource, workerChunkSource, type ChunkInput, type ChunkSource } from '../../src/engine/chunk-source.ts';
import { ChunkIdKind, ChunkingService, type ChunkRequestSchema, type ChunkResponse } from '../../src/services/gen/dcs/v1/chunking_pb.js';
import { RemoteChunker } from '../../src/services/remote-chunk-source.ts';
import { RemoteServiceError } from '../../src/services/remote-service-error.ts';
import { createTransport } from '../../src/services/transport.ts';
import { tempDir } from '../helpers/cli.ts';
import { pieces, randomBytes, textBytes } from '../helpers/data.ts';
import { SMALL_CHUNKS } from '../helpers/engine.ts';
import { NODE_TOKEN, startChunker, startFake } from '../helpers/services.ts';

const ID_KEY = new Uint8Array(32).fill(9);
type Req = MessageInitShape<typeof ChunkRequestSchema>;

async function all(source: ChunkSource, input: ChunkInput, params: ChunkerParams): Promise<{ id: string; data: Uint8Array }[]> {
  const out: { id: string; data: Uint8Array }[] = [];
  for await (const c of source(input, params)) out.push(c);
  return out;
}

function mixed(): Uint8Array {
  const out = new Uint8Array(3_000_000);
  out.set(textBytes(1_500_000, 1), 0);
  out.set(randomBytes(1_500_000, 2), 1_500_000);
  return out;
}

describe('remote chunk source', () => {
  for (const idKey of [undefined, ID_KEY]) {
    for (const params of [SMALL_CHUNKS, { kind: 'fixed', size: 50_000 } as const, { kind: 'fastcdc', min: 256 * 1024, avg: 1024 * 1024, max: 4 * 1024 * 1024 } as const]) {
      it(`cuts the same chunks with the same ids as local chunking (${params.kind} ${params.kind === 'fixed' ? params.size : params.max}, ${idKey ? 'HMAC' : 'SHA-256'})`, async () => {
        const svc = await startChunker();
        const remote = new RemoteChunker({ urls: [svc.url], client: { token: NODE_TOKEN }, ...(idKey ? { idKey } : {}) });
        const local = inlineChunkSource(idKey ? hmacHasher(idKey) : sha256Hasher());
        try {
          const data = mixed();
          const want = await all(local, pieces(data), params);
          for (const sizes of [[65536], [1000, 65536, 7], [5 * 1024 * 1024]]) {
            const got = await all(remote.chunkSource, pieces(data, sizes), params);
            assert.equal(got.length, want.length);
            for (const [i, c] of got.entries()) {
              assert.equal(c.id, want[i]!.id);
              assert.deepEqual(c.data, want[i]!.data);
            }
          }
        } finally {
          remote.close();
          await svc.close();
        }
      });
    }
  }

  it('reads file inputs, handles empty input and spreads streams over several chunkers', async () => {
    const a = await startChunker();
    const b = await startChunker({ chunkSource: (idKey) => workerChunkSource(idKey ? { idKey } : {}) });
    const remote = new RemoteChunker({ urls: [a.url, b.url], client: { token: NODE_TOKEN } });
    const { dir, cleanup } = await tempDir();
    try {
      const data = mixed();
      const path = join(dir, 'input.bin');
      await writeFile(path, data);
      const want = await all(inlineChunkSource(sha256Hasher()), pieces(data), SMALL_CHUNKS);
      for (let i = 0; i < 2; i++) {
        const got = await all(remote.chunkSource, { path }, SMALL_CHUNKS);
        assert.deepEqual(
          got.map((c) => c.id),
          want.map((c) => c.id),
        );
      }
      assert.deepEqual(await all(remote.chunkSource, pieces(new Uint8Array(0)), SMALL_CHUNKS), []);
      assert.ok(a.calls() >= 1 && b.calls() >= 1, 'round robin over both chunkers');
      await assert.rejects(all(remote.chunkSource, { path: join(dir, 'missing') }, SMALL_CHUNKS), (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT');
    } finally {
      remote.close();
      await a.close();
      await b.close();
      await cleanup();
    }
  });

  it('refuses bad setups with INVALID_ARGUMENT', async () => {
    const svc = await startChunker();
    const conn = createTransport(svc.url, { token: NODE_TOKEN });
    const client = createClient(ChunkingService, conn.transport);
    const run = async (msgs: Req[]): Promise<ChunkResponse[]> => {
      const out: ChunkResponse[] = [];
      for await (const r of client.chunk((async function* () {
        yield* msgs;
      })())) out.push(r);
      return out;
    };
    const data = (n: number): Req => ({ msg: { case: 'data', value: new Uint8Array(n) } });
    const sha: Req = { msg: { case: 'setup', value: { idKind: ChunkIdKind.SHA256 } } };
    const cases: [string, Req[], RegExp][] = [
      ['no messages', [], /first message must be setup/],
      ['data first', [data(10)], /first message must be setup/],
      ['min > max', [{ msg: { case: 'setup', value: { idKind: ChunkIdKind.SHA256, params: { minSize: 8192, avgSize: 4096, maxSize: 65536 } } } }], /min < avg < max/],
      ['max too big', [{ msg: { case: 'setup', value: { idKind: ChunkIdKind.SHA256, params: { maxSize: 128 * 1024 * 1024 } } } }], /at most/],
      ['fixed with min', [{ msg: { case: 'setup', value: { idKind: ChunkIdKind.SHA256, params: { fixed: true, minSize: 10 } } } }], /fixed chunking takes only avg_size/],
      ['no id kind', [{ msg: { case: 'setup', value: {} } }], /id_kind must be/],
      ['short HMAC key', [{ msg: { case: 'setup', value: { idKind: ChunkIdKind.HMAC_SHA256, idKey: new Uint8Array(16) } } }], /32-byte id_key/],
      ['key with SHA-256', [{ msg: { case: 'setup', value: { idKind: ChunkIdKind.SHA256, idKey: ID_KEY } } }], /id_key must be empty/],
      ['two setups', [sha, sha], /only data messages/],
      ['oversize piece', [sha, data(4 * 1024 * 1024 + 1)], /larger than/],
    ];
    try {
      for (const [what, msgs, pattern] of cases) {
        await assert.rejects(run(msgs), (e: unknown) => e instanceof ConnectError && e.code === Code.InvalidArgument && pattern.test(e.rawMessage), what);
      }
      // Zero fields take the defaults (512 KiB / 1 MiB / 4 MiB).
      const input = textBytes(3_000_000, 4);
      const res = await run([sha, { msg: { case: 'data', value: input } }]);
      const want = await all(inlineChunkSource(sha256Hasher()), pieces(input), { kind: 'fastcdc', min: 512 * 1024, avg: 1024 * 1024, max: 4 * 1024 * 1024 });
      assert.deepEqual(
        res.flatMap((r) => r.chunks.map((c) => c.length)),
        want.map((c) => c.data.length),
      );
    } finally {
      conn.close();
      await svc.close();
    }
  });

  it('turns a lying chunker into a clear error naming it, never into wrong data', async () => {
    const lies: [string, (sent: number) => { offset: bigint; length: number; id: Uint8Array }[], RegExp][] = [
      ['a gap', (n) => [{ offset: 0n, length: 100, id: new Uint8Array(32) }, { offset: 200n, length: n - 200, id: new Uint8Array(32) }], /offset 200, expected 100/],
      ['past what was sent', (n) => [{ offset: 0n, length: n + 10, id: new Uint8Array(32) }], /reaches past|allowed/],
      ['too large a chunk', () => [{ offset: 0n, length: 70_000, id: new Uint8Array(32) }], /allowed: 1 to 65536/],
      ['an empty chunk', () => [{ offset: 0n, length: 0, id: new Uint8Array(32) }], /allowed: 1 to/],
      ['a short id', (n) => [{ offset: 0n, length: Math.min(n, 1000), id: new Uint8Array(16) }], /id of 16 bytes/],
      ['stopping early', () => [{ offset: 0n, length: 1000, id: new Uint8Array(32) }], /ended after boundaries for 1000 of/],
    ];
    for (const [what, answer, pattern] of lies) {
      const fake = await startFake(ChunkingService, {
        async *chunk(requests) {
          let n = 0;
          for await (const r of requests) if (r.msg.case === 'data') n += r.msg.value.length;
          yield { chunks: answer(n) };
        },
      });
      const remote = new RemoteChunker({ urls: [fake.url], client: { token: NODE_TOKEN } });
      try {
        await assert.rejects(all(remote.chunkSource, pieces(textBytes(120_000)), SMALL_CHUNKS), (e: unknown) => e instanceof RemoteServiceError && e.message.includes(fake.url) && pattern.test(e.message), what);
      } finally {
        remote.close();
        await fake.close();
      }
    }
  });

  it('stops sending when too much is unanswered, and gives up on a silent chunker', async () => {
    let received = 0;
    const fake = await startFake(ChunkingService, {
      async *chunk(requests) {
        for await (const r of requests) if (r.msg.case === 'data') received += r.msg.value.length;
        yield { chunks: [] };
      },
    });
    const maxUnacknowledged = 2 * 1024 * 1024;
    const remote = new RemoteChunker({ urls: [fake.url], client: { token: NODE_TOKEN }, maxUnacknowledged, stallTimeoutMs: 300 });
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled += 65536;
        yield new Uint8Array(65536);
      }
    }
    try {
      await assert.rejects(all(remote.chunkSource, endless(), SMALL_CHUNKS), (e: unknown) => e instanceof RemoteServiceError && /no answer for 300 ms/.test(e.message));
      assert.ok(received <= maxUnacknowledged, `received ${received}`);
      assert.ok(pulled <= maxUnacknowledged + 2 * 65536, `pulled ${pulled} bytes of input`);
    } finally {
      remote.close();
      await fake.close();
    }
  });

  it('stops reading input when its caller stops reading answers (flow control)', async () => {
    const svc = await startChunker();
    const conn = createTransport(svc.url, { token: NODE_TOKEN });
    const client = createClient(ChunkingService, conn.transport);
    let produced = 0;
    const abort = new AbortController();
    async function* requests(): AsyncGenerator<Req> {
      yield { msg: { case: 'setup', value: { idKind: ChunkIdKind.SHA256, params: { minSize: 64, avgSize: 128, maxSize: 256 } } } };
      const piece = randomBytes(1024 * 1024, 5);
      for (;;) {
        produced += piece.length;
        yield { msg: { case: 'data', value: piece } };
      }
    }
    try {
      const responses = client.chunk(requests(), { signal: abort.signal })[Symbol.asyncIterator]();
      // Read one answer, then stop reading: tiny chunks make ~8000 boundaries per MiB.
      await responses.next();
      await new Promise((r) => setTimeout(r, 1500));
      const stalled = produced;
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(produced, stalled, 'the sender is stopped');
      assert.ok(produced < 64 * 1024 * 1024, `produced ${produced} bytes`);
      abort.abort();
      await responses.return?.().catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      conn.close();
      await svc.close();
    }
  });
});
