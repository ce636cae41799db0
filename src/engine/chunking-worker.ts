// Worker-thread entry for workerChunkSource: FastCDC + chunk ids over input pieces sent by the
// main thread; chunks go back by transfer. Acknowledging each piece gives the main thread its
// backpressure signal.
import { parentPort, workerData } from 'node:worker_threads';
import { hmacHasher, sha256Hasher } from '../core/chunk-id.ts';
import { chunkReader, chunkStream, fileReader } from '../core/chunker.ts';
import { freeMemory } from '../core/memory.ts';
import type { ChunkerReply, ChunkerRequest, ChunkerSetup } from './worker-protocol.ts';

const setup = workerData as ChunkerSetup;
const hasher = setup.idKey ? hmacHasher(setup.idKey) : sha256Hasher();
const port = parentPort!;

/** Chunks sent but not yet taken by the consumer; production pauses at the limit. */
const OUTPUT_CREDIT = setup.outputCredit;
let outstanding = 0;
const queue: Exclude<ChunkerRequest, { type: 'taken' }>[] = [];
let wake: (() => void) | undefined;
port.on('message', (m: ChunkerRequest) => {
  if (m.type === 'taken') outstanding--;
  else queue.push(m);
  wake?.();
  wake = undefined;
});

/** Resolves once the consumer has room for another chunk ('taken' messages lower `outstanding`). */
async function outputCredit(): Promise<void> {
  for (;;) {
    if (outstanding < OUTPUT_CREDIT) return;
    await new Promise<void>((resolve) => (wake = resolve));
  }
}

async function* input(): AsyncGenerator<Uint8Array> {
  for (;;) {
    while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const m = queue.shift()!;
    if (m.type === 'end') return;
    yield m.data;
    // The piece has been copied into the chunker's window (chunkStream asks for the next one only
    // then) and came by transfer, so it is ours to free now rather than at a later collection.
    freeMemory(m.data.buffer);
    const ack: ChunkerReply = { type: 'consumed' };
    port.postMessage(ack);
  }
}

try {
  const chunks = setup.fd === undefined ? chunkStream(input(), setup.params) : chunkReader(fileReader(setup.fd), setup.params);
  for await (const data of chunks) {
    await outputCredit();
    const reply: ChunkerReply = { type: 'chunk', id: hasher.id(data), data };
    outstanding++;
    // Chunks are copies that own their memory; transferring them leaves nothing to collect here.
    port.postMessage(reply, [data.buffer as ArrayBuffer]);
  }
  const done: ChunkerReply = { type: 'done' };
  port.postMessage(done);
} catch (err) {
  const reply: ChunkerReply = { type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  port.postMessage(reply);
}
