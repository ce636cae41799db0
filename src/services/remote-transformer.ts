// A ChunkTransformer whose expensive half runs on compressor services. encode sends the plain
// chunk to a compressor (Compress RPC) and seals the answer here (encrypt + envelope), so keys
// never leave the orchestrator and stored objects are byte-for-byte what local encoding makes
// (apart from the random nonce of encrypted ones).
//
// decode stays local: decompression is several times cheaper than compression (zstd-3 ~600 vs
// ~300 MB/s per core, lz4 ~2000 vs ~300), and doing it remotely would ship every plain byte back
// over the network — twice the traffic of a read for a small CPU saving.
//
// Compressors are used round robin, each with a bound on calls in flight (enough to keep its
// worker pool busy across network latency, few enough that one slow compressor cannot hold every
// chunk of an upload). A compressor that cannot be reached (connection refused or reset, deadline,
// overload) is skipped for `retryAfterMs` and the chunk goes to the next one; when none is
// reachable the chunk is compressed locally by the `local` transformer, so an upload degrades to
// local CPU instead of failing. Answers that break the protocol (unknown codec id, a payload that
// grew, a `none` payload of another length) are errors, never stored.
//
// A plain-text URL whose host name resolves to several addresses (Compose's `replicas`, a
// Kubernetes headless Service) is one compressor per address, re-resolved every `resolveEveryMs`:
// one HTTP/2 connection to the name would give every chunk to whichever replica it reached.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { ChunkCodec, type EncodedChunk, type Recompress } from '../core/chunk-codec.ts';
import { CIPHER_NONE } from '../core/cipher.ts';
import { ENVELOPE_CODEC_OFFSET, parseEnvelope } from '../core/envelope.ts';
import type { ChunkId } from '../core/chunk-id.ts';
import { codecById, type CodecChoice } from '../core/codecs.ts';
import { ChunkCorruptError, UsageError } from '../core/errors.ts';
import type { RepositoryKeys } from '../core/keyfile.ts';
import { decompressPayload } from '../engine/chunk-compressor.ts';
import { InlineTransformer, type ChunkTransformer, type EncodeOptions } from '../engine/chunk-transformer.ts';
import { CompressionService } from './gen/dcs/v1/compression_pb.js';
import { RemoteServiceError, remoteServiceError } from './remote-service-error.ts';
import { createTransport, type ClientOptions } from './transport.ts';

export interface RemoteTransformerOptions {
  /** Compressor URLs (http://, https://, grpc://, grpcs://). */
  urls: readonly string[];
  /** Token, TLS and the per-call deadline (default 30 s) for every compressor. */
  client?: ClientOptions;
  /** Repository keys (encrypted repositories); must match `local`'s. */
  keys?: RepositoryKeys;
  /**
   * Decodes every chunk and encodes when no compressor is reachable: the engine's worker pool in
   * production, inline by default. Owned by the RemoteTransformer (closed by close()).
   */
  local?: ChunkTransformer;
  /** Compress calls in flight per compressor (default 4). */
  maxInFlightPerCompressor?: number;
  /** How long an unreachable compressor is skipped before it is tried again (default 5 s). */
  retryAfterMs?: number;
  /**
   * Decompress every answer locally and compare it with the chunk before sealing. Off by default:
   * it costs the orchestrator a decompression per chunk (a good part of what offloading saved),
   * and every read verifies the chunk id anyway (as does `dcs verify --deep`).
   */
  verify?: boolean;
  /** Compressors going down or coming back, and local fallback. */
  warn?: (message: string) => void;
  /** How often host names are resolved again for their addresses (default 30 s; 0: never). */
  resolveEveryMs?: number;
  /** Every address of a host name (default: the system resolver, as connections use it). */
  lookup?: (host: string) => Promise<string[]>;
}

interface Compressor {
  url: string;
  /** The configured URL this one was resolved from. */
  from: string;
  /** Replaced by a new resolution: closed once its calls in flight end. */
  retired: boolean;
  client: Client<typeof CompressionService>;
  close(): void;
  inFlight: number;
  /** Skipped until this time (ms since epoch) after a failure. */
  downUntil: number;
  down: boolean;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Failures after which another compressor (or local compression) may well succeed. */
const FAILOVER_CODES = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.Aborted, Code.ResourceExhausted, Code.Internal, Code.Unknown]);

const systemLookup = async (host: string): Promise<string[]> => (await dnsLookup(host, { all: true })).map((a) => a.address);

/** Plain-text URLs with a host name: TLS URLs keep the name their certificate is checked against. */
const resolvable = (url: string): boolean => {
  const u = new URL(url);
  return (u.protocol === 'http:' || u.protocol === 'grpc:') && isIP(u.hostname.replace(/^\[|\]$/g, '')) === 0;
};

