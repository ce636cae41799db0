// The HTTP API as a browser or curl uses it, against a real server on loopback (startNode with
// role all, a real repository on disk, SQLite metadata).
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino, type Logger } from 'pino';
import { initRepository } from '../../src/repository/init-repository.ts';
import { startNode, type RunningNode } from '../../src/server/node.ts';
import type { TlsFiles } from '../../src/services/listener.ts';
import { randomBytes, textBytes } from '../helpers/data.ts';
import { SMALL_CHUNKS } from '../helpers/engine.ts';
import { makeTestPki } from '../helpers/tls.ts';
import { unzip } from '../helpers/unzip.ts';

const TOKEN = 'http-test-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const PART = 256 * 1024;

interface Server {
  node: RunningNode;
  url: string;
  dir: string;
}

async function startServer(options: { maxUpload?: number; webRoot?: string; open?: boolean; backends?: (dir: string) => string[]; tls?: TlsFiles; log?: Logger } = {}): Promise<Server> {
  const dir = await mkdtemp(join(tmpdir(), 'dcs-http-'));
  await initRepository(join(dir, 'repo'), { chunking: SMALL_CHUNKS, ...(options.backends ? { backends: options.backends(dir), replicate: 2 } : {}) });
  const node = await startNode({
    role: 'all',
    host: '127.0.0.1',
    port: 0,
    ...(options.open ? { open: true } : { token: TOKEN }),
    ...(options.tls ? { tls: options.tls } : {}),
    repoDir: join(dir, 'repo'),
    openOptions: { workers: 0 },
    http: {
      limits: { partSize: PART, maxPartBytes: 4 * PART, ...(options.maxUpload === undefined ? {} : { maxUploadBytes: options.maxUpload }) },
      ...(options.webRoot ? { webRoot: options.webRoot } : {}),
      statsIntervalMs: 0,
    },
    log: options.log ?? pino({ level: 'silent' }),
  });
  return { node, url: node.url, dir };
}

async function stop(s: Server): Promise<void> {
  await s.node.close(1000);
  await rm(s.dir, { recursive: true, force: true });
}

const enc = encodeURIComponent;

async function put(s: Server, name: string, body: Uint8Array, query = ''): Promise<Response> {
  return fetch(`${s.url}/api/v1/files/${enc(name)}${query}`, { method: 'PUT', headers: AUTH, body });
}

async function getBytes(s: Server, path: string, headers: Record<string, string> = {}): Promise<{ res: Response; bytes: Buffer }> {
  const res = await fetch(`${s.url}${path}`, { headers: { ...AUTH, ...headers } });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  const body = await json<{ error: { code: string; message: string } }>(res);
  assert.equal(body.error.message.includes('\n'), false, 'error messages are one line');
  return body.error;
}

