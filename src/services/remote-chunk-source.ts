// A ChunkSource backed by chunker services: the input streams to a chunker, which answers with
// boundaries and ids; the bytes themselves stay here, in a bounded buffer of what was sent but not
// yet covered by a boundary, and are sliced at the returned boundaries.
//
// Trust: ids are not recomputed here (every read verifies a chunk against its id, so a wrong id
// is caught there, never returned as data), but boundaries are checked — contiguous from 0, within
// what was sent, at most the maximum chunk size, covering the whole input at the end — so a broken
// or lying chunker produces a clear error instead of wrong chunk contents.
//
// Memory: sending pauses while more than `maxUnacknowledged` bytes (default 4 × max chunk + one
// piece) are unanswered. A chunker may legitimately hold back up to one max chunk waiting for more
// input, so the bound is never below max chunk + one piece.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { createClient, type Client } from '@connectrpc/connect';
import { open } from 'node:fs/promises';
import { maxChunk, type ChunkerParams } from '../core/chunker.ts';
import { UsageError } from '../core/errors.ts';
import { isFileInput, type ChunkInput, type ChunkSource, type IdentifiedChunk } from '../engine/chunk-source.ts';
import { chunkerParamsToWire } from './chunker-params.ts';
import { ChunkIdKind, ChunkingService, type ChunkRequestSchema } from './gen/dcs/v1/chunking_pb.js';
import { STREAM_PIECE_BYTES } from './limits.ts';
import { RemoteServiceError, remoteServiceError } from './remote-service-error.ts';
import { createTransport, type ClientOptions } from './transport.ts';

export interface RemoteChunkerOptions {
  /** Chunker URLs; each stream goes to the next one (round robin). */
  urls: readonly string[];
  /** Token and TLS (the HMAC id key is sent in the setup message: use TLS beyond loopback). */
  client?: Omit<ClientOptions, 'timeoutMs'>;
  /** HMAC-SHA-256 id key (encrypted repositories); SHA-256 ids without. */
  idKey?: Uint8Array;
  /** Bytes sent but not yet answered with a boundary before sending pauses. */
  maxUnacknowledged?: number;
  /** A chunker that has what it needs to answer but stays silent this long is given up on (default 60 s). */
  stallTimeoutMs?: number;
}

type RequestInit = MessageInitShape<typeof ChunkRequestSchema>;

interface Endpoint {
  url: string;
  client: Client<typeof ChunkingService>;
  close(): void;
}

