// Reed-Solomon erasure coding of one chunk envelope into k data + m parity shard objects
// (DESIGN.md "On-storage format": a shard's key is the chunk key plus `.<index>`; every stored
// object is self-describing). Shard object layout (all integers little-endian):
//
//   0  4  magic "DCE" 0x01       (the envelope's is "DCS" 0x01: the two never mix up)
//   4  1  format version (1)
//   5  1  k                      (data shards)
//   6  1  m                      (parity shards)
//   7  1  shard index            (0..k-1 data, k..k+m-1 parity)
//   8  4  shard payload length   (u32: the same for every shard of an envelope)
//  12  4  envelope length        (u32: the bytes before zero padding)
//  16  4  envelope CRC32         (u32: CRC32 of the whole envelope; binds a shard to its envelope)
//  20  4  CRC32 of bytes 0..19 and the payload
//  24     payload
//
// The envelope is cut into k equal data shards (the last zero-padded; the payload length is a
// multiple of 8, as the coder requires); the m parity shards come from @ronomon/reed-solomon
// (Cauchy Reed-Solomon over GF(2^w), w <= 8, Node-API, runs on the libuv thread pool). Any k
// valid shards give back the envelope. A shard is valid when its own header and CRC check out,
// its k, m and index are the ones expected, and it agrees with the other shards on the envelope
// (length and CRC32); everything else counts as missing.
import { createRequire } from 'node:module';
import zlib from 'node:zlib';
import { ChunkCorruptError, ConfigError, DcsError } from './errors.ts';

export const SHARD_MAGIC = 0x01454344; // "DCE\x01" read as u32 LE
export const SHARD_VERSION = 1;
export const SHARD_HEADER_SIZE = 24;
const CHECKED = 20;

interface ReedSolomonBinding {
  readonly MAX_K: number;
  readonly MAX_M: number;
  create(k: number, m: number): Buffer;
  encode(
    context: Buffer,
    sources: number,
    targets: number,
    buffer: Buffer,
    bufferOffset: number,
    bufferSize: number,
    parity: Buffer,
    parityOffset: number,
    paritySize: number,
    end: (error: Error | undefined) => void,
  ): void;
}

const rs = createRequire(import.meta.url)('@ronomon/reed-solomon') as ReedSolomonBinding;

/** The coder's limits: k <= 24 data shards, m <= 6 parity shards. */
export const MAX_DATA_SHARDS: number = rs.MAX_K;
export const MAX_PARITY_SHARDS: number = rs.MAX_M;
const MAX_U32 = 0xffff_ffff;

/** Fewer than k shards of a chunk passed their checks: the envelope cannot be rebuilt. */
export class InsufficientShardsError extends DcsError {
  readonly valid: number;
  readonly needed: number;
  readonly rejected: readonly ShardRejection[];
  constructor(valid: number, needed: number, total: number, rejected: readonly ShardRejection[], chunkId?: string) {
    const reasons = rejected.map((r) => `shard ${r.index}: ${r.reason}`).join('; ');
    super(
      'INSUFFICIENT_SHARDS',
      `${chunkId === undefined ? '' : `chunk ${chunkId.slice(0, 16)}…: `}only ${valid} of ${total} erasure shards are valid, ` +
        `${needed} needed to rebuild the envelope${reasons ? ` (${reasons})` : ''}`,
    );
    this.valid = valid;
    this.needed = needed;
    this.rejected = rejected;
  }
}

/** Why one shard was not used: missing, damaged, or not part of this envelope. */
export interface ShardRejection {
  /** The shard index the caller expected at that position. */
  index: number;
  reason: string;
}

export interface ShardHeader {
  version: number;
  k: number;
  m: number;
  index: number;
  payloadLength: number;
  envelopeLength: number;
  envelopeCrc: number;
  checksum: number;
}

/** Throw a ConfigError unless k and m are within the coder's limits. */
export function validateErasureParams(k: number, m: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_DATA_SHARDS) {
    throw new ConfigError(`erasure coding: data shards must be an integer from 1 to ${MAX_DATA_SHARDS}, got ${k}`);
  }
  if (!Number.isInteger(m) || m < 1 || m > MAX_PARITY_SHARDS) {
    throw new ConfigError(`erasure coding: parity shards must be an integer from 1 to ${MAX_PARITY_SHARDS}, got ${m}`);
  }
}

