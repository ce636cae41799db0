// Worker-thread entry for PayloadDigests: hashes request bodies (MD5 for the ETag, and whatever
// the request asks to be checked) off the main thread. MD5 has no hardware support and costs
// ~1.7 s per GiB here; on the main thread it held every upload's chunk handling up behind it.
import { parentPort } from 'node:worker_threads';
import { digestOf, type Digest } from './digests.ts';
import type { DigestReply, DigestRequest } from './digest-protocol.ts';

const port = parentPort!;
const sessions = new Map<number, Digest[]>();

port.on('message', (msg: DigestRequest) => {
  void handle(msg).catch((err: unknown) => port.postMessage({ id: msg.id, error: String(err) } satisfies DigestReply));
});

async function handle(msg: DigestRequest): Promise<void> {
  switch (msg.op) {
    case 'begin':
      sessions.set(msg.id, msg.algorithms.map(digestOf));
      return;
    case 'update': {
      for (const d of sessions.get(msg.id) ?? []) d.update(msg.data);
      port.postMessage({ id: msg.id, ack: msg.data.byteLength, data: msg.data } satisfies DigestReply, [msg.data.buffer as ArrayBuffer]);
      return;
    }
    case 'end': {
      const digests = sessions.get(msg.id) ?? [];
      sessions.delete(msg.id);
      port.postMessage({ id: msg.id, digests: await Promise.all(digests.map((d) => d.base64())) } satisfies DigestReply);
      return;
    }
    case 'drop':
      sessions.delete(msg.id);
      return;
  }
}
