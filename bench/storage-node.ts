// Storage-node transfer bench: one `dcs serve --role storage` process, and RemoteBlobStore in this
// process putting then getting N random objects with a fixed number in flight, once per bulk path:
// the data plane (raw HTTP/1.1 bodies, the default) and gRPC PutObject/GetObject (what it
// replaced). Reports MB/s and the CPU-seconds of the node process (/proc/PID/stat) and of this
// client process for each phase.
//
//   node bench/storage-node.ts [--count 512] [--size 1048576] [--inflight 8] [--bulk both|data-plane|grpc]
//                              [--data DIR]   (default: under /dev/shm, so the disk does not set the pace)
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RemoteBlobStore } from '../src/services/remote-blob-store.ts';
import { freePort } from '../test/helpers/ports.ts';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '512' },
    size: { type: 'string', default: String(1024 * 1024) },
    inflight: { type: 'string', default: '8' },
    bulk: { type: 'string', default: 'both' },
    data: { type: 'string' },
  },
});
const count = Number(values.count);
const size = Number(values.size);
const inflight = Number(values.inflight);
const modes = values.bulk === 'both' ? (['grpc', 'data-plane'] as const) : ([values.bulk] as ('grpc' | 'data-plane')[]);
const BIN = resolve(import.meta.dirname, '..', 'bin', 'dcs.js');
const TOKEN = 'bench-node-token';
/** Clock ticks per second, the unit of utime and stime in /proc/PID/stat. */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** CPU-seconds (user + system, every thread) a running process has used, from /proc/PID/stat. */
function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

const selfCpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function startStorageNode(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--role', 'storage', '--listen', `127.0.0.1:${port}`, '--data', dataDir], {
    env: { ...process.env, DCS_NODE_TOKEN: TOKEN },
    // Its JSON log lines go to stderr: kept, and shown only if it fails to start.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => void (log += d.toString('utf8')));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`storage node exited with ${child.exitCode}:\n${log}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error(`storage node did not start:\n${log}`);
}

/** Run `fn(i)` for i in [0, n) with `limit` calls in flight. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < n) await fn(next++);
  }));
}

interface Phase {
  mbPerS: number;
  seconds: number;
  nodeCpuS: number;
  clientCpuS: number;
}

async function phase(nodePid: number, fn: () => Promise<void>): Promise<Phase> {
  const node0 = procCpuSeconds(nodePid);
  const client0 = selfCpuSeconds();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, mbPerS: (count * size) / 1e6 / seconds, nodeCpuS: procCpuSeconds(nodePid) - node0, clientCpuS: selfCpuSeconds() - client0 };
}

const objects = Array.from({ length: count }, () => randomFillSync(new Uint8Array(size)));
const base = values.data ?? (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());
const results: Record<string, { put: Phase; get: Phase }> = {};

for (const bulk of modes) {
  const dir = mkdtempSync(join(base, 'dcs-bench-node-'));
  const { url, child } = await startStorageNode(dir);
  const store = new RemoteBlobStore('bench', url, { token: TOKEN, bulk });
  try {
    // Warm up connections and code paths, outside the measurement.
    await pool(inflight * 2, inflight, async (i) => {
      await store.put(`warm/${i}`, objects[i % count]!);
      await store.get(`warm/${i}`);
    });
    const key = (i: number): string => `chunks/${(i % 256).toString(16).padStart(2, '0')}/obj-${i}`;
    const put = await phase(child.pid!, () => pool(count, inflight, (i) => store.put(key(i), objects[i]!)));
    const get = await phase(child.pid!, () =>
      pool(count, inflight, async (i) => {
        const got = await store.get(key(i));
        if (!Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(objects[i]!)) throw new Error(`object ${i} came back different`);
      }),
    );
    results[bulk] = { put, get };
  } finally {
    await store.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (p: Phase): string => `${p.mbPerS.toFixed(0).padStart(6)} MB/s  ${p.seconds.toFixed(2).padStart(6)} s  node ${p.nodeCpuS.toFixed(2).padStart(5)} CPU-s  client ${p.clientCpuS.toFixed(2).padStart(5)} CPU-s`;
console.log(`${count} × ${size} B objects, ${inflight} in flight, node data under ${base}`);
for (const [bulk, r] of Object.entries(results)) {
  console.log(`${bulk.padEnd(10)} put ${fmt(r.put)}`);
  console.log(`${''.padEnd(10)} get ${fmt(r.get)}`);
}
if (process.env.BENCH_JSON) console.log(JSON.stringify(results));
