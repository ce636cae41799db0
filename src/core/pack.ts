// Pack objects: many small chunk envelopes in one stored object, so a put of thousands of small
// files writes a few objects (and fsyncs or requests) instead of one per file, as restic's and
// kopia's pack files do. A pack is itself a chunk: its envelope (codec `pack`, never encrypted:
// its members are sealed one by one) is stored, replicated or erasure coded, verified, repaired,
// rebalanced and deleted exactly like any chunk's, and its id is the repository's chunk id (SHA-256,
// or HMAC under the id key) of its payload, so a deep read of the pack verifies every byte.
//
// Payload, version 1 (all integers little-endian):
//   magic "DCSP" (u32 0x50534344) | version u8 = 1 | 3 reserved bytes (0) | member count u32
//   index: count × { chunk id (32 bytes) | offset u32 | length u32 }   (offsets from payload start)
//   the member envelopes, back to back, in index order
// The index comes first, so the members of a pack can be listed from its head alone.
import type { ChunkHasher, ChunkId } from './chunk-id.ts';
import { CIPHER_NONE } from './cipher.ts';
import { PACK_CODEC_ID } from './codecs.ts';
import { ENVELOPE_HEADER_SIZE, frameEnvelope } from './envelope.ts';
import { ChunkCorruptError } from './errors.ts';

export const PACK_MAGIC = 0x50534344;
export const PACK_VERSION = 1;
const HEAD = 12;
const ENTRY = 40;

export interface PackMember {
  id: ChunkId;
  /** Where the member's envelope starts in the pack's payload. */
  offset: number;
  /** The member envelope's length (its stored size). */
  length: number;
}

export interface SealedPack {
  id: ChunkId;
  /** The pack's envelope: what is stored under `chunks/ab/<id>` (or as its erasure shards). */
  envelope: Uint8Array;
  payloadLength: number;
  members: PackMember[];
}

/** Where a member envelope starts in the pack's stored object (after the pack's envelope header). */
export function memberObjectOffset(member: { offset: number }): number {
  return ENVELOPE_HEADER_SIZE + member.offset;
}

/** Collects member envelopes until the caller seals them into one pack. */
export class PackBuilder {
  readonly #members: { id: ChunkId; envelope: Uint8Array }[] = [];
  #bytes = 0;

  get count(): number {
    return this.#members.length;
  }

  /** Bytes the sealed pack's payload will have. */
  get size(): number {
    return HEAD + ENTRY * this.#members.length + this.#bytes;
  }

  add(id: ChunkId, envelope: Uint8Array): void {
    this.#members.push({ id, envelope });
    this.#bytes += envelope.length;
  }

  seal(hasher: ChunkHasher): SealedPack {
    const count = this.#members.length;
    // The payload is assembled where the envelope will carry it: no copy of it is made.
    const envelope = new Uint8Array(ENVELOPE_HEADER_SIZE + this.size);
    const payload = envelope.subarray(ENVELOPE_HEADER_SIZE);
    const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    dv.setUint32(0, PACK_MAGIC, true);
    payload[4] = PACK_VERSION;
    dv.setUint32(8, count, true);
    const members: PackMember[] = [];
    let at = HEAD + ENTRY * count;
    for (const [i, m] of this.#members.entries()) {
      const entry = HEAD + ENTRY * i;
      payload.set(Buffer.from(m.id, 'hex'), entry);
      dv.setUint32(entry + 32, at, true);
      dv.setUint32(entry + 36, m.envelope.length, true);
      payload.set(m.envelope, at);
      members.push({ id: m.id, offset: at, length: m.envelope.length });
      at += m.envelope.length;
    }
    const id = hasher.id(payload);
    frameEnvelope(envelope, { codecId: PACK_CODEC_ID, cipherId: CIPHER_NONE, plainLength: payload.length });
    return { id, envelope, payloadLength: payload.length, members };
  }
}

/** The index of a pack payload, every entry checked to lie inside it, in order, without overlap. */
export function parsePackIndex(payload: Uint8Array, packId: ChunkId): PackMember[] {
  const corrupt = (reason: string): ChunkCorruptError => new ChunkCorruptError(packId, `pack: ${reason}`);
  if (payload.length < HEAD) throw corrupt(`${payload.length} bytes is shorter than its header`);
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  if (dv.getUint32(0, true) !== PACK_MAGIC) throw corrupt('bad magic');
  if (payload[4] !== PACK_VERSION) throw corrupt(`unsupported pack version ${payload[4]}`);
  const count = dv.getUint32(8, true);
  if (HEAD + ENTRY * count > payload.length) throw corrupt(`index of ${count} members does not fit in ${payload.length} bytes`);
  const members: PackMember[] = [];
  let next = HEAD + ENTRY * count;
  for (let i = 0; i < count; i++) {
    const entry = HEAD + ENTRY * i;
    const offset = dv.getUint32(entry + 32, true);
    const length = dv.getUint32(entry + 36, true);
    if (offset !== next || offset + length > payload.length) throw corrupt(`member ${i} at ${offset}+${length} is out of place`);
    members.push({ id: Buffer.from(payload.subarray(entry, entry + 32)).toString('hex'), offset, length });
    next = offset + length;
  }
  if (next !== payload.length) throw corrupt(`${payload.length - next} trailing bytes after the last member`);
  return members;
}