describe('HTTP API', () => {
  let s: Server;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await stop(s);
  });

  it('refuses requests without the token, accepts the cookie for reads only, and leaves probes open', async () => {
    const none = await fetch(`${s.url}/api/v1/files`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /Bearer/);
    assert.equal((await errorOf(none)).code, 'UNAUTHENTICATED');
    const wrong = await fetch(`${s.url}/api/v1/files`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    assert.equal((await fetch(`${s.url}/api/v1/session`, { method: 'POST', body: JSON.stringify({ token: 'nope' }) })).status, 401);

    const login = await fetch(`${s.url}/api/v1/session`, { method: 'POST', body: JSON.stringify({ token: TOKEN }) });
    assert.equal(login.status, 204);
    const setCookie = login.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.equal(setCookie.includes(TOKEN), false, 'the cookie is not the token itself');
    const cookie = setCookie.split(';')[0]!;
    assert.equal((await put(s, 'cookie-test', new Uint8Array([1, 2, 3]))).status, 201);
    const read = await fetch(`${s.url}/api/v1/files/cookie-test`, { headers: { cookie } });
    assert.equal(read.status, 200);
    assert.deepEqual([...new Uint8Array(await read.arrayBuffer())], [1, 2, 3]);
    // A cross-site form could carry the cookie; it must not be able to change anything.
    assert.equal((await fetch(`${s.url}/api/v1/files/cookie-test`, { method: 'DELETE', headers: { cookie } })).status, 401);
    assert.equal((await fetch(`${s.url}/api/v1/files/x`, { method: 'PUT', headers: { cookie }, body: 'x' })).status, 401);
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
  });

  it('streams an upload in and the same bytes out, with ETag, Last-Modified and a safe Content-Disposition', async () => {
    const data = textBytes(3 * 1024 * 1024 + 17);
    const res = await put(s, 'docs/report 2026.txt', data, '?codec=zstd');
    assert.equal(res.status, 201);
    const r = await json(res);
    assert.equal(r.size, data.length);
    assert.equal(r.version, 1);
    assert.ok((r.chunks as number) > 10, 'split into many chunks');
    assert.ok((r.ratio as number) > 1.5, `text compresses (ratio ${String(r.ratio)})`);
    assert.deepEqual(Object.keys(r.codecs as object), ['zstd']);

    const { res: got, bytes } = await getBytes(s, `/api/v1/files/${enc('docs/report 2026.txt')}`);
    assert.equal(got.status, 200);
    assert.ok(bytes.equals(Buffer.from(data)));
    assert.equal(got.headers.get('content-length'), String(data.length));
    assert.equal(got.headers.get('content-type'), 'application/octet-stream');
    assert.equal(got.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(got.headers.get('content-disposition'), `attachment; filename="report 2026.txt"; filename*=UTF-8''report%202026.txt`);
    const etag = got.headers.get('etag')!;
    assert.match(etag, /^"v\d+-\d+"$/);
    assert.ok(got.headers.get('last-modified'));
    // Unencoded slashes address the same file.
    assert.equal((await fetch(`${s.url}/api/v1/files/docs/report%202026.txt`, { method: 'HEAD', headers: AUTH })).headers.get('etag'), etag);
    assert.equal((await getBytes(s, `/api/v1/files/${enc('docs/report 2026.txt')}`, { 'if-none-match': etag })).res.status, 304);

    // A new version changes the ETag; ?version= still serves the old bytes.
    const v2 = textBytes(1000, 99);
    assert.equal((await json(await put(s, 'docs/report 2026.txt', v2))).version, 2);
    const latest = await getBytes(s, `/api/v1/files/${enc('docs/report 2026.txt')}`, { 'if-none-match': etag });
    assert.equal(latest.res.status, 200);
    assert.ok(latest.bytes.equals(Buffer.from(v2)));
    const old = await getBytes(s, `/api/v1/files/${enc('docs/report 2026.txt')}?version=1`);
    assert.ok(old.bytes.equals(Buffer.from(data)));
  });

  it('a slow reader gets every byte, with backpressure that piles nothing up on the response', async () => {
    const data = randomBytes(6 * 1024 * 1024, 61);
    assert.equal((await put(s, 'slow/reader.bin', data)).status, 201);
    // Node warns once more than 10 listeners wait on one response; each chunk that meets
    // backpressure used to leave two behind.
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const body = await new Promise<Buffer>((resolve, reject) => {
        http
          .get(`${s.url}/api/v1/files/slow%2Freader.bin`, { headers: AUTH }, (res) => {
            const parts: Buffer[] = [];
            res.on('data', (d: Buffer) => {
              parts.push(d);
              // Read a little, then stall, over and over: the server's socket stays full.
              res.pause();
              setTimeout(() => res.resume(), 2);
            });
            res.on('end', () => resolve(Buffer.concat(parts)));
            res.on('error', reject);
          })
          .on('error', reject);
      });
      assert.ok(body.equals(Buffer.from(data)));
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('answers Range requests: first-last, open-ended, suffix, unsatisfiable, several ranges and If-Range', async () => {
    const data = randomBytes(500_000, 5);
    await put(s, 'ranges.bin', data);
    const path = '/api/v1/files/ranges.bin';
    const check = async (range: string, start: number, end: number): Promise<void> => {
      const { res, bytes } = await getBytes(s, path, { range });
      assert.equal(res.status, 206, range);
      assert.equal(res.headers.get('content-range'), `bytes ${start}-${end}/${data.length}`);
      assert.ok(bytes.equals(Buffer.from(data.subarray(start, end + 1))), range);
    };
    await check('bytes=0-0', 0, 0);
    await check('bytes=100000-299999', 100_000, 299_999);
    await check('bytes=499990-', 499_990, 499_999);
    await check('bytes=-10', 499_990, 499_999);
    await check('bytes=400000-9999999', 400_000, 499_999);
    const beyond = await getBytes(s, path, { range: 'bytes=500000-' });
    assert.equal(beyond.res.status, 416);
    assert.equal(beyond.res.headers.get('content-range'), `bytes */${data.length}`);
    const several = await getBytes(s, path, { range: 'bytes=0-1,5-6' });
    assert.equal(several.res.status, 200, 'several ranges: the whole file');
    assert.equal(several.bytes.length, data.length);
    const stale = await getBytes(s, path, { range: 'bytes=0-9', 'if-range': '"v0-0"' });
    assert.equal(stale.res.status, 200, 'If-Range with another ETag: the whole file');
  });

  it('stores hostile names as names and never lets them escape a header or a path', async () => {
    const names = ['../../etc/passwd', '/abs/olute', 'new\nline "quoted" \\ name', 'ünïcödé ☃.txt', '-rf', ' spaced ', 'a/./b/../c'];
    for (const [i, name] of names.entries()) assert.equal((await put(s, name, new Uint8Array([i]))).status, 201, name);
    for (const [i, name] of names.entries()) {
      const { res, bytes } = await getBytes(s, `/api/v1/file?name=${enc(name)}`);
      assert.equal(res.status, 200, name);
      assert.deepEqual([...bytes], [i]);
      const cd = res.headers.get('content-disposition')!;
      assert.equal(/[\r\n]/.test(cd), false);
      const star = /filename\*=UTF-8''(.*)$/.exec(cd)![1]!;
      assert.equal(decodeURIComponent(star), name.slice(name.lastIndexOf('/') + 1) || 'download');
    }
    const listed = await json<{ files: { name: string }[] }>(await fetch(`${s.url}/api/v1/files?limit=1000`, { headers: AUTH }));
    for (const name of names) assert.ok(listed.files.some((f) => f.name === name), name);
    // `.` and `..` cannot be path segments in browsers; the ?name= form reaches them.
    assert.equal((await fetch(`${s.url}/api/v1/file?name=..`, { method: 'PUT', headers: AUTH, body: 'dots' })).status, 201);
    assert.equal(Buffer.from(await (await fetch(`${s.url}/api/v1/file?name=..`, { headers: AUTH })).arrayBuffer()).toString(), 'dots');
    const nul = await put(s, 'a\0b', new Uint8Array([1]));
    assert.equal(nul.status, 400);
    assert.match((await errorOf(nul)).message, /NUL/);
    assert.equal((await put(s, 'x'.repeat(5000), new Uint8Array([1]))).status, 400);
    assert.equal((await fetch(`${s.url}/api/v1/files/%E0%A4%A`, { headers: AUTH })).status, 400);
  });

  it('refuses names that are not UTF-8 (invalid bytes, lone surrogates) with one message on every entry point, and stores nothing', async () => {
    const NOT_UTF8 = /^file name must be valid UTF-8/;
    const refused = async (what: string, res: Response): Promise<void> => {
      assert.equal(res.status, 400, what);
      assert.match((await errorOf(res)).message, NOT_UTF8, what);
    };
    // %ED%A0%80 is the UTF-8 form of the surrogate U+D800 (invalid); %FF is never UTF-8.
    for (const bad of ['sur%ED%A0%80.txt', 'x%FFy', '%C3']) {
      await refused(`query ${bad}`, await fetch(`${s.url}/api/v1/file?name=${bad}`, { method: 'PUT', headers: AUTH, body: 'x' }));
      await refused(`path ${bad}`, await fetch(`${s.url}/api/v1/files/${bad}`, { method: 'PUT', headers: AUTH, body: 'x' }));
      await refused(`get ${bad}`, await fetch(`${s.url}/api/v1/file?name=${bad}`, { headers: AUTH }));
      await refused(`stat ${bad}`, await fetch(`${s.url}/api/v1/stat/${bad}`, { headers: AUTH }));
    }
    const begin = (body: Uint8Array | string): Promise<Response> => fetch(`${s.url}/api/v1/uploads`, { method: 'POST', headers: AUTH, body });
    await refused('JSON lone surrogate', await begin('{"name": "sur\\ud800.txt"}'));
    await refused('JSON invalid bytes', await begin(Buffer.concat([Buffer.from('{"name": "sur'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('.txt"}')])));
    // The same through the data plane and through gRPC's Connect protocol (binary and JSON).
    await refused('data plane', await fetch(`${s.url}/data/v1/files/sur%ED%A0%80.txt`, { headers: AUTH }));
    const connect = (body: Uint8Array, type: string): Promise<Response> =>
      fetch(`${s.url}/dcs.v1.OrchestratorService/BeginChunkedUpload`, { method: 'POST', headers: { ...AUTH, 'content-type': type }, body });
    // field 1 (name), length-delimited: "sur" + ED A0 80 + ".txt"
    const name = Buffer.concat([Buffer.from('sur'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('.txt')]);
    const rpcRefused = async (what: string, res: Response): Promise<void> => {
      const body = (await res.json()) as { code: string; message: string };
      assert.equal(body.code, 'invalid_argument', `${what}: ${JSON.stringify(body)}`);
      assert.match(body.message, NOT_UTF8, what);
    };
    await rpcRefused('Connect binary', await connect(Buffer.concat([Buffer.from([0x0a, name.length]), name]), 'application/proto'));
    await rpcRefused('Connect JSON', await connect(Buffer.concat([Buffer.from('{"name": "'), name, Buffer.from('"}')]), 'application/json'));
    await rpcRefused('Connect JSON escape', await connect(Buffer.from('{"name": "sur\\ud800.txt"}'), 'application/json'));
    const listed = await json<{ files: { name: string }[] }>(await fetch(`${s.url}/api/v1/files?limit=1000`, { headers: AUTH }));
    assert.equal(listed.files.filter((f) => f.name.startsWith('sur') || f.name.includes('\ufffd')).length, 0, 'nothing stored under a changed name');
  });

  it('lists with folders, a search filter and pagination that visits every entry once', async () => {
    const names = ['tree/a/1', 'tree/a/2', 'tree/b', 'tree/c/x/y', 'tree/d', 'tree/e/z', 'tree/f'];
    for (const n of names) await put(s, n, new Uint8Array([1]));
    const page = async (q: string): Promise<{ files: { name: string; ratio: number }[]; folders: string[]; next?: string }> =>
      json(await fetch(`${s.url}/api/v1/files?${q}`, { headers: AUTH }));
    const top = await page('prefix=tree/&delimiter=/');
    assert.deepEqual(top.folders, ['tree/a/', 'tree/c/', 'tree/e/']);
    assert.deepEqual(top.files.map((f) => f.name), ['tree/b', 'tree/d', 'tree/f']);
    assert.equal(top.next, undefined);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 20; i++) {
      const p = await page(`prefix=tree/&delimiter=/&limit=2${cursor === undefined ? '' : `&after=${enc(cursor)}`}`);
      seen.push(...p.folders, ...p.files.map((f) => f.name));
      if (p.next === undefined) break;
      cursor = p.next;
    }
    assert.deepEqual(seen.sort(), ['tree/a/', 'tree/b', 'tree/c/', 'tree/d', 'tree/e/', 'tree/f']);
    const flat = await page('prefix=tree/a/');
    assert.deepEqual(flat.files.map((f) => f.name), ['tree/a/1', 'tree/a/2']);
    const search = await page('prefix=tree/&delimiter=/&q=Y');
    assert.deepEqual(search.files.map((f) => f.name), ['tree/c/x/y'], 'a search lists matches flat, case-insensitively');
    assert.equal((await fetch(`${s.url}/api/v1/files?limit=0`, { headers: AUTH })).status, 400);
  });

  it('resumable upload: parts in any order, a part sent again, a gap refused, then the exact bytes', async () => {
    const data = textBytes(3 * PART + 1234, 11);
    const begin = await fetch(`${s.url}/api/v1/uploads`, { method: 'POST', headers: AUTH, body: JSON.stringify({ name: 'big/resumed.txt', codec: 'gzip' }) });
    assert.equal(begin.status, 201);
    const u = await json<{ id: string; partSize: number; parts: unknown[] }>(begin);
    assert.equal(u.partSize, PART);
    assert.deepEqual(u.parts, []);
    const partUrl = (n: number): string => `${s.url}/api/v1/uploads/${u.id}/parts/${n}`;
    const slice = (n: number): Uint8Array => data.subarray((n - 1) * PART, n * PART);
    for (const n of [4, 2]) assert.equal((await fetch(partUrl(n), { method: 'PUT', headers: AUTH, body: slice(n) })).status, 200);
    // A part cut off mid-body is not stored.
    await abortedRequest(`${partUrl(1)}`, slice(1));
    const state = await json<{ parts: { part: number; size: number }[] }>(await fetch(`${s.url}/api/v1/uploads/${u.id}`, { headers: AUTH }));
    assert.deepEqual(state.parts.map((p) => p.part), [2, 4]);
    const gap = await fetch(`${s.url}/api/v1/uploads/${u.id}/complete`, { method: 'POST', headers: AUTH, body: JSON.stringify({ size: data.length }) });
    assert.equal(gap.status, 409);
    assert.match((await errorOf(gap)).message, /part 1 is missing/);
    for (const n of [1, 3, 3]) assert.equal((await fetch(partUrl(n), { method: 'PUT', headers: AUTH, body: slice(n) })).status, 200);
    const wrongSize = await fetch(`${s.url}/api/v1/uploads/${u.id}/complete`, { method: 'POST', headers: AUTH, body: JSON.stringify({ size: 1 }) });
    assert.equal(wrongSize.status, 409);
    const done = await fetch(`${s.url}/api/v1/uploads/${u.id}/complete`, { method: 'POST', headers: AUTH, body: JSON.stringify({ size: data.length }) });
    assert.equal(done.status, 201);
    const r = await json(done);
    assert.equal(r.size, data.length);
    assert.deepEqual(Object.keys(r.codecs as object), ['gzip']);
    const { bytes } = await getBytes(s, `/api/v1/files/${enc('big/resumed.txt')}`);
    assert.ok(bytes.equals(Buffer.from(data)));
    assert.equal((await fetch(`${s.url}/api/v1/uploads/${u.id}`, { headers: AUTH })).status, 404, 'completed uploads are gone');
    // A completion must say what it completes; one with no complete part is refused and nothing appears.
    const zero = await json<{ id: string }>(await fetch(`${s.url}/api/v1/uploads`, { method: 'POST', headers: AUTH, body: JSON.stringify({ name: 'zero-parts' }) }));
    const complete = (body: unknown): Promise<Response> => fetch(`${s.url}/api/v1/uploads/${zero.id}/complete`, { method: 'POST', headers: AUTH, body: JSON.stringify(body) });
    const unnamed = await complete({});
    assert.equal(unnamed.status, 400);
    assert.match((await errorOf(unnamed)).message, /name what the completion completes/);
    for (const body of [{ size: 0 }, { parts: [] }]) {
      const refused = await complete(body);
      assert.equal(refused.status, 409, JSON.stringify(body));
      assert.match((await errorOf(refused)).message, /no part was uploaded completely/);
    }
    await abortedRequest(`${s.url}/api/v1/uploads/${zero.id}/parts/1`, slice(1));
    const cut = await complete({ size: PART });
    assert.equal(cut.status, 409, 'the only part was cut off mid-body');
    const named = await complete({ parts: [{ part: 1 }] });
    assert.equal(named.status, 409);
    assert.match((await errorOf(named)).message, /no part was uploaded completely/);
    assert.equal((await fetch(`${s.url}/api/v1/files/zero-parts`, { headers: AUTH })).status, 404, 'nothing became visible');
    assert.equal((await fetch(`${s.url}/api/v1/uploads/${zero.id}/parts/1`, { method: 'PUT', headers: AUTH, body: slice(1) })).status, 200, 'the upload stays usable');
    assert.equal((await complete({ parts: [{ part: 1, size: PART }] })).status, 201);
    // Too large a part, an unknown upload, a bad part number.
    const other = await json<{ id: string }>(await fetch(`${s.url}/api/v1/uploads`, { method: 'POST', headers: AUTH, body: JSON.stringify({ name: 'aborted' }) }));
    assert.equal((await fetch(`${s.url}/api/v1/uploads/${other.id}/parts/1`, { method: 'PUT', headers: AUTH, body: new Uint8Array(4 * PART + 1) })).status, 413);
    assert.equal((await fetch(`${s.url}/api/v1/uploads/${other.id}/parts/0`, { method: 'PUT', headers: AUTH, body: 'x' })).status, 400);
    assert.equal((await fetch(`${s.url}/api/v1/uploads/${other.id}`, { method: 'DELETE', headers: AUTH })).status, 204);
    assert.equal((await fetch(`${s.url}/api/v1/uploads/${other.id}/parts/1`, { method: 'PUT', headers: AUTH, body: 'x' })).status, 404);
    assert.equal((await fetch(`${s.url}/api/v1/files/aborted`, { headers: AUTH })).status, 404);
    const bad = await fetch(`${s.url}/api/v1/uploads`, { method: 'POST', headers: AUTH, body: JSON.stringify({ name: 'x', codec: 'rar' }) });
    assert.equal(bad.status, 400);
  });

  it('renames files, moves folders and restores an older version in metadata only: no chunk is written', async () => {
    const v1 = textBytes(300_000, 31);
    const v2 = textBytes(300_000, 32);
    assert.equal((await put(s, 'mv/a.txt', v1)).status, 201);
    assert.equal((await put(s, 'mv/a.txt', v2)).status, 201);
    assert.equal((await put(s, 'mv/deep/b.txt', v1)).status, 201);
    const post = (path: string, body: unknown): Promise<Response> => fetch(`${s.url}${path}`, { method: 'POST', headers: AUTH, body: JSON.stringify(body) });
    const objects = async (): Promise<number> => (await json<{ chunks: number }>(await fetch(`${s.url}/api/v1/stats`, { headers: AUTH }))).chunks;
    const chunksBefore = await objects();
    assert.ok(chunksBefore > 0);
    const renamed = await post('/api/v1/rename', { from: 'mv/a.txt', to: 'mv/renamed.txt' });
    assert.equal(renamed.status, 200);
    assert.deepEqual(await json(renamed), { moved: 1 });
    assert.equal((await fetch(`${s.url}/api/v1/files/${enc('mv/a.txt')}`, { headers: AUTH })).status, 404);
    assert.ok((await getBytes(s, `/api/v1/files/${enc('mv/renamed.txt')}`)).bytes.equals(Buffer.from(v2)));
    assert.ok((await getBytes(s, `/api/v1/files/${enc('mv/renamed.txt')}?version=1`)).bytes.equals(Buffer.from(v1)), 'versions move with the name');
    const moved = await post('/api/v1/rename', { from: 'mv/', to: 'moved/here/' });
    assert.deepEqual(await json(moved), { moved: 2 });
    const listed = await json<{ files: { name: string }[] }>(await fetch(`${s.url}/api/v1/files?prefix=moved%2F&limit=100`, { headers: AUTH }));
    assert.deepEqual(listed.files.map((f) => f.name), ['moved/here/deep/b.txt', 'moved/here/renamed.txt']);
    assert.equal(await objects(), chunksBefore, 'renames write no chunk');
    const clash = await post('/api/v1/rename', { from: 'moved/here/deep/b.txt', to: 'moved/here/renamed.txt' });
    assert.equal(clash.status, 409);
    assert.equal((await errorOf(clash)).code, 'FILE_EXISTS');
    assert.equal((await post('/api/v1/rename', { from: 'nope', to: 'x' })).status, 404);
    assert.equal((await post('/api/v1/rename', { from: 'moved/', to: 'moved/inside/' })).status, 400);
    assert.equal((await post('/api/v1/rename', { from: 'moved/here/renamed.txt' })).status, 400);
    // Restore: version 1 becomes version 3, byte for byte, with no new chunk.
    const restored = await post('/api/v1/restore', { name: 'moved/here/renamed.txt', version: 1 });
    assert.equal(restored.status, 201);
    const r = await json<{ version: number; size: number; newChunks: number }>(restored);
    assert.equal(r.version, 3);
    assert.equal(r.size, v1.length);
    assert.ok((await getBytes(s, `/api/v1/files/${enc('moved/here/renamed.txt')}`)).bytes.equals(Buffer.from(v1)));
    assert.equal(await objects(), chunksBefore, 'a restore writes no chunk');
    assert.equal((await post('/api/v1/restore', { name: 'moved/here/renamed.txt', version: 7 })).status, 404);
  });

  it('share links download without a token until they expire, run out or are revoked; a guessed or altered link gets nothing', async () => {
    const v1 = textBytes(200_000, 41);
    const v2 = textBytes(100_000, 42);
    assert.equal((await put(s, 'share/report.pdf', v1)).status, 201);
    const create = async (body: Record<string, unknown>): Promise<{ id: string; path: string; ref: string; status: number }> => {
      const res = await fetch(`${s.url}/api/v1/shares`, { method: 'POST', headers: AUTH, body: JSON.stringify(body) });
      return { ...(res.status === 201 ? await json<{ id: string; path: string; ref: string }>(res) : { id: '', path: '', ref: '' }), status: res.status };
    };
    const pinned = await create({ name: 'share/report.pdf', version: 1, maxDownloads: 2 });
    assert.equal(pinned.status, 201);
    assert.match(pinned.path, /^\/s\/[A-Za-z0-9_-]{43}$/);
    const latest = await create({ name: 'share/report.pdf', expiresInSeconds: 2 });
    assert.equal((await put(s, 'share/report.pdf', v2)).status, 201);
    // No token, no cookie: the link is the credential.
    const got = await fetch(`${s.url}${pinned.path}`);
    assert.equal(got.status, 200);
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(v1)), 'pinned to version 1');
    assert.match(got.headers.get('content-disposition') ?? '', /attachment/);
    assert.equal(got.headers.get('content-security-policy'), "default-src 'none'; sandbox");
    assert.equal(got.headers.get('referrer-policy'), 'no-referrer');
    assert.ok(Buffer.from(await (await fetch(`${s.url}${latest.path}`)).arrayBuffer()).equals(Buffer.from(v2)), 'unpinned: the latest version');
    assert.equal((await fetch(`${s.url}${pinned.path}`, { method: 'HEAD' })).status, 200, 'HEAD does not count');
    assert.equal((await fetch(`${s.url}${pinned.path}`, { headers: { range: 'bytes=100-199' } })).status, 206, 'a range further in does not count');
    assert.equal((await fetch(`${s.url}${pinned.path}`)).status, 200, 'second download');
    const used = await fetch(`${s.url}${pinned.path}`);
    assert.equal(used.status, 410, 'two downloads allowed');
    assert.match((await errorOf(used)).message, /expired, been used up or been revoked/);
    const listed = await json<{ links: { ref: string; downloads: number; maxDownloads?: number }[] }>(await fetch(`${s.url}/api/v1/shares?name=${enc('share/report.pdf')}`, { headers: AUTH }));
    assert.deepEqual(listed.links.map((l) => l.ref).sort(), [pinned.ref, latest.ref].sort());
    assert.equal(listed.links.find((l) => l.ref === pinned.ref)!.downloads, 2);
    assert.equal(JSON.stringify(listed).includes(pinned.id), false, 'the secret id is never listed');
    // Forged, altered and revoked links.
    assert.equal((await fetch(`${s.url}/s/${'A'.repeat(43)}`)).status, 410);
    assert.equal((await fetch(`${s.url}/s/${pinned.id.slice(0, -1)}x`)).status, 410);
    assert.equal((await fetch(`${s.url}/s/..%2F..%2Fapi%2Fv1%2Ffiles`)).status, 410);
    const third = await create({ name: 'share/report.pdf' });
    assert.equal((await fetch(`${s.url}/api/v1/shares/${third.ref}`, { method: 'DELETE', headers: AUTH })).status, 204);
    assert.equal((await fetch(`${s.url}${third.path}`)).status, 410, 'revoked');
    assert.equal((await fetch(`${s.url}/api/v1/shares/${third.ref}`, { method: 'DELETE', headers: AUTH })).status, 404);
    // Managing links needs the token; a link to nothing is refused.
    assert.equal((await fetch(`${s.url}/api/v1/shares`, { method: 'POST', body: JSON.stringify({ name: 'share/report.pdf' }) })).status, 401);
    assert.equal((await fetch(`${s.url}/api/v1/shares`)).status, 401);
    assert.equal((await create({ name: 'share/none' })).status, 404);
    assert.equal((await create({ name: 'share/report.pdf', version: 9 })).status, 404);
    assert.equal((await create({ name: 'share/report.pdf', maxDownloads: 0 })).status, 400);
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal((await fetch(`${s.url}${latest.path}`)).status, 410, 'expired');
  });

  it('bulk: a streamed ZIP of files and folders (hostile names defused), and one delete for a selection', async () => {
    const files: Record<string, Uint8Array> = { 'bulk/a.txt': textBytes(150_000, 51), 'bulk/sub/b.bin': randomBytes(90_000, 52), 'bulk/sub/deeper/c.txt': textBytes(10, 53), '../../escape.txt': textBytes(20, 54), 'bulk-other.txt': textBytes(30, 55) };
    for (const [name, data] of Object.entries(files)) assert.equal((await put(s, name, data)).status, 201, name);
    const q = `name=${enc('bulk/a.txt')}&name=${enc('../../escape.txt')}&prefix=${enc('bulk/sub/')}&base=${enc('bulk/')}`;
    const res = await fetch(`${s.url}/api/v1/archive?${q}`, { headers: AUTH });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/zip');
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="dcs-\d{4}-\d\d-\d\d\.zip"$/);
    const zip = Buffer.from(await res.arrayBuffer());
    assert.equal(Number(res.headers.get('content-length')), zip.length, 'the length was known before the first byte');
    const entries = await unzip(zip);
    assert.deepEqual([...entries.keys()].sort(), ['__/__/escape.txt', 'a.txt', 'sub/b.bin', 'sub/deeper/c.txt']);
    assert.ok(entries.get('a.txt')!.equals(Buffer.from(files['bulk/a.txt']!)));
    assert.ok(entries.get('sub/b.bin')!.equals(Buffer.from(files['bulk/sub/b.bin']!)));
    assert.ok(entries.get('__/__/escape.txt')!.equals(Buffer.from(files['../../escape.txt']!)));
    // A cookie session may download it (plain links); nothing selected or a missing file is refused first.
    assert.equal((await fetch(`${s.url}/api/v1/archive`, { headers: AUTH })).status, 400);
    assert.equal((await fetch(`${s.url}/api/v1/archive?name=nothing`, { headers: AUTH })).status, 404);
    assert.equal((await fetch(`${s.url}/api/v1/archive?prefix=no-slash`, { headers: AUTH })).status, 400);
    assert.equal((await fetch(`${s.url}/api/v1/archive?name=${enc('bulk/a.txt')}`)).status, 401);
    // Bulk delete: a file, a folder (not the look-alike "bulk-other.txt"), and a name already gone.
    const del = await fetch(`${s.url}/api/v1/delete`, { method: 'POST', headers: AUTH, body: JSON.stringify({ names: ['../../escape.txt', 'gone.txt'], prefixes: ['bulk/'] }) });
    assert.equal(del.status, 200);
    assert.deepEqual(await json(del), { files: 4, versions: 4 });
    const left = await json<{ files: { name: string }[] }>(await fetch(`${s.url}/api/v1/files?prefix=bulk&limit=100`, { headers: AUTH }));
    assert.deepEqual(left.files.map((f) => f.name), ['bulk-other.txt']);
    assert.equal((await fetch(`${s.url}/api/v1/delete`, { method: 'POST', headers: AUTH, body: '{}' })).status, 400);
    assert.equal((await fetch(`${s.url}/api/v1/delete`, { method: 'POST', headers: { cookie: 'dcs_session=x' }, body: JSON.stringify({ names: ['bulk-other.txt'] }) })).status, 401);
  });

  it('an archive whose file cannot be read after the headers went out ends in a cut connection, not a silently short ZIP', async () => {
    assert.equal((await put(s, 'cut/ok.txt', textBytes(50_000, 61))).status, 201);
    assert.equal((await put(s, 'cut/lost.bin', randomBytes(80_000, 62))).status, 201);
    const st = await json<{ chunks: { id: string }[] }>(await fetch(`${s.url}/api/v1/stat/${enc('cut/lost.bin')}`, { headers: AUTH }));
    for (const c of st.chunks) await rm(join(s.dir, 'repo', 'data', 'chunks', c.id.slice(0, 2), c.id));
    const res = await fetch(`${s.url}/api/v1/archive?prefix=${enc('cut/')}`, { headers: AUTH });
    assert.equal(res.status, 200);
    await assert.rejects(res.arrayBuffer(), 'the body is cut off');
  });

  it('previews: allowlisted types inline with a sandboxed CSP and ranges; markup as text; others refused', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a0a9d39b0000000049454e44ae426082', 'hex');
    assert.equal((await put(s, 'pv/dot.png', png)).status, 201);
    assert.equal((await put(s, 'pv/page.html', Buffer.from('<script>alert(1)</script>'))).status, 201);
    assert.equal((await put(s, 'pv/doc.pdf', Buffer.from('%PDF-1.4 tiny'))).status, 201);
    assert.equal((await put(s, 'pv/blob.exe', Buffer.from('MZ'))).status, 201);
    const image = await fetch(`${s.url}/api/v1/files/${enc('pv/dot.png')}?inline=1`, { headers: AUTH });
    assert.equal(image.headers.get('content-type'), 'image/png');
    assert.match(image.headers.get('content-disposition') ?? '', /^inline; filename="dot.png"/);
    assert.match(image.headers.get('content-security-policy') ?? '', /sandbox/);
    assert.equal(image.headers.get('x-content-type-options'), 'nosniff');
    assert.ok(Buffer.from(await image.arrayBuffer()).equals(png));
    const html = await fetch(`${s.url}/api/v1/file?name=${enc('pv/page.html')}&inline=1`, { headers: AUTH });
    assert.equal(html.headers.get('content-type'), 'text/plain; charset=utf-8', 'markup is shown as text, never rendered');
    assert.match(html.headers.get('content-security-policy') ?? '', /sandbox/);
    const part = await fetch(`${s.url}/api/v1/files/${enc('pv/page.html')}?inline=1`, { headers: { ...AUTH, range: 'bytes=0-7' } });
    assert.equal(part.status, 206);
    assert.equal(await part.text(), '<script>');
    const pdf = await fetch(`${s.url}/api/v1/files/${enc('pv/doc.pdf')}?inline=1`, { headers: AUTH });
    assert.equal(pdf.headers.get('content-type'), 'application/pdf');
    assert.equal(pdf.headers.get('content-security-policy'), "default-src 'none'; object-src 'self'");
    const exe = await fetch(`${s.url}/api/v1/files/${enc('pv/blob.exe')}?inline=1`, { headers: AUTH });
    assert.equal(exe.status, 415);
    assert.equal((await errorOf(exe)).code, 'NOT_PREVIEWABLE');
    const plain = await fetch(`${s.url}/api/v1/files/${enc('pv/dot.png')}`, { headers: AUTH });
    assert.equal(plain.headers.get('content-type'), 'application/octet-stream', 'without ?inline=1 it downloads as before');
    assert.match(plain.headers.get('content-disposition') ?? '', /^attachment/);
  });

  it('stat shows versions, the chunk map with copies and their health, dedup and access counts', async () => {
    const data = textBytes(400_000, 21);
    await put(s, 'stat/one', data, '?codec=zstd');
    await put(s, 'stat/two', data, '?codec=zstd');
    await getBytes(s, '/api/v1/files/stat%2Fone');
    const st = await json<Record<string, unknown> & { chunks: { offset: number; length: number; codec: string; refcount: number; copies: { backend: string; state: string; up: boolean }[] }[]; access: { downloads: number; bytesOut: number } }>(
      await fetch(`${s.url}/api/v1/stat/${enc('stat/one')}`, { headers: AUTH }),
    );
    assert.equal(st.size, data.length);
    assert.equal(st.health, 'healthy');
    assert.equal((st.versions as unknown[]).length, 1);
    let offset = 0;
    for (const c of st.chunks) {
      assert.equal(c.offset, offset);
      offset += c.length;
      assert.equal(c.codec, 'zstd');
      assert.equal(c.refcount, 2, 'the second file deduplicated every chunk');
      assert.deepEqual(c.copies.map((k) => [k.backend, k.state, k.up]), [['local', 'ok', true]]);
    }
    assert.equal(offset, data.length);
    assert.equal(st.sharedChunks, st.uniqueChunks);
    assert.equal(st.access.downloads, 1);
    assert.equal(st.access.bytesOut, data.length);
    const truncated = await json(await fetch(`${s.url}/api/v1/stat/${enc('stat/one')}?chunkLimit=1`, { headers: AUTH }));
    assert.equal((truncated.chunks as unknown[]).length, 1);
    assert.equal(truncated.chunksTruncated, true);
    assert.equal((await fetch(`${s.url}/api/v1/stat/missing`, { headers: AUTH })).status, 404);
  });

  it('deletes a version or a file; stats, history, top files and /metrics count uploads and downloads', async () => {
    await put(s, 'del/me', new Uint8Array(1000));
    await put(s, 'del/me', new Uint8Array(2000));
    for (let i = 0; i < 12; i++) await getBytes(s, '/api/v1/files/del%2Fme');
    const top = await json<{ files: { name: string; downloads: number }[] }>(await fetch(`${s.url}/api/v1/stats/top?limit=100`, { headers: AUTH }));
    assert.equal(top.files[0]!.name, 'del/me', 'the most downloaded file comes first');
    assert.equal(top.files[0]!.downloads, 12);
    const one = await fetch(`${s.url}/api/v1/files/del%2Fme?version=1`, { method: 'DELETE', headers: AUTH });
    assert.deepEqual(await json(one), { removed: 1 });
    assert.equal((await getBytes(s, '/api/v1/files/del%2Fme')).bytes.length, 2000);
    assert.deepEqual(await json(await fetch(`${s.url}/api/v1/files/del%2Fme`, { method: 'DELETE', headers: AUTH })), { removed: 1 });
    assert.equal((await fetch(`${s.url}/api/v1/files/del%2Fme`, { headers: AUTH })).status, 404);
    const missing = await fetch(`${s.url}/api/v1/files/del%2Fme`, { method: 'DELETE', headers: AUTH });
    assert.equal(missing.status, 404);
    assert.equal((await errorOf(missing)).code, 'FILE_NOT_FOUND');
    const top2 = await json<{ files: { name: string }[] }>(await fetch(`${s.url}/api/v1/stats/top?limit=100`, { headers: AUTH }));
    assert.equal(top2.files.some((f) => f.name === 'del/me'), false, 'deleted files leave the top list');

    const st = await json<Record<string, number> & { usage: Record<string, number>; perBackend: { backend: string; up: boolean }[] }>(await fetch(`${s.url}/api/v1/stats`, { headers: AUTH }));
    assert.ok(st.usage.uploads! >= 2 && st.usage.downloads! >= 3 && st.usage.bytesIn! >= 3000 && st.usage.bytesOut! >= 6000);
    assert.deepEqual(st.perBackend.map((b) => [b.backend, b.up]), [['local', true]]);
    assert.ok(st.logicalBytes! >= st.uniqueBytes! && st.dedupRatio! >= 1);
    // The sampler runs after writes; wait for a sample that includes this test's state.
    let samples: { files: number }[] = [];
    for (let i = 0; i < 50 && !samples.some((x) => x.files === st.files); i++) {
      await new Promise((r) => setTimeout(r, 100));
      samples = (await json<{ samples: { files: number }[] }>(await fetch(`${s.url}/api/v1/stats/history`, { headers: AUTH }))).samples;
    }
    assert.ok(samples.length >= 2, 'a sample at start and after writes');
    assert.ok(samples.some((x) => x.files === st.files));
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^dcs_uploads_total\\{[^}]*\\} ${st.usage.uploads}$`, 'm'));
    assert.match(metrics, /^dcs_downloads_total\{[^}]*\} \d+$/m);
    assert.match(metrics, /^dcs_repository_bytes\{kind="stored"[^}]*\} \d+$/m);
    assert.match(metrics, /^dcs_http_requests_total\{route="get",method="GET",status="200"/m);
  });

  it('an upload cut off mid-body leaves no version, and unknown routes answer JSON 404/405', async () => {
    await abortedRequest(`${s.url}/api/v1/files/cut-off`, randomBytes(2 * 1024 * 1024, 3), 'PUT');
    assert.equal((await fetch(`${s.url}/api/v1/files/cut-off`, { headers: AUTH })).status, 404);
    const nothing = await fetch(`${s.url}/api/v1/nothing`, { headers: AUTH });
    assert.equal(nothing.status, 404);
    assert.equal((await errorOf(nothing)).code, 'NOT_FOUND');
    const wrongMethod = await fetch(`${s.url}/api/v1/stats`, { method: 'POST', headers: AUTH });
    assert.equal(wrongMethod.status, 405);
    const bigJson = await fetch(`${s.url}/api/v1/uploads`, { method: 'POST', headers: AUTH, body: JSON.stringify({ name: 'x'.repeat(70_000) }) });
    assert.equal(bigJson.status, 413);
    const notJson = await fetch(`${s.url}/api/v1/uploads`, { method: 'POST', headers: AUTH, body: '{nope' });
    assert.equal(notJson.status, 400);
  });
});

/** Send the headers and half of the body, then drop the connection. */
async function abortedRequest(url: string, body: Uint8Array, method = 'PUT'): Promise<void> {
  await new Promise<void>((resolve) => {
    const req = http.request(url, { method, headers: { ...AUTH, 'content-length': body.length } });
    req.on('error', () => resolve());
    req.write(body.subarray(0, body.length >> 1), () => setTimeout(() => req.destroy(), 100));
    req.on('close', () => resolve());
  });
  // Let the server notice and clean up.
  await new Promise((r) => setTimeout(r, 300));
}

describe('HTTP API limits and open mode', () => {
  it('sessions are server-side: a replayed cookie fails after sign-out, after expiry and after the token changes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dcs-sessions-'));
    const repoDir = join(dir, 'repo');
    await initRepository(repoDir, { chunking: SMALL_CHUNKS });
    const start = async (token: string, sessionTtlMs?: number): Promise<RunningNode> =>
      startNode({ role: 'all', host: '127.0.0.1', port: 0, token, repoDir, openOptions: { workers: 0 }, http: { statsIntervalMs: 0, ...(sessionTtlMs ? { sessionTtlMs } : {}) }, log: pino({ level: 'silent' }) });
    const signIn = async (url: string, token: string): Promise<string> => {
      const res = await fetch(`${url}/api/v1/session`, { method: 'POST', body: JSON.stringify({ token }) });
      assert.equal(res.status, 204);
      return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    };
    const reads = async (url: string, cookie: string): Promise<number> => (await fetch(`${url}/api/v1/files`, { headers: { cookie } })).status;
    let node = await start('token-one');
    try {
      const a = await signIn(node.url, 'token-one');
      const b = await signIn(node.url, 'token-one');
      assert.notEqual(a, b, 'every sign-in gets its own random session');
      assert.equal(await reads(node.url, a), 200);
      const out = await fetch(`${node.url}/api/v1/session`, { method: 'DELETE', headers: { cookie: a } });
      assert.equal(out.status, 204);
      assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
      assert.equal(await reads(node.url, a), 401, 'the copied cookie is dead after sign-out');
      const ended = await fetch(`${node.url}/api/v1/files`, { headers: { cookie: a } });
      assert.match((await errorOf(ended)).message, /session ended/);
      assert.equal(await reads(node.url, b), 200, 'other sessions go on');
      assert.equal(await reads(node.url, 'dcs_session=forged'), 401);
      // A restart keeps sessions (they are in metadata); a new token ends all of the old one's.
      await node.close(1000);
      node = await start('token-one');
      assert.equal(await reads(node.url, b), 200, 'sessions survive a restart');
      await node.close(1000);
      node = await start('token-two');
      assert.equal(await reads(node.url, b), 401, 'a token change revokes every session');
      await node.close(1000);
      node = await start('token-two', 1000);
      const short = await signIn(node.url, 'token-two');
      assert.match(short, /^dcs_session=/);
      assert.equal(await reads(node.url, short), 200);
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal(await reads(node.url, short), 401, 'an expired session is refused');
    } finally {
      await node.close(1000);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a client that goes away mid-upload or mid-download is a client abort (499, logged at info), not a server error', async () => {
    const lines: { level: number; msg: string }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) });
    const s = await startServer({ log });
    try {
      await abortedRequest(`${s.url}/api/v1/files/cut-off`, randomBytes(2 * 1024 * 1024, 3), 'PUT');
      assert.equal((await put(s, 'big', randomBytes(4 * 1024 * 1024, 4))).status, 201);
      // A reader that takes the first bytes and hangs up.
      await new Promise<void>((resolve) => {
        const req = http.get(`${s.url}/api/v1/files/big`, { headers: AUTH }, (res) => res.once('data', () => req.destroy()));
        req.on('close', () => resolve());
      });
      await new Promise((r) => setTimeout(r, 300));
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      assert.match(metrics, /^dcs_http_requests_total\{route="put",method="PUT",status="499"[^}]*\} 1$/m);
      assert.match(metrics, /^dcs_http_requests_total\{route="get",method="GET",status="499"[^}]*\} 1$/m);
      assert.doesNotMatch(metrics, /^dcs_http_requests_total\{[^}]*status="5\d\d"/m);
      assert.ok(lines.some((l) => l.level === 30 && /client closed/.test(l.msg)), 'logged at info');
      assert.deepEqual(lines.filter((l) => l.level >= 40).map((l) => l.msg), [], 'no warning or error logged');
      assert.equal((await fetch(`${s.url}/api/v1/files/cut-off`, { headers: AUTH })).status, 404, 'the cut-off upload stored nothing');
    } finally {
      await stop(s);
    }
  });

  it('refuses a streamed upload over --max-upload with 413 and stores nothing', async () => {
    const s = await startServer({ maxUpload: 100_000 });
    try {
      const res = await put(s, 'too-big', randomBytes(200_000, 2));
      assert.equal(res.status, 413);
      assert.match((await errorOf(res)).message, /100000 bytes/);
      assert.equal((await fetch(`${s.url}/api/v1/files/too-big`, { headers: AUTH })).status, 404);
      // Without Content-Length (chunked), the limit holds as the bytes arrive.
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 4; i++) c.enqueue(randomBytes(50_000, i));
          c.close();
        },
      });
      const chunked = await fetch(`${s.url}/api/v1/files/too-big`, { method: 'PUT', headers: AUTH, body: stream, duplex: 'half' } as RequestInit);
      assert.equal(chunked.status, 413);
      assert.equal((await fetch(`${s.url}/api/v1/files/too-big`, { headers: AUTH })).status, 404);
      assert.equal((await put(s, 'small-enough', randomBytes(90_000, 2))).status, 201);
    } finally {
      await stop(s);
    }
  });

  it('a dead backend: stats shows it down with the reason, uploads fail with 503 and store nothing, files still on the other copy read fine', async () => {
    const s = await startServer({ backends: (dir) => [`a=fs:${join(dir, 'disk-a')}`, `b=fs:${join(dir, 'disk-b')}`] });
    try {
      const data = textBytes(200_000, 8);
      assert.equal((await put(s, 'before', data)).status, 201);
      // The disk goes away and something else takes its place.
      await rm(join(s.dir, 'disk-a'), { recursive: true, force: true });
      await writeFile(join(s.dir, 'disk-a'), 'not a directory');
      await new Promise((r) => setTimeout(r, 5100)); // the probe result is cached for 5 s
      const st = await json<{ perBackend: { backend: string; up: boolean; error?: string }[] }>(await fetch(`${s.url}/api/v1/stats`, { headers: AUTH }));
      const a = st.perBackend.find((b) => b.backend === 'a')!;
      assert.equal(a.up, false);
      assert.ok(a.error && !a.error.includes('\n'), 'a one-line reason');
      assert.equal(st.perBackend.find((b) => b.backend === 'b')!.up, true);
      const failed = await put(s, 'after', randomBytes(100_000, 1));
      assert.equal(failed.status, 503);
      const e = await errorOf(failed);
      assert.match(e.message, /\ba\b/, 'names the backend');
      assert.equal((await fetch(`${s.url}/api/v1/files/after`, { headers: AUTH })).status, 404, 'no version of the failed upload');
      const { res, bytes } = await getBytes(s, '/api/v1/files/before');
      assert.equal(res.status, 200);
      assert.ok(bytes.equals(Buffer.from(data)));
    } finally {
      await stop(s);
    }
  });

  it('over TLS a browser speaks HTTP/2: upload, ranged download and a Secure session cookie work there too', async () => {
    const pkiDir = await mkdtemp(join(tmpdir(), 'dcs-http-tls-'));
    const pki = makeTestPki(pkiDir);
    const s = await startServer({ tls: { cert: pki.serverCert, key: pki.serverKey } });
    const client = http2.connect(s.url, { ca: readFileSync(pki.ca) });
    const request = (headers: http2.OutgoingHttpHeaders, body?: Uint8Array): Promise<{ headers: http2.IncomingHttpHeaders; body: Buffer }> =>
      new Promise((resolve, reject) => {
        const req = client.request(headers);
        const parts: Buffer[] = [];
        let head: http2.IncomingHttpHeaders = {};
        req.on('response', (h) => (head = h));
        req.on('data', (d: Buffer) => parts.push(d));
        req.on('end', () => resolve({ headers: head, body: Buffer.concat(parts) }));
        req.on('error', reject);
        req.end(body);
      });
    try {
      const data = textBytes(700_000, 12);
      const uploaded = await request({ ':method': 'PUT', ':path': '/api/v1/files/h2%2Ffile.txt?codec=zstd', ...AUTH }, data);
      assert.equal(uploaded.headers[':status'], 201);
      const whole = await request({ ':path': '/api/v1/files/h2%2Ffile.txt', ...AUTH });
      assert.ok(whole.body.equals(Buffer.from(data)));
      const part = await request({ ':path': '/api/v1/files/h2%2Ffile.txt', range: 'bytes=1000-1999', ...AUTH });
      assert.equal(part.headers[':status'], 206);
      assert.ok(part.body.equals(Buffer.from(data.subarray(1000, 2000))));
      const login = await request({ ':method': 'POST', ':path': '/api/v1/session' }, Buffer.from(JSON.stringify({ token: TOKEN })));
      assert.match(String(login.headers['set-cookie']), /; Secure/);
      const tooBig = await request({ ':method': 'POST', ':path': '/api/v1/uploads', ...AUTH }, Buffer.from(JSON.stringify({ name: 'x'.repeat(70_000) })));
      assert.equal(tooBig.headers[':status'], 413);
    } finally {
      client.close();
      await stop(s);
      await rm(pkiDir, { recursive: true, force: true });
    }
  });

  it('serves without a token only when asked to run open, and says so in /api/v1/info', async () => {
    const s = await startServer({ open: true });
    try {
      const info = await json(await fetch(`${s.url}/api/v1/info`));
      assert.equal(info.auth, false);
      assert.ok((info.codecs as string[]).includes('auto'));
    } finally {
      await stop(s);
    }
  });

  it('serves the web UI: index.html for UI routes, cached hashed assets, nothing outside its directory', async () => {
    const web = await mkdtemp(join(tmpdir(), 'dcs-web-'));
    await mkdir(join(web, 'assets'));
    await writeFile(join(web, 'index.html'), '<!doctype html><title>dcs</title>');
    await writeFile(join(web, 'assets', 'app-1234.js'), 'console.log(1)');
    const s = await startServer({ webRoot: web });
    try {
      const index = await fetch(`${s.url}/`);
      assert.equal(index.status, 200);
      assert.match(index.headers.get('content-type')!, /text\/html/);
      assert.match(index.headers.get('content-security-policy')!, /default-src 'self'/);
      assert.equal(index.headers.get('cache-control'), 'no-cache');
      assert.equal(await (await fetch(`${s.url}/files/some/deep/route`)).text(), '<!doctype html><title>dcs</title>');
      const asset = await fetch(`${s.url}/assets/app-1234.js`);
      assert.match(asset.headers.get('content-type')!, /javascript/);
      assert.match(asset.headers.get('cache-control')!, /immutable/);
      assert.equal((await fetch(`${s.url}/assets/missing.js`)).status, 404);
      const escape = await rawGet(s.url, '/../../../../etc/passwd');
      assert.equal(escape.includes('root:'), false);
      const escaped = await rawGet(s.url, '/%2e%2e/%2e%2e/%2e%2e/etc/passwd');
      assert.equal(escaped.includes('root:'), false);
      assert.equal((await fetch(`${s.url}/api/v1/info`)).status, 401, 'the API behind the UI still needs the token');
    } finally {
      await stop(s);
      await rm(web, { recursive: true, force: true });
    }
  });
});

/** A GET with the path exactly as given (fetch would normalise the dot segments away). */
async function rawGet(base: string, path: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path, method: 'GET' }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve(Buffer.concat(parts).toString()));
    });
    req.on('error', reject);
    req.end();
  });
}
