// The process surface the CLI uses, injectable so tests run commands in-process.
import { WriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { freeView } from '../core/memory.ts';

export interface CliIO {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIO(): CliIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

export function writeLine(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}

/**
 * Write a download's pieces to `sink` one at a time, each complete (its callback has run) before
 * the next. When the sink hands bytes to the kernel (a file, or this process's stdout), each piece
 * is freed as soon as it is written (download pieces belong to their consumer) rather than left as
 * hundreds of MB of dead chunks for V8 to find with full collections. Other writables (a
 * PassThrough, a test's collector) may keep what they were given, so their pieces are left alone.
 * Read-ahead keeps running meanwhile, so waiting for each write costs no throughput.
 */
export async function writePieces(sink: Writable, pieces: AsyncIterable<Uint8Array>, options: { end: boolean }): Promise<void> {
  const free = sink instanceof WriteStream || sink === process.stdout;
  let failure: Error | undefined;
  const onError = (err: Error): void => {
    failure ??= err;
  };
  sink.on('error', onError);
  try {
    for await (const piece of pieces) {
      if (failure) throw failure;
      await new Promise<void>((resolve, reject) => sink.write(piece, (err) => (err ? reject(err) : resolve())));
      if (free) freeView(piece);
    }
    if (failure) throw failure;
    if (options.end) await new Promise<void>((resolve, reject) => sink.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } finally {
    sink.off('error', onError);
  }
}
