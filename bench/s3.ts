// `npm run bench -- --sizes '' --s3 FILE [--s3-small LIST --small-root DIR] [--rounds N]`: the S3
// API as its users drive it, beside dcs's own ways in, whole commands timed from spawn to exit,
// alternating rounds, each measurement in a fresh repository served by its own `dcs serve`:
// - a single PutObject and a GetObject of FILE with curl (presigned URLs: the same client and
//   transfer as the HTTP API's PUT and GET of the same file, also with curl), to a real file;
// - rclone (Debian's) copying FILE into a bucket (its multipart upload) and back, beside `dcs put`
//   and `dcs get` of the embedded CLI;
// - with --s3-small, rclone copying the LIST's small files (--files-from) beside one `dcs put` of them;
// - dedup across clients: after the single PutObject, the same FILE again by rclone (multipart)
//   into a second bucket, then by another PutObject under a second key; each one's growth of the
//   repository's files (data and metadata, the server stopped) as a fraction of FILE's size.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { markdownTable, median, rotated, same, timed } from './vs-restic.ts';

const DCS = resolve(import.meta.dirname, '..', 'bin', 'dcs.js');
const TOKEN = 'bench-s3-token';

interface Server {
  http: string;
  s3: string;
  key: { id: string; secret: string };
  stop(): Promise<void>;
}

/** Bytes in the files under dir: what the repository holds (du would add the directories' own blocks, which grow as chunk files come and go). */
function fileBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) total += lstatSync(join(e.parentPath, e.name)).size;
  return total;
}