function withAddress(url: string, address: string): string {
  const u = new URL(url);
  u.hostname = isIP(address) === 6 ? `[${address}]` : address;
  return u.toString().replace(/\/$/, '');
}

export class RemoteTransformer implements ChunkTransformer {
  #compressors: Compressor[];
  readonly #urls: readonly string[];
  readonly #client: ClientOptions;
  readonly #lookup: (host: string) => Promise<string[]>;
  #resolveTimer: ReturnType<typeof setInterval> | undefined;
  #resolving: Promise<void> | undefined;
  readonly #codec: ChunkCodec;
  readonly #local: ChunkTransformer;
  readonly #maxInFlight: number;
  readonly #retryAfterMs: number;
  readonly #timeoutMs: number;
  readonly #verify: boolean;
  readonly #warn: (message: string) => void;
  #waiters: (() => void)[] = [];
  #next = 0;
  #usingLocal = false;
  #closed = false;

  constructor(options: RemoteTransformerOptions) {
    if (options.urls.length === 0) throw new UsageError('a remote transformer needs at least one compressor URL');
    this.#urls = options.urls;
    this.#client = options.client ?? {};
    this.#lookup = options.lookup ?? systemLookup;
    this.#compressors = options.urls.map((url) => this.#open(url, url));
    const every = options.resolveEveryMs ?? 30_000;
    if (every > 0 && options.urls.some(resolvable)) {
      this.#resolving = this.resolve().finally(() => (this.#resolving = undefined));
      this.#resolveTimer = setInterval(() => void this.resolve(), every);
      this.#resolveTimer.unref();
    }
    this.#codec = new ChunkCodec(options.keys ? { keys: options.keys } : {});
    this.#local = options.local ?? new InlineTransformer(options.keys);
    this.#maxInFlight = Math.max(1, options.maxInFlightPerCompressor ?? 4);
    this.#retryAfterMs = options.retryAfterMs ?? 5_000;
    this.#timeoutMs = options.client?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#verify = options.verify ?? false;
    this.#warn = options.warn ?? (() => {});
  }

  #open(url: string, from: string): Compressor {
    const { transport, close } = createTransport(url, this.#client);
    return { url, from, retired: false, client: createClient(CompressionService, transport), close, inFlight: 0, downUntil: 0, down: false };
  }

