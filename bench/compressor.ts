// Compression throughput: the local worker pool vs one compressor service on loopback (a child
// process, as deployed), both producing stored envelopes (compress + seal) from 1 MiB text-like
// chunks with the same number of chunks in flight as an upload. Prints MB/s and the CPU the
// calling process (the orchestrator's side) spends per GB; no assertions.
//
//   node bench/compressor.ts [--mib 256] [--codec zstd] [--level 3] [--in-flight 8] [--workers N]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { parseCodecChoice } from '../src/core/codecs.ts';
import type { ChunkTransformer } from '../src/engine/chunk-transformer.ts';
import { WorkerPoolTransformer } from '../src/engine/worker-transformer.ts';
import { serverAuth } from '../src/services/auth.ts';
import { compressionServiceImpl } from '../src/services/compression-service.ts';
import { CompressionService } from '../src/services/gen/dcs/v1/compression_pb.js';
import { listen } from '../src/services/listener.ts';
import { RemoteTransformer } from '../src/services/remote-transformer.ts';
import { blocks } from './data.ts';

const { values: args } = parseArgs({
  options: {
    mib: { type: 'string', default: '256' },
    codec: { type: 'string', default: 'zstd' },
    level: { type: 'string' },
    'in-flight': { type: 'string', default: '8' },
    workers: { type: 'string', default: String(availableParallelism()) },
    serve: { type: 'boolean', default: false },
  },
});
const workers = Number(args.workers);

if (args.serve) {
  // Child: one compressor service, open on loopback only, until the parent closes stdin.
  const pool = new WorkerPoolTransformer({ workers });
  const svc = await listen({
    host: '127.0.0.1',
    port: 0,
    interceptors: serverAuth({ open: true, host: '127.0.0.1', role: 'compressor' }),
    routes: (r) => r.service(CompressionService, compressionServiceImpl(pool)),
  });
  process.stdout.write(`${svc.url}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void svc.close(100).then(() => pool.close()));
} else {
  const codec = parseCodecChoice(args.codec);
  const level = args.level === undefined ? undefined : Number(args.level);
  const inFlight = Number(args['in-flight']);
  const total = Number(args.mib);
  // 64 distinct 1 MiB blocks, copied per use (each encode may take ownership of its input).
  const sample = [...blocks('text', 64 * 1024 * 1024)];
  const ids = sample.map((b) => createHash('sha256').update(b).digest('hex'));

  const run = async (label: string, t: ChunkTransformer): Promise<void> => {
    // Warm up (worker start, JIT, connections).
    await Promise.all(sample.slice(0, 8).map((b, i) => t.encode(b.slice(), ids[i]!, codec, level)));
    let next = 0;
    let stored = 0;
    const started = performance.now();
    const cpu = process.cpuUsage();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < total) {
          const i = next++ % sample.length;
          const encoded = await t.encode(sample[i]!.slice(), ids[i]!, codec, level);
          stored += encoded.storedSize;
        }
      }),
    );
    const s = (performance.now() - started) / 1000;
    const used = process.cpuUsage(cpu);
    const cpuS = (used.user + used.system) / 1e6;
    const mb = (total * 1024 * 1024) / 1e6;
    // CPU of this process (all its threads): what an orchestrator spends per GB in each setup.
    console.log(
      `${label.padEnd(40)} ${(mb / s).toFixed(0).padStart(5)} MB/s  ${((cpuS / mb) * 1000).toFixed(1).padStart(5)} orchestrator CPU-s/GB  (${total} MiB in ${s.toFixed(2)} s, ratio ${((total * 1024 * 1024) / stored).toFixed(2)})`,
    );
  };

  console.log(`${args.codec}${level === undefined ? '' : ` level ${level}`}, ${total} MiB of text-like data in 1 MiB chunks, ${inFlight} in flight, ${availableParallelism()} cores`);
  const pool = new WorkerPoolTransformer({ workers });
  await run(`local worker pool (${workers} workers)`, pool);
  await pool.close();

  const child = spawn(process.execPath, [import.meta.filename, '--serve', '--workers', String(workers)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`compressor exited with ${code}`)));
  });
  for (const verify of [false, true]) {
    const remote = new RemoteTransformer({ urls: [url], verify, maxInFlightPerCompressor: inFlight, warn: (m) => console.error(`warning: ${m}`) });
    await run(`compressor service (${workers} workers)${verify ? ', verify' : ''}`, remote);
    await remote.close();
  }
  child.stdin.end();
}
