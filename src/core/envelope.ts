// The self-describing header every stored object starts with (DESIGN.md "On-storage format"):
//
//   0  4  magic "DCS" 0x01
//   4  1  format version (1)
//   5  1  codec id            (codecs.ts registry)
//   6  1  cipher id           (cipher.ts registry)
//   7  1  flags               (reserved, 0)
//   8  4  plain length        (u32 LE, bytes of the chunk)
//  12  4  payload length      (u32 LE, bytes after the header)
//  16  4  CRC32 of bytes 0..15 and the payload (u32 LE)
//  20     payload
//
// The CRC lets verify and repair detect bit rot without keys or decompression; authenticity comes
// from AES-GCM (encrypted) and the chunk id check after decoding (always).
import zlib from 'node:zlib';
import { ChunkCorruptError } from './errors.ts';

export const ENVELOPE_MAGIC = 0x01534344; // "DCS\x01" read as u32 LE
export const ENVELOPE_VERSION = 1;
export const ENVELOPE_HEADER_SIZE = 20;
/** Where the codec id sits in the header (readable before any check, e.g. to pick a GC schedule). */
export const ENVELOPE_CODEC_OFFSET = 5;
/** Where the plain length (u32 LE) sits: how large a chunk decodes to, readable before any check. */
export const ENVELOPE_PLAIN_LENGTH_OFFSET = 8;
const CHECKED = 16;

export interface EnvelopeHeader {
  version: number;
  codecId: number;
  cipherId: number;
  flags: number;
  plainLength: number;
  payloadLength: number;
  checksum: number;
}

/** Write the header fields (without checksum) into `out[0..16)`. */
function writeHeader(out: Uint8Array, codecId: number, cipherId: number, plainLength: number, payloadLength: number): DataView {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setUint32(0, ENVELOPE_MAGIC, true);
  out[4] = ENVELOPE_VERSION;
  out[ENVELOPE_CODEC_OFFSET] = codecId;
  out[6] = cipherId;
  out[7] = 0;
  dv.setUint32(ENVELOPE_PLAIN_LENGTH_OFFSET, plainLength, true);
  dv.setUint32(12, payloadLength, true);
  return dv;
}

/** The first 16 header bytes for given fields: used as associated data when encrypting. */
export function headerPrefix(codecId: number, cipherId: number, plainLength: number, payloadLength: number): Uint8Array {
  const out = new Uint8Array(CHECKED);
  writeHeader(out, codecId, cipherId, plainLength, payloadLength);
  return out;
}

/** Header + payload in one allocation. */
export function encodeEnvelope(fields: { codecId: number; cipherId: number; plainLength: number }, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENVELOPE_HEADER_SIZE + payload.length);
  out.set(payload, ENVELOPE_HEADER_SIZE);
  return frameEnvelope(out, fields);
}

/**
 * Write the header of an envelope whose payload is already in place at `out[20..]` (for payloads
 * assembled there, like packs, which would otherwise be copied once more); returns `out`.
 */
export function frameEnvelope(out: Uint8Array, fields: { codecId: number; cipherId: number; plainLength: number }): Uint8Array {
  const dv = writeHeader(out, fields.codecId, fields.cipherId, fields.plainLength, out.length - ENVELOPE_HEADER_SIZE);
  const crc = zlib.crc32(out.subarray(ENVELOPE_HEADER_SIZE), zlib.crc32(out.subarray(0, CHECKED)));
  dv.setUint32(CHECKED, crc, true);
  return out;
}

/** Parse and check an envelope; every failure is a ChunkCorruptError with a precise reason. */
export function parseEnvelope(bytes: Uint8Array, chunkId: string, backend?: string): { header: EnvelopeHeader; payload: Uint8Array } {
  const corrupt = (reason: string): ChunkCorruptError => new ChunkCorruptError(chunkId, reason, backend);
  if (bytes.length < ENVELOPE_HEADER_SIZE) throw corrupt(`truncated: ${bytes.length} bytes is shorter than the ${ENVELOPE_HEADER_SIZE}-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== ENVELOPE_MAGIC) throw corrupt('bad magic (not a dcs chunk object)');
  const header: EnvelopeHeader = {
    version: bytes[4]!,
    codecId: bytes[ENVELOPE_CODEC_OFFSET]!,
    cipherId: bytes[6]!,
    flags: bytes[7]!,
    plainLength: dv.getUint32(8, true),
    payloadLength: dv.getUint32(12, true),
    checksum: dv.getUint32(16, true),
  };
  if (header.version !== ENVELOPE_VERSION) throw corrupt(`unsupported format version ${header.version}`);
  const expected = ENVELOPE_HEADER_SIZE + header.payloadLength;
  if (bytes.length < expected) throw corrupt(`truncated: expected ${expected} bytes, got ${bytes.length}`);
  if (bytes.length > expected) throw corrupt(`trailing bytes: expected ${expected} bytes, got ${bytes.length}`);
  const payload = bytes.subarray(ENVELOPE_HEADER_SIZE);
  const crc = zlib.crc32(payload, zlib.crc32(bytes.subarray(0, CHECKED)));
  if (crc !== header.checksum) throw corrupt('checksum mismatch');
  return { header, payload };
}