  /** Resolve host names again: a compressor per address, keeping the connections still valid. */
  async resolve(): Promise<void> {
    const wanted: { url: string; from: string }[] = [];
    for (const from of this.#urls) {
      if (!resolvable(from)) {
        wanted.push({ url: from, from });
        continue;
      }
      let addresses: string[];
      try {
        addresses = [...new Set(await this.#lookup(new URL(from).hostname))].sort();
      } catch {
        addresses = [];
      }
      // A name that does not resolve (now) stays as it is: connecting reports why, and fails over.
      if (addresses.length <= 1) wanted.push({ url: from, from });
      else for (const a of addresses) wanted.push({ url: withAddress(from, a), from });
    }
    if (this.#closed) return;
    const current = new Map(this.#compressors.map((c) => [c.url, c]));
    const next = wanted.map((w) => current.get(w.url) ?? this.#open(w.url, w.from));
    for (const c of this.#compressors) {
      if (next.includes(c)) continue;
      c.retired = true;
      if (c.inFlight === 0) c.close();
    }
    if (next.length !== this.#compressors.length || next.some((c, i) => c !== this.#compressors[i])) {
      this.#compressors = next;
      this.#next = 0;
      this.#wake();
    }
  }

  /** Compressor URLs in use now (names resolved to addresses where there are several). */
  get compressorUrls(): string[] {
    return this.#compressors.map((c) => c.url);
  }

  async encode(plain: Uint8Array, id: ChunkId, codec: CodecChoice, level?: number, options?: EncodeOptions): Promise<EncodedChunk> {
    if (this.#closed) throw new Error('remote transformer is closed');
    // The first resolution decides where the first chunks go (so a burst is spread at once).
    if (this.#resolving) await this.#resolving;
    const tried = new Set<Compressor>();
    for (;;) {
      const c = await this.#acquire(tried);
      if (!c) {
        if (!this.#usingLocal) this.#warn('no compressor reachable: compressing locally until one is back');
        this.#usingLocal = true;
        return this.#local.encode(plain, id, codec, level, options);
      }
      try {
        const res = await c.client.compress({ data: plain, codec, ...(level === undefined ? {} : { level }) }, { timeoutMs: this.#timeoutMs });
        if (c.down) this.#warn(`compressor ${c.url} is reachable again`);
        c.down = false;
        this.#usingLocal = false;
        return this.#seal(c, plain, id, res.codecId, res.payload);
      } catch (err) {
        if (!(err instanceof ConnectError) || !FAILOVER_CODES.has(err.code)) {
          if (err instanceof ConnectError && err.code === Code.InvalidArgument) throw new UsageError(`compressor ${c.url}: ${err.rawMessage}`);
          throw remoteServiceError('compressor', c.url, err);
        }
        tried.add(c);
        // Overload is not an outage: try the others, but do not skip this one for later chunks.
        if (err.code !== Code.ResourceExhausted) {
          c.downUntil = Date.now() + this.#retryAfterMs;
          if (!c.down) this.#warn(`compressor ${c.url} failed (${err.rawMessage}); skipping it for ${this.#retryAfterMs} ms`);
          c.down = true;
        }
      } finally {
        this.#release(c);
      }
    }
  }

  async decode(envelope: Uint8Array, id: ChunkId, backend?: string): Promise<Uint8Array> {
    return this.#local.decode(envelope, id, backend);
  }

  /**
   * A client's chunk that arrived uncompressed for the compressors (`--compress-on server`) is
   * checked here — its id hashed on this thread, the only plain-byte work the orchestrator does —
   * and then compressed remotely like any other; everything else is admitted locally.
   */
  async admit(envelope: Uint8Array, id: ChunkId, maxPlain: number, recompress?: Recompress): Promise<EncodedChunk> {
    if (!recompress || recompress.codec === 'none' || envelope[ENVELOPE_CODEC_OFFSET] !== 0) return this.#local.admit(envelope, id, maxPlain, recompress);
    const { header, payload } = parseEnvelope(envelope, id);
    if (header.cipherId !== CIPHER_NONE) throw new ChunkCorruptError(id, 'clients send chunks unencrypted (the orchestrator seals them)');
    if (header.plainLength > maxPlain) throw new ChunkCorruptError(id, `${header.plainLength} bytes is larger than the largest chunk (${maxPlain})`);
    if (header.plainLength !== payload.length) throw new ChunkCorruptError(id, `codec none with a ${payload.length}-byte payload for a ${header.plainLength}-byte chunk`);
    if (this.#codec.id(payload) !== id) throw new ChunkCorruptError(id, 'content does not match its chunk id');
    return this.encode(payload, id, recompress.codec, recompress.level);
  }

  unseal(envelope: Uint8Array, id: ChunkId, backend?: string): Promise<Uint8Array> {
    return this.#local.unseal(envelope, id, backend);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#resolveTimer);
    for (const c of this.#compressors) c.close();
    this.#wake();
    await this.#local.close();
  }

  /** Cheap checks on every answer (and the full round trip with `verify`), then encrypt + envelope. */
  #seal(c: Compressor, plain: Uint8Array, id: ChunkId, codecId: number, payload: Uint8Array): EncodedChunk {
    const lie = (what: string): RemoteServiceError => new RemoteServiceError('compressor', c.url, `invalid answer for chunk ${id.slice(0, 16)}…: ${what}`);
    try {
      codecById(codecId);
    } catch {
      throw lie(`unknown codec id ${codecId}`);
    }
    if (codecId === 0) {
      if (payload.length !== plain.length) throw lie(`codec none with a ${payload.length}-byte payload for a ${plain.length}-byte chunk`);
      // Our own copy: stored bytes of an uncompressed chunk cannot be altered by a compressor.
      return this.#codec.seal(plain.length, id, 0, plain);
    }
    if (payload.length >= plain.length) throw lie(`a ${payload.length}-byte payload for a ${plain.length}-byte chunk (stored chunks never grow)`);
    if (this.#verify) {
      let back: Uint8Array;
      try {
        back = decompressPayload(codecId, payload, plain.length);
      } catch (err) {
        throw lie(err instanceof Error ? err.message : String(err));
      }
      if (!Buffer.from(back.buffer, back.byteOffset, back.byteLength).equals(plain)) throw lie('payload does not decompress to the chunk');
    }
    return this.#codec.seal(plain.length, id, codecId, payload);
  }

  /** The next reachable compressor with a free slot (round robin), waiting for one; undefined when none is reachable. */
  async #acquire(tried: Set<Compressor>): Promise<Compressor | undefined> {
    const n = this.#compressors.length;
    for (;;) {
      if (this.#closed) throw new Error('remote transformer is closed');
      const now = Date.now();
      let reachable = false;
      for (let i = 0; i < n; i++) {
        const k = (this.#next + i) % n;
        const c = this.#compressors[k]!;
        if (tried.has(c) || c.downUntil > now) continue;
        reachable = true;
        if (c.inFlight >= this.#maxInFlight) continue;
        this.#next = (k + 1) % n;
        c.inFlight++;
        return c;
      }
      if (!reachable) return undefined;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #release(c: Compressor): void {
    c.inFlight--;
    if (c.retired && c.inFlight === 0) c.close();
    // Every waiter looks again: the freed slot, or a compressor just marked down, changes its choice.
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
