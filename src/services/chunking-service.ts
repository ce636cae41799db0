// ChunkingService server: FastCDC + chunk ids over a byte stream, answered as boundaries
// {offset, length, id} — never the bytes, which the caller already holds. The first message sets
// up chunking and hashing; data pieces follow. Boundaries go out in batches as chunks are cut
// (everything cut from one piece of input travels in one message).
//
// Memory is bounded by the stream, not by the input: the chunker holds one window (a few max
// chunks), and when the caller stops reading answers, at most QUEUED_BOUNDARIES wait here, the
// chunker stops pulling input, and HTTP/2 flow control stops the caller's sends.
//
// By default chunking runs inline on the event loop: FastCDC + SHA-256 cost ~1.5 ms per MiB,
// less than receiving that MiB over gRPC, so a thread per stream would add start-up cost (tens
// of ms, bad for small files) for little gain. `chunkSource` can put it in a worker thread.
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { hmacHasher, sha256Hasher } from '../core/chunk-id.ts';
import type { ChunkerParams } from '../core/chunker.ts';
import { inlineChunkSource, type ChunkSource } from '../engine/chunk-source.ts';
import { chunkerParamsFromWire } from './chunker-params.ts';
import { ChunkBoundarySchema, ChunkIdKind, ChunkingService, type ChunkBoundary, type ChunkRequest, type ChunkSetup } from './gen/dcs/v1/chunking_pb.js';
import { toConnectError } from './rpc-errors.ts';

export interface ChunkingServiceOptions {
  /** How a stream is chunked and hashed (idKey: HMAC key, or undefined for SHA-256). Default: inline. */
  chunkSource?: (idKey: Uint8Array | undefined) => ChunkSource;
}

/** Data pieces are at most this big (the proto's contract; clients send 1 MiB). */
export const MAX_DATA_PIECE = 4 * 1024 * 1024;
/** Boundaries cut but not yet sent before the chunker pauses (each is ~50 bytes). */
const QUEUED_BOUNDARIES = 1024;
const ID_KEY_BYTES = 32;

const invalid = (message: string): ConnectError => new ConnectError(message, Code.InvalidArgument);

function parseSetup(setup: ChunkSetup): { params: ChunkerParams; idKey: Uint8Array | undefined } {
  let params: ChunkerParams;
  try {
    params = chunkerParamsFromWire(setup.params);
  } catch (err) {
    throw toConnectError(err);
  }
  switch (setup.idKind) {
    case ChunkIdKind.SHA256:
      if (setup.idKey.length > 0) throw invalid('id_key must be empty for CHUNK_ID_KIND_SHA256');
      return { params, idKey: undefined };
    case ChunkIdKind.HMAC_SHA256:
      if (setup.idKey.length !== ID_KEY_BYTES) throw invalid(`CHUNK_ID_KIND_HMAC_SHA256 needs a ${ID_KEY_BYTES}-byte id_key, got ${setup.idKey.length} bytes`);
      return { params, idKey: new Uint8Array(setup.idKey) };
    default:
      throw invalid('id_kind must be CHUNK_ID_KIND_SHA256 or CHUNK_ID_KIND_HMAC_SHA256');
  }
}

export function chunkingServiceImpl(options: ChunkingServiceOptions = {}): ServiceImpl<typeof ChunkingService> {
  const sourceFor = options.chunkSource ?? ((idKey) => inlineChunkSource(idKey ? hmacHasher(idKey) : sha256Hasher()));
  return {
    async *chunk(requests, ctx) {
      const it = requests[Symbol.asyncIterator]();
      const first = await it.next();
      if (first.done) throw invalid('empty stream: the first message must be setup');
      if (first.value.msg.case !== 'setup') throw invalid('the first message must be setup');
      const { params, idKey } = parseSetup(first.value.msg.value);

      let stopped = false;
      async function* input(): AsyncGenerator<Uint8Array> {
        for (;;) {
          const next: IteratorResult<ChunkRequest> = await it.next();
          if (next.done || stopped) return;
          const m = next.value.msg;
          if (m.case !== 'data') throw invalid('only data messages may follow the setup message');
          if (m.value.length > MAX_DATA_PIECE) throw invalid(`data piece of ${m.value.length} bytes is larger than ${MAX_DATA_PIECE} bytes`);
          if (m.value.length > 0) yield m.value;
        }
      }

      // The chunker runs as its own task and queues boundaries; this generator sends them. The
      // queue bound is what turns a caller that stops reading into a chunker that stops reading.
      let queue: ChunkBoundary[] = [];
      let finished = false;
      let failure: unknown;
      let wakeSender: (() => void) | undefined;
      let wakeChunker: (() => void) | undefined;
      const signalSender = (): void => {
        wakeSender?.();
        wakeSender = undefined;
      };
      const signalChunker = (): void => {
        wakeChunker?.();
        wakeChunker = undefined;
      };
      /** Resolves once the queue has room again (or the call is over). */
      const room = async (): Promise<void> => {
        for (;;) {
          if (queue.length < QUEUED_BOUNDARIES || stopped) return;
          await new Promise<void>((resolve) => (wakeChunker = resolve));
        }
      };
      ctx.signal.addEventListener('abort', signalSender, { once: true });
      void (async () => {
        let offset = 0;
        for await (const { id, data } of sourceFor(idKey)(input(), params)) {
          if (stopped) return;
          queue.push(create(ChunkBoundarySchema, { offset: BigInt(offset), length: data.length, id: Buffer.from(id, 'hex') }));
          offset += data.length;
          signalSender();
          await room();
        }
      })().then(
        () => {
          finished = true;
          signalSender();
        },
        (err: unknown) => {
          failure = err;
          signalSender();
        },
      );

      try {
        for (;;) {
          if (queue.length > 0) {
            // Let the chunker finish the piece it is cutting, so its boundaries share one message.
            await new Promise((resolve) => setImmediate(resolve));
            const chunks = queue;
            queue = [];
            signalChunker();
            yield { chunks };
            continue;
          }
          if (failure !== undefined) throw toConnectError(failure);
          if (finished || ctx.signal.aborted) return;
          await new Promise<void>((resolve) => (wakeSender = resolve));
        }
      } finally {
        // The chunker ends at its next step, or when the request stream closes with this call.
        stopped = true;
        signalChunker();
        ctx.signal.removeEventListener('abort', signalSender);
      }
    },
  };
}
