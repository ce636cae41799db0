// Frames of the orchestrator's data plane (docs/api.md "Data plane"): a chunk upload's body and an
// envelope download's body are a sequence of frames, each
//
//   0  1  type (FRAME_*)
//   1  3  reserved, 0
//   4  4  body length (u32 LE)
//   8     body
//
// A chunk frame's body is the 32-byte chunk id, `skip` and `take` (u32 LE: which bytes of the
// plain chunk the reader wants; 0 and the chunk's length in uploads), then the chunk's unencrypted
// envelope. A download ends with an end frame, so a cut connection is never taken for a complete
// file, or with an error frame carrying `{code, message}` as JSON. A download plan (direct reads)
// is a head frame, plan frames (JSON arrays of the chunks to read, in order) and an end frame.
// A storage node's batched reads answer with an object frame (the object's bytes) or an error
// frame per object asked for, then an end frame.
import { DcsError } from '../core/errors.ts';
import { freeView } from '../core/memory.ts';

export const FRAME_HEAD = 1;
export const FRAME_CHUNK = 2;
export const FRAME_END = 3;
export const FRAME_ERROR = 4;
export const FRAME_PLAN = 5;
export const FRAME_OBJECT = 6;

const FRAME_HEADER = 8;
/** id (32) + skip (4) + take (4) before a chunk frame's envelope. */
const CHUNK_PREFIX = 40;
/** JSON frames (head, error, plan) are small. */
const MAX_JSON_FRAME = 64 * 1024;

export type Frame =
  | { type: typeof FRAME_HEAD; json: unknown }
  | { type: typeof FRAME_CHUNK; id: string; skip: number; take: number; envelope: Uint8Array }
  | { type: typeof FRAME_END }
  | { type: typeof FRAME_ERROR; code: string; message: string }
  | { type: typeof FRAME_PLAN; json: unknown }
  | { type: typeof FRAME_OBJECT; data: Uint8Array };

function frameHeader(type: number, length: number, extra = 0): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER + extra);
  b.writeUInt32LE(type, 0); // type in byte 0, reserved bytes 0
  b.writeUInt32LE(length, 4);
  return b;
}

export function jsonFrame(type: typeof FRAME_HEAD | typeof FRAME_ERROR | typeof FRAME_PLAN, value: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  return Buffer.concat([frameHeader(type, body.length), body]);
}

export function endFrame(): Buffer {
  return frameHeader(FRAME_END, 0);
}

/** An object frame's header; the object's bytes follow as they are. */
export function objectFrameHeader(length: number): Buffer {
  return frameHeader(FRAME_OBJECT, length);
}

/** A chunk frame's header and prefix; its envelope follows as it is (no copy into the frame). */
export function chunkFramePrefix(id: string, skip: number, take: number, envelopeLength: number): Buffer {
  const b = frameHeader(FRAME_CHUNK, CHUNK_PREFIX + envelopeLength, CHUNK_PREFIX);
  if (b.write(id, FRAME_HEADER, 32, 'hex') !== 32) throw new Error(`not a chunk id: ${id}`);
  b.writeUInt32LE(skip, FRAME_HEADER + 32);
  b.writeUInt32LE(take, FRAME_HEADER + 36);
  return b;
}

/** Memory of its own for `n` bytes, so it can be transferred to a worker or freed (see chunker.ts). */
function owned(n: number): Uint8Array {
  return n > Buffer.poolSize >>> 1 ? Buffer.allocUnsafe(n) : new Uint8Array(n);
}

/**
 * Parse frames from a byte stream. Each envelope lands in a buffer of its own, filled straight from
 * the socket's pieces (one copy). A frame larger than `maxEnvelope` (+ prefix), an unknown type or
 * a stream that ends inside a frame is a PROTOCOL error.
 */
