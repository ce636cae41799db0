// Messages between PayloadDigests (payload-digests.ts) and its worker (digest-worker.ts).
import type { DigestAlgorithm } from './digests.ts';

export type DigestRequest =
  | { id: number; op: 'begin'; algorithms: DigestAlgorithm[] }
  | { id: number; op: 'update'; data: Uint8Array }
  | { id: number; op: 'end' }
  | { id: number; op: 'drop' };

/** An ack returns the batch (transferred back) for reuse. */
export type DigestReply = { id: number; ack: number; data: Uint8Array } | { id: number; digests: string[] } | { id: number; error: string };