/** Payload bytes of each shard for an envelope of `length` bytes: ceil(length / k) rounded up to 8, at least 8. */
export function shardPayloadLength(length: number, k: number): number {
  return Math.max(8, Math.ceil(Math.ceil(length / k) / 8) * 8);
}

/** Bytes of each shard object (header and payload) for an envelope of `length` bytes coded with k data shards. */
export function shardObjectSize(length: number, k: number): number {
  return SHARD_HEADER_SIZE + shardPayloadLength(length, k);
}

const ID_RE = /^[0-9a-f]{64}$/;

/** Storage key of shard `index` of chunk `id`: `chunks/<2 hex>/<64 hex>.<index>`. */
export function shardKey(id: string, index: number): string {
  if (!ID_RE.test(id)) throw new DcsError('INVALID_CHUNK_ID', `not a chunk id (64 lowercase hex digits): ${JSON.stringify(id)}`);
  if (!Number.isInteger(index) || index < 0 || index >= MAX_DATA_SHARDS + MAX_PARITY_SHARDS) {
    throw new DcsError('INVALID_SHARD_INDEX', `shard index must be an integer from 0 to ${MAX_DATA_SHARDS + MAX_PARITY_SHARDS - 1}, got ${index}`);
  }
  return `chunks/${id.slice(0, 2)}/${id}.${index}`;
}

/** The chunk id and shard index of a shard object key, or undefined for any other key (plain chunk keys included). */
export function shardIdFromKey(key: string): { id: string; index: number } | undefined {
  const m = /^chunks\/([0-9a-f]{2})\/([0-9a-f]{64})\.(0|[1-9][0-9]?)$/.exec(key);
  if (!m || !m[2]!.startsWith(m[1]!)) return undefined;
  const index = Number(m[3]);
  return index < MAX_DATA_SHARDS + MAX_PARITY_SHARDS ? { id: m[2]!, index } : undefined;
}

const contexts = new Map<number, Buffer>();
function context(k: number, m: number): Buffer {
  const key = k * 256 + m;
  let ctx = contexts.get(key);
  if (!ctx) {
    ctx = rs.create(k, m);
    contexts.set(key, ctx);
  }
  return ctx;
}

function bits(indexes: Iterable<number>): number {
  let mask = 0;
  for (const i of indexes) mask |= 1 << i;
  return mask;
}

/**
 * Compute the `targets` shards from the `sources` shards in place: the k data shards of `size`
 * bytes at the start of `data`, the m parity shards at the start of `parity`.
 */