/** `dcs serve` of repo (created, with an access key, unless it exists: a restart). */
async function serve(repo: string, port: number): Promise<Server> {
  const keyFile = `${repo}.key.json`;
  if (!existsSync(keyFile)) {
    await timed(process.execPath, [DCS, 'init', '--repo', repo]);
    await timed(process.execPath, [DCS, 'keys', 'create', '--repo', repo, '--json'], {}, undefined, keyFile);
  }
  const key = JSON.parse(readFileSync(keyFile, 'utf8')) as { id: string; secret: string };
  const child = spawn(process.execPath, [DCS, 'serve', '--role', 'all', '--repo', repo, '--listen', `127.0.0.1:${port}`, '--s3-listen', `127.0.0.1:${port + 1}`, '--no-web', '--log-level', 'warn'], {
    env: { ...process.env, DCS_TOKEN: TOKEN, DCS_REPO: undefined },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const http = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${http}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i > 200) throw new Error('dcs serve did not become ready');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    http,
    s3: `http://127.0.0.1:${port + 1}`,
    key,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

function client(server: Server): S3Client {
  return new S3Client({ endpoint: server.s3, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: server.key.id, secretAccessKey: server.key.secret } });
}

async function createBucket(server: Server, bucket: string): Promise<void> {
  const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
  await client(server).send(new CreateBucketCommand({ Bucket: bucket }));
}

function rcloneEnv(server: Server): NodeJS.ProcessEnv {
  return {
    RCLONE_CONFIG_DCS_TYPE: 's3',
    RCLONE_CONFIG_DCS_PROVIDER: 'Other',
    RCLONE_CONFIG_DCS_ENDPOINT: server.s3,
    RCLONE_CONFIG_DCS_ACCESS_KEY_ID: server.key.id,
    RCLONE_CONFIG_DCS_SECRET_ACCESS_KEY: server.key.secret,
    RCLONE_CONFIG_DCS_REGION: 'us-east-1',
    RCLONE_CONFIG_DCS_FORCE_PATH_STYLE: 'true',
    // rclone's AWS SDK refuses a custom CA bundle on its HTTP transport; plain http needs none.
    AWS_CA_BUNDLE: undefined,
  };
}

type Way = 'http-api' | 's3-put' | 'rclone' | 'dcs-cli';
const WAYS: Way[] = ['http-api', 's3-put', 'rclone', 'dcs-cli'];

interface WayRun {
  putMBps: number;
  getMBps: number;
  smallFilesPerSecond?: number;
  /** s3-put only: the repository's growth from the same bytes again, over the file's size. */
  dedup?: { rcloneSecondBucket: number; putSecondKey: number };
}

interface S3BenchOptions {
  file: string;
  small?: { list: string; root: string };
  work: string;
  rounds: number;
}

async function runWay(way: Way, o: S3BenchOptions, work: string, port: number): Promise<WayRun> {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const size = statSync(o.file).size;
  const out = join(work, 'out.bin');
  const repo = join(work, 'repo');
  const mbps = (seconds: number): number => size / 1e6 / seconds;
  let put: number;
  let get: number;
  let small: number | undefined;
  let dedup: WayRun['dedup'];
  const files = o.small ? readFileSync(o.small.list, 'utf8').split('\n').filter((l) => l.length > 0) : [];
  if (way === 'dcs-cli') {
    await timed(process.execPath, [DCS, 'init', '--repo', repo]);
    put = (await timed(process.execPath, [DCS, 'put', o.file, '--name', 'big', '--repo', repo, '-q'])).seconds;
    get = (await timed(process.execPath, [DCS, 'get', 'big', '-o', out, '--repo', repo, '-q'])).seconds;
    if (o.small) small = files.length / (await timed(process.execPath, [DCS, 'put', '--repo', repo, '-q', ...files], {}, o.small.root)).seconds;
  } else {
    let server = await serve(repo, port);
    try {
      if (way === 'http-api') {
        const url = `${server.http}/api/v1/files/big`;
        put = (await timed('curl', ['-sS', '-f', '-T', o.file, '-H', `authorization: Bearer ${TOKEN}`, url])).seconds;
        get = (await timed('curl', ['-sS', '-f', '-o', out, '-H', `authorization: Bearer ${TOKEN}`, url])).seconds;
      } else if (way === 's3-put') {
        await createBucket(server, 'bench');
        const s3 = client(server);
        const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'bench', Key: 'big' }), { expiresIn: 3600 });
        put = (await timed('curl', ['-sS', '-f', '-T', o.file, putUrl])).seconds;
        const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'bench', Key: 'big' }), { expiresIn: 3600 });
        get = (await timed('curl', ['-sS', '-f', '-o', out, getUrl])).seconds;
        await createBucket(server, 'second');
        // Sizes taken with the server stopped: SQLite has then folded its write-ahead log into the database.
        const settled = async (): Promise<number> => {
          await server.stop();
          const bytes = fileBytes(repo);
          server = await serve(repo, port);
          return bytes;
        };
        const start = await settled();
        await timed('rclone', ['copyto', o.file, 'dcs:second/big', '--config', '/dev/null'], rcloneEnv(server));
        const afterRclone = await settled();
        const copyUrl = await getSignedUrl(client(server), new PutObjectCommand({ Bucket: 'bench', Key: 'big-again' }), { expiresIn: 3600 });
        await timed('curl', ['-sS', '-f', '-T', o.file, copyUrl]);
        const end = await settled();
        dedup = { rcloneSecondBucket: (afterRclone - start) / size, putSecondKey: (end - afterRclone) / size };
      } else {
        await createBucket(server, 'bench');
        const env = rcloneEnv(server);
        put = (await timed('rclone', ['copyto', o.file, 'dcs:bench/big', '--config', '/dev/null'], env)).seconds;
        get = (await timed('rclone', ['copyto', 'dcs:bench/big', out, '--config', '/dev/null'], env)).seconds;
        if (o.small) {
          const list = join(work, 'files.txt');
          writeFileSync(list, `${files.join('\n')}\n`);
          small = files.length / (await timed('rclone', ['copy', o.small.root, 'dcs:bench/small', '--files-from', list, '--config', '/dev/null'], env)).seconds;
        }
      }
    } finally {
      await server.stop();
    }
  }
  if (!same(out, o.file)) throw new Error(`${way}: the file read back differs from ${o.file}`);
  rmSync(work, { recursive: true, force: true });
  return { putMBps: mbps(put), getMBps: mbps(get), ...(small === undefined ? {} : { smallFilesPerSecond: small }), ...(dedup ? { dedup } : {}) };
}

export interface S3BenchResult {
  file: string;
  size: number;
  smallFiles: number;
  rounds: number;
  medians: Record<Way, WayRun>;
  /** Per-round ratios, then their median: S3 single PUT/GET over the HTTP API's; rclone over dcs's CLI. */
  s3VsHttp: { put: number; get: number };
  /** Medians of WayRun.dedup. */
  dedup: { rcloneSecondBucket: number; putSecondKey: number };
  rcloneVsCli: { put: number; get: number; smallFiles?: number };
}