export async function* readFrames(source: AsyncIterable<Uint8Array>, maxEnvelope: number): AsyncGenerator<Frame> {
  let pending: Uint8Array = new Uint8Array(0);
  // The frame being filled: its header fields, and for chunks the envelope buffer and fill level.
  let head: { type: number; length: number } | undefined;
  let prefix: Uint8Array | undefined;
  let body: Uint8Array | undefined;
  let filled = 0;
  const protocol = (why: string): DcsError => new DcsError('PROTOCOL', `data plane: ${why}`);

  /** Take up to `n` bytes from `pending` (and the current piece): returns them once all are there. */
  const need = (n: number): Uint8Array | undefined => {
    if (pending.length < n) return undefined;
    const out = pending.subarray(0, n);
    pending = pending.subarray(n);
    return out;
  };

  for await (const piece of source) {
    // Socket reads (64 KiB) are copied out and then freed at once (see core/memory.ts); a frame
    // header that straddles two of them joins them first.
    if (pending.length === 0) pending = piece;
    else {
      pending = Buffer.concat([pending, piece]);
      freeView(piece);
    }
    const read = pending;
    for (;;) {
      if (!head) {
        const h = need(FRAME_HEADER);
        if (!h) break;
        const dv = new DataView(h.buffer, h.byteOffset, FRAME_HEADER);
        const type = h[0]!;
        const length = dv.getUint32(4, true);
        if (type === FRAME_CHUNK) {
          if (length < CHUNK_PREFIX + 20 || length > CHUNK_PREFIX + maxEnvelope) throw protocol(`chunk frame of ${length} bytes (limit ${CHUNK_PREFIX + maxEnvelope})`);
        } else if (type === FRAME_OBJECT) {
          if (length > maxEnvelope) throw protocol(`object frame of ${length} bytes (limit ${maxEnvelope})`);
        } else if (type === FRAME_HEAD || type === FRAME_ERROR || type === FRAME_PLAN) {
          if (length > MAX_JSON_FRAME) throw protocol(`JSON frame of ${length} bytes`);
        } else if (type === FRAME_END) {
          if (length !== 0) throw protocol('end frame with a body');
        } else {
          throw protocol(`unknown frame type ${type}`);
        }
        head = { type, length };
      }
      if (head.type === FRAME_END) {
        head = undefined;
        yield { type: FRAME_END };
        continue;
      }
      if (head.type !== FRAME_CHUNK && head.type !== FRAME_OBJECT) {
        const b = need(head.length);
        if (!b) break;
        const text = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
        const type = head.type;
        head = undefined;
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw protocol('a JSON frame that is not JSON');
        }
        if (type === FRAME_HEAD) yield { type: FRAME_HEAD, json };
        else if (type === FRAME_PLAN) yield { type: FRAME_PLAN, json };
        else {
          const e = json as { code?: unknown; message?: unknown };
          yield { type: FRAME_ERROR, code: typeof e.code === 'string' ? e.code : 'REMOTE', message: typeof e.message === 'string' ? e.message : 'remote error' };
        }
        continue;
      }
      // Chunk and object frames: bytes copied straight into a buffer of their own.
      const prefixLength = head.type === FRAME_CHUNK ? CHUNK_PREFIX : 0;
      if (!prefix) {
        const p = need(prefixLength);
        if (!p) break;
        prefix = Uint8Array.from(p);
        body = owned(head.length - prefixLength);
        filled = 0;
      }
      const b = body!;
      const n = Math.min(b.length - filled, pending.length);
      b.set(pending.subarray(0, n), filled);
      filled += n;
      pending = pending.subarray(n);
      if (filled < b.length) break;
      const p = prefix;
      const type = head.type;
      head = undefined;
      prefix = undefined;
      body = undefined;
      if (type === FRAME_OBJECT) {
        yield { type: FRAME_OBJECT, data: b };
        continue;
      }
      const dv = new DataView(p.buffer, p.byteOffset, CHUNK_PREFIX);
      yield { type: FRAME_CHUNK, id: Buffer.from(p.buffer, p.byteOffset, 32).toString('hex'), skip: dv.getUint32(32, true), take: dv.getUint32(36, true), envelope: b };
    }
    // Everything of this read is copied out (JSON and prefix bytes included): free it.
    if (pending.length === 0) freeView(read);
  }
  if (head || pending.length > 0) throw protocol('stream ended inside a frame');
}