function runCoder(k: number, m: number, sources: number, targets: number, size: number, data: Buffer, parity: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    rs.encode(context(k, m), sources, targets, data, 0, size * k, parity, 0, size * m, (error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

// Scratch space for encoding, reused: fresh memory costs page faults on every touch, about as
// much as the coding itself. At most SCRATCH_KEEP buffers of at most SCRATCH_MAX bytes are kept.
const SCRATCH_KEEP = 4;
const SCRATCH_MAX = 64 * 1024 * 1024;
const scratch: Buffer[] = [];
function takeScratch(length: number): Buffer {
  const i = scratch.findIndex((b) => b.length >= length);
  return i >= 0 ? scratch.splice(i, 1)[0]! : Buffer.allocUnsafeSlow(length);
}
function giveScratch(b: Buffer): void {
  if (b.length > SCRATCH_MAX) return;
  scratch.push(b);
  if (scratch.length > SCRATCH_KEEP) {
    scratch.sort((x, y) => y.length - x.length);
    scratch.pop();
  }
}

/** A plain Uint8Array over memory that is not zero-filled: every byte is written before use. */
function uninitialized(length: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(b.buffer, b.byteOffset, length);
}

function writeShard(
  k: number,
  m: number,
  index: number,
  envelopeLength: number,
  envelopeCrc: number,
  payload: Uint8Array,
): Uint8Array {
  const out = uninitialized(SHARD_HEADER_SIZE + payload.length);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(0, SHARD_MAGIC, true);
  out[4] = SHARD_VERSION;
  out[5] = k;
  out[6] = m;
  out[7] = index;
  dv.setUint32(8, payload.length, true);
  dv.setUint32(12, envelopeLength, true);
  dv.setUint32(16, envelopeCrc, true);
  out.set(payload, SHARD_HEADER_SIZE);
  dv.setUint32(CHECKED, zlib.crc32(out.subarray(SHARD_HEADER_SIZE), zlib.crc32(out.subarray(0, CHECKED))), true);
  return out;
}

/**
 * Check one shard object on its own: magic, version, k and m, the expected index, lengths and CRC.
 * Returns the header and payload, or a reason string when the shard must be treated as missing.
 */
export function checkShard(
  bytes: Uint8Array,
  k: number,
  m: number,
  expectedIndex: number,
): { header: ShardHeader; payload: Uint8Array } | string {
  if (bytes.length < SHARD_HEADER_SIZE) return `truncated: ${bytes.length} bytes is shorter than the ${SHARD_HEADER_SIZE}-byte shard header`;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== SHARD_MAGIC) return 'bad magic (not a dcs erasure shard)';
  const header: ShardHeader = {
    version: bytes[4]!,
    k: bytes[5]!,
    m: bytes[6]!,
    index: bytes[7]!,
    payloadLength: dv.getUint32(8, true),
    envelopeLength: dv.getUint32(12, true),
    envelopeCrc: dv.getUint32(16, true),
    checksum: dv.getUint32(CHECKED, true),
  };
  if (header.version !== SHARD_VERSION) return `unsupported shard format version ${header.version}`;
  const expected = SHARD_HEADER_SIZE + header.payloadLength;
  if (bytes.length < expected) return `truncated: expected ${expected} bytes, got ${bytes.length}`;
  if (bytes.length > expected) return `trailing bytes: expected ${expected} bytes, got ${bytes.length}`;
  const payload = bytes.subarray(SHARD_HEADER_SIZE);
  if (zlib.crc32(payload, zlib.crc32(bytes.subarray(0, CHECKED))) !== header.checksum) return 'checksum mismatch';
  // From here on the header is intact: a mismatch means the shard belongs elsewhere.
  if (header.k !== k || header.m !== m) return `coded as ${header.k}+${header.m}, expected ${k}+${m}`;
  if (header.index !== expectedIndex) return `holds shard index ${header.index}, expected ${expectedIndex}`;
  if (header.payloadLength !== shardPayloadLength(header.envelopeLength, k)) {
    return `payload length ${header.payloadLength} does not fit an envelope of ${header.envelopeLength} bytes in ${k} shards`;
  }
  return { header, payload };
}

/** Split `envelope` into k data shards and compute m parity shards: k+m self-describing shard objects, index order. */
export async function encodeShards(envelope: Uint8Array, k: number, m: number): Promise<Uint8Array[]> {
  validateErasureParams(k, m);
  const size = shardPayloadLength(envelope.length, k);
  if (envelope.length > MAX_U32 || size * k > MAX_U32) {
    throw new DcsError('ENVELOPE_TOO_LARGE', `erasure coding: an envelope of ${envelope.length} bytes is too large (limit about 4 GiB)`);
  }
  const data = takeScratch(size * k);
  const parity = takeScratch(size * m);
  try {
    data.set(envelope, 0);
    data.fill(0, envelope.length, size * k);
    await runCoder(k, m, bits(range(0, k)), bits(range(k, k + m)), size, data, parity);
    const crc = zlib.crc32(envelope);
    const shards: Uint8Array[] = [];
    for (let i = 0; i < k; i++) shards.push(writeShard(k, m, i, envelope.length, crc, data.subarray(i * size, (i + 1) * size)));
    for (let j = 0; j < m; j++) shards.push(writeShard(k, m, k + j, envelope.length, crc, parity.subarray(j * size, (j + 1) * size)));
    return shards;
  } finally {
    giveScratch(data);
    giveScratch(parity);
  }
}

function* range(from: number, to: number): Generator<number> {
  for (let i = from; i < to; i++) yield i;
}

interface Checked {
  /** Valid shard payloads by shard index. */
  valid: Map<number, Uint8Array>;
  rejected: ShardRejection[];
  envelopeLength: number;
  envelopeCrc: number;
}

/**
 * Check every shard, then keep only those that agree on the envelope (length and CRC32). When
 * shards disagree, the largest group wins (ties: the group holding the lowest index); the others
 * are rejected as belonging to another envelope.
 */
function checkAll(
  shards: readonly (Uint8Array | undefined)[],
  k: number,
  m: number,
  expectedIndexes: readonly number[] | undefined,
  chunkId: string | undefined,
): Checked {
  validateErasureParams(k, m);
  if (expectedIndexes !== undefined && expectedIndexes.length !== shards.length) {
    throw new DcsError('BAD_SHARD_LIST', `erasure decode: ${shards.length} shards but ${expectedIndexes.length} expected indexes`);
  }
  if (expectedIndexes === undefined && shards.length > k + m) {
    throw new DcsError('BAD_SHARD_LIST', `erasure decode: ${shards.length} shards given for a ${k}+${m} code`);
  }
  const rejected: ShardRejection[] = [];
  const candidates: { index: number; header: ShardHeader; payload: Uint8Array }[] = [];
  const seen = new Set<number>();
  for (let pos = 0; pos < shards.length; pos++) {
    const index = expectedIndexes === undefined ? pos : expectedIndexes[pos]!;
    if (!Number.isInteger(index) || index < 0 || index >= k + m) {
      throw new DcsError('BAD_SHARD_LIST', `erasure decode: shard index ${index} is outside 0..${k + m - 1}`);
    }
    const bytes = shards[pos];
    if (bytes === undefined) continue;
    const result = checkShard(bytes, k, m, index);
    if (typeof result === 'string') rejected.push({ index, reason: result });
    else if (!seen.has(index)) {
      seen.add(index);
      candidates.push({ index, header: result.header, payload: result.payload });
    }
  }
  const groups = new Map<string, typeof candidates>();
  for (const c of candidates) {
    const key = `${c.header.envelopeLength}:${c.header.envelopeCrc}`;
    const g = groups.get(key);
    if (g) g.push(c);
    else groups.set(key, [c]);
  }
  let best: typeof candidates = [];
  for (const g of groups.values()) {
    const lowest = (x: typeof candidates): number => Math.min(...x.map((c) => c.index));
    if (g.length > best.length || (g.length === best.length && lowest(g) < lowest(best))) best = g;
  }
  for (const g of groups.values()) {
    if (g === best) continue;
    for (const c of g) rejected.push({ index: c.index, reason: 'belongs to a different envelope (another chunk or a stale write)' });
  }
  const valid = new Map(best.map((c) => [c.index, c.payload]));
  if (valid.size < k) {
    const missing = [...range(0, k + m)].filter((i) => !valid.has(i) && !rejected.some((r) => r.index === i));
    const all = [...rejected, ...missing.map((index) => ({ index, reason: 'missing' }))].sort((a, b) => a.index - b.index);
    throw new InsufficientShardsError(valid.size, k, k + m, all, chunkId);
  }
  return { valid, rejected, envelopeLength: best[0]!.header.envelopeLength, envelopeCrc: best[0]!.header.envelopeCrc };
}

/**
 * Rebuild the shards at `targets` (indexes not in `valid`) with the coder. Returns the full
 * data area (k shards) and parity area (m shards), with the targets filled in.
 */
async function rebuild(k: number, m: number, c: Checked, targets: readonly number[]): Promise<{ data: Buffer; parity: Buffer; size: number }> {
  const size = shardPayloadLength(c.envelopeLength, k);
  const data = Buffer.allocUnsafeSlow(size * k);
  const parity = Buffer.allocUnsafeSlow(size * m);
  for (const [index, payload] of c.valid) {
    if (index < k) data.set(payload, index * size);
    else parity.set(payload, (index - k) * size);
  }
  if (targets.length > 0) await runCoder(k, m, bits(c.valid.keys()), bits(targets), size, data, parity);
  return { data, parity, size };
}

function verifyEnvelope(envelope: Uint8Array, c: Checked, chunkId: string | undefined): void {
  if (zlib.crc32(envelope) !== c.envelopeCrc) {
    throw new ChunkCorruptError(chunkId ?? '(unknown chunk)', 'erasure decode produced an envelope whose CRC32 does not match its shards');
  }
}

export interface DecodeResult {
  envelope: Uint8Array;
  /** Indexes of the shards that were used or could have been (valid and consistent). */
  valid: number[];
  /** Shards that were present but failed a check, with the reason. */
  rejected: ShardRejection[];
}

/**
 * The envelope from any k valid shards, with which shards were rejected and why. `shards[i]` is
 * expected to hold shard index `expectedIndexes[i]` (default: i); undefined means missing.
 */
export async function decodeShardsDetailed(
  shards: readonly (Uint8Array | undefined)[],
  k: number,
  m: number,
  expectedIndexes?: readonly number[],
  chunkId?: string,
): Promise<DecodeResult> {
  const c = checkAll(shards, k, m, expectedIndexes, chunkId);
  const missingData = [...range(0, k)].filter((i) => !c.valid.has(i));
  let envelope: Uint8Array;
  if (missingData.length === 0) {
    // All data shards are here: concatenate, no coding needed.
    const size = shardPayloadLength(c.envelopeLength, k);
    envelope = uninitialized(c.envelopeLength);
    for (let i = 0; i < k && i * size < c.envelopeLength; i++) {
      const payload = c.valid.get(i)!;
      envelope.set(payload.subarray(0, Math.min(size, c.envelopeLength - i * size)), i * size);
    }
  } else {
    const { data } = await rebuild(k, m, c, missingData);
    envelope = new Uint8Array(data.buffer, data.byteOffset, c.envelopeLength);
  }
  verifyEnvelope(envelope, c, chunkId);
  return { envelope, valid: [...c.valid.keys()].sort((a, b) => a - b), rejected: c.rejected };
}

/** The envelope from any k valid shards; missing or damaged ones may be undefined or are detected and skipped. */
export async function decodeShards(
  shards: readonly (Uint8Array | undefined)[],
  k: number,
  m: number,
  expectedIndexes?: readonly number[],
  chunkId?: string,
): Promise<Uint8Array> {
  return (await decodeShardsDetailed(shards, k, m, expectedIndexes, chunkId)).envelope;
}

/**
 * The shard objects at the `wanted` indexes (for repair), rebuilt from any k valid shards and
 * byte-equal to what encodeShards wrote. A wanted shard that is present and valid is returned as
 * a copy. The rebuilt envelope is checked against the shards' CRC32 before anything is returned.
 */
export async function reconstructShards(
  shards: readonly (Uint8Array | undefined)[],
  k: number,
  m: number,
  wanted: readonly number[],
  expectedIndexes?: readonly number[],
  chunkId?: string,
): Promise<Uint8Array[]> {
  const c = checkAll(shards, k, m, expectedIndexes, chunkId);
  for (const w of wanted) {
    if (!Number.isInteger(w) || w < 0 || w >= k + m) throw new DcsError('BAD_SHARD_LIST', `wanted shard index ${w} is outside 0..${k + m - 1}`);
  }
  // Every missing data shard (to verify the envelope) and every wanted missing parity shard.
  const targets = [...range(0, k + m)].filter((i) => !c.valid.has(i) && (i < k || wanted.includes(i)));
  const { data, parity, size } = await rebuild(k, m, c, targets);
  verifyEnvelope(data.subarray(0, c.envelopeLength), c, chunkId);
  return wanted.map((i) => {
    const payload = i < k ? data.subarray(i * size, (i + 1) * size) : parity.subarray((i - k) * size, (i - k + 1) * size);
    return writeShard(k, m, i, c.envelopeLength, c.envelopeCrc, payload);
  });
}