/** Pieces of a file, each its own buffer (they are held until their chunks are cut). */
async function* readPieces(path: string): AsyncGenerator<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    for (;;) {
      const buf = new Uint8Array(STREAM_PIECE_BYTES);
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

export class RemoteChunker {
  readonly #endpoints: Endpoint[];
  readonly #options: RemoteChunkerOptions;
  #next = 0;

  constructor(options: RemoteChunkerOptions) {
    if (options.urls.length === 0) throw new UsageError('a remote chunk source needs at least one chunker URL');
    if (options.idKey && options.idKey.length !== 32) throw new UsageError('the chunk id key must be 32 bytes');
    this.#options = options;
    this.#endpoints = options.urls.map((url) => {
      const { transport, close } = createTransport(url, options.client ?? {});
      return { url, client: createClient(ChunkingService, transport), close };
    });
  }

  /** The ChunkSource for EngineContext.chunkSource. */
  readonly chunkSource: ChunkSource = (input, params) => {
    const endpoint = this.#endpoints[this.#next++ % this.#endpoints.length]!;
    return this.#run(endpoint, input, params);
  };

  close(): void {
    for (const e of this.#endpoints) e.close();
  }

  async *#run(endpoint: Endpoint, input: ChunkInput, params: ChunkerParams): AsyncGenerator<IdentifiedChunk> {
    const max = maxChunk(params);
    const limit = Math.max(this.#options.maxUnacknowledged ?? 4 * max + STREAM_PIECE_BYTES, max + STREAM_PIECE_BYTES);
    const stallMs = this.#options.stallTimeoutMs ?? 60_000;
    const idKey = this.#options.idKey;
    const fail = (message: string): RemoteServiceError => new RemoteServiceError('chunker', endpoint.url, message);

    // Sent bytes not yet cut: pieces in order, the first one consumed up to `headOffset`.
    const held: Uint8Array[] = [];
    let headOffset = 0;
    let sent = 0;
    let acked = 0;
    let inputDone = false;
    let inputError: unknown;
    const abort = new AbortController();
    let wakeSender: (() => void) | undefined;
    const signalSender = (): void => {
      wakeSender?.();
      wakeSender = undefined;
    };

    /** Resolves when `n` more bytes may be sent (or the call is over). */
    const credit = async (n: number): Promise<void> => {
      for (;;) {
        if (sent === acked || sent - acked + n <= limit || abort.signal.aborted) return;
        await new Promise<void>((resolve) => (wakeSender = resolve));
      }
    };

    async function* requests(): AsyncGenerator<RequestInit> {
      yield {
        msg: {
          case: 'setup',
          value: {
            params: chunkerParamsToWire(params),
            idKind: idKey ? ChunkIdKind.HMAC_SHA256 : ChunkIdKind.SHA256,
            ...(idKey ? { idKey } : {}),
          },
        },
      };
      try {
        const fromFile = isFileInput(input);
        for await (const piece of fromFile ? readPieces(input.path) : input) {
          for (let off = 0; off < piece.length; off += STREAM_PIECE_BYTES) {
            // Stream pieces are copied: they are held until cut, and a producer may reuse its buffer
            // once it has handed a piece on (the local sources copy into their window at once).
            const part = fromFile ? piece.subarray(off, off + STREAM_PIECE_BYTES) : piece.slice(off, off + STREAM_PIECE_BYTES);
            await credit(part.length);
            if (abort.signal.aborted) return;
            held.push(part);
            sent += part.length;
            yield { msg: { case: 'data', value: part } };
          }
        }
        inputDone = true;
      } catch (err) {
        // Our own abort (a stall, the caller stopping) reaches here too, thrown in at the yield by
        // the cancelled call: the reason for it is already known.
        if (abort.signal.aborted) return;
        // The caller's input failed (a file that cannot be read, a broken stream): that error, not
        // the cancelled call, is what the caller must see.
        inputError = err;
        abort.abort();
      }
    }

    /** The next `n` sent bytes as one buffer the caller owns. */
    const take = (n: number): Uint8Array => {
      const out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        const head = held[0]!;
        const k = Math.min(head.length - headOffset, n - filled);
        out.set(head.subarray(headOffset, headOffset + k), filled);
        filled += k;
        headOffset += k;
        if (headOffset === head.length) {
          held.shift();
          headOffset = 0;
        }
      }
      return out;
    };

    // Stall watchdog: only while waiting on the chunker, and only when it has enough input to cut.
    let waitingSince: number | undefined;
    let stalled = false;
    const watchdog = setInterval(
      () => {
        if (waitingSince !== undefined && (inputDone || sent - acked > max) && Date.now() - waitingSince > stallMs) {
          stalled = true;
          abort.abort();
        }
      },
      Math.max(10, Math.min(1000, stallMs / 4)),
    );
    watchdog.unref();

    const responses = endpoint.client.chunk(requests(), { signal: abort.signal })[Symbol.asyncIterator]();
    try {
      for (;;) {
        waitingSince = Date.now();
        const next = await responses.next();
        waitingSince = undefined;
        if (next.done) break;
        for (const b of next.value.chunks) {
          if (b.offset !== BigInt(acked)) throw fail(`boundary at offset ${b.offset}, expected ${acked} (boundaries must be contiguous)`);
          if (b.length < 1 || b.length > max) throw fail(`chunk of ${b.length} bytes at offset ${acked} (allowed: 1 to ${max})`);
          if (acked + b.length > sent) throw fail(`chunk [${acked}, ${acked + b.length}) reaches past the ${sent} bytes sent`);
          if (b.id.length !== 32) throw fail(`chunk id of ${b.id.length} bytes at offset ${acked} (expected 32)`);
          const data = take(b.length);
          acked += b.length;
          signalSender();
          yield { id: Buffer.from(b.id).toString('hex'), data };
        }
      }
      if (inputError !== undefined) throw inputError;
      if (!inputDone || acked !== sent) throw fail(`stream ended after boundaries for ${acked} of ${sent} bytes sent`);
    } catch (err) {
      if (inputError !== undefined) throw inputError;
      if (stalled) throw fail(`no answer for ${stallMs} ms`);
      throw remoteServiceError('chunker', endpoint.url, err);
    } finally {
      clearInterval(watchdog);
      abort.abort();
      signalSender();
      await responses.return?.().catch(() => {});
    }
  }
}