export async function s3Bench(o: S3BenchOptions): Promise<S3BenchResult> {
  const runs: Record<Way, WayRun[]> = { 'http-api': [], 's3-put': [], rclone: [], 'dcs-cli': [] };
  const ratios = { s3Put: [] as number[], s3Get: [] as number[], rcPut: [] as number[], rcGet: [] as number[], rcSmall: [] as number[] };
  for (let round = 0; round < o.rounds; round++) {
    const r = {} as Record<Way, WayRun>;
    for (const way of rotated(WAYS, round)) {
      r[way] = await runWay(way, o, join(o.work, way), 17_400 + round * 10);
      runs[way].push(r[way]);
      console.error(`s3 round ${round + 1}: ${way}: put ${r[way].putMBps.toFixed(0)} MB/s, get ${r[way].getMBps.toFixed(0)} MB/s${r[way].smallFilesPerSecond === undefined ? '' : `, small files ${r[way].smallFilesPerSecond.toFixed(0)}/s`}`);
    }
    if (r['s3-put'].dedup) console.error(`s3 round ${round + 1}: same bytes again: by rclone into a second bucket +${pct(r['s3-put'].dedup.rcloneSecondBucket)}, by PutObject under a second key +${pct(r['s3-put'].dedup.putSecondKey)}`);
    ratios.s3Put.push(r['s3-put'].putMBps / r['http-api'].putMBps);
    ratios.s3Get.push(r['s3-put'].getMBps / r['http-api'].getMBps);
    ratios.rcPut.push(r.rclone.putMBps / r['dcs-cli'].putMBps);
    ratios.rcGet.push(r.rclone.getMBps / r['dcs-cli'].getMBps);
    if (r.rclone.smallFilesPerSecond !== undefined && r['dcs-cli'].smallFilesPerSecond !== undefined) ratios.rcSmall.push(r.rclone.smallFilesPerSecond / r['dcs-cli'].smallFilesPerSecond);
  }
  const med = (list: WayRun[]): WayRun => {
    const smalls = list.flatMap((x) => (x.smallFilesPerSecond === undefined ? [] : [x.smallFilesPerSecond]));
    return { putMBps: median(list.map((x) => x.putMBps)), getMBps: median(list.map((x) => x.getMBps)), ...(smalls.length > 0 ? { smallFilesPerSecond: median(smalls) } : {}) };
  };
  return {
    file: o.file,
    size: statSync(o.file).size,
    smallFiles: o.small ? readFileSync(o.small.list, 'utf8').split('\n').filter((l) => l.length > 0).length : 0,
    rounds: o.rounds,
    medians: { 'http-api': med(runs['http-api']), 's3-put': med(runs['s3-put']), rclone: med(runs.rclone), 'dcs-cli': med(runs['dcs-cli']) },
    s3VsHttp: { put: median(ratios.s3Put), get: median(ratios.s3Get) },
    dedup: { rcloneSecondBucket: median(runs['s3-put'].map((x) => x.dedup!.rcloneSecondBucket)), putSecondKey: median(runs['s3-put'].map((x) => x.dedup!.putSecondKey)) },
    rcloneVsCli: { put: median(ratios.rcPut), get: median(ratios.rcGet), ...(ratios.rcSmall.length > 0 ? { smallFiles: median(ratios.rcSmall) } : {}) },
  };
}

const pct = (fraction: number): string => `${(fraction * 100).toFixed(3)}%`;

export function s3Markdown(r: S3BenchResult): string {
  const rows = WAYS.map((w) => [w, r.medians[w].putMBps.toFixed(0), r.medians[w].getMBps.toFixed(0), r.medians[w].smallFilesPerSecond?.toFixed(0) ?? '']);
  return [
    `### S3 API: ${r.file} (${(r.size / 2 ** 20).toFixed(1)} MiB)${r.smallFiles ? ` and ${r.smallFiles} small files` : ''}, median of ${r.rounds} alternating round(s)`,
    '',
    ...markdownTable(['way in', 'put MB/s', 'get MB/s', 'small files/s'], rows),
    '',
    `S3 single PutObject / GetObject over the HTTP API's PUT / GET (curl both): ${r.s3VsHttp.put.toFixed(2)}× / ${r.s3VsHttp.get.toFixed(2)}×`,
    `The same bytes again (growth of the repository's files over the file's size): by rclone into a second bucket +${pct(r.dedup.rcloneSecondBucket)}, by PutObject under a second key +${pct(r.dedup.putSecondKey)}`,
    `rclone over dcs's CLI: put ${r.rcloneVsCli.put.toFixed(2)}×, get ${r.rcloneVsCli.get.toFixed(2)}×${r.rcloneVsCli.smallFiles === undefined ? '' : `, small files ${r.rcloneVsCli.smallFiles.toFixed(2)}×`}`,
    '',
  ].join('\n');
}
