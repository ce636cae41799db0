// One table of bad input, sent through every front end of the Repository API: the CLI on a local
// repository, the CLI with --server (over gRPC to an orchestrator), the HTTP API (streamed PUT and
// resumable uploads) and gRPC's OrchestratorService. Each must refuse it with the same kind of
// error (CLI exit 2, HTTP 4xx with the dcs code, gRPC INVALID_ARGUMENT with the dcs code) and the
// same one-line message, and store nothing. Where a protocol gives the value a meaning of its own
// (dcs.v1's 0 is "unset"; RFC 9110 ignores a malformed Range), the case says so and that front
// end must do exactly that instead.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { pino } from 'pino';
import { initRepository } from '../../src/repository/init-repository.ts';
import { startNode, type RunningNode } from '../../src/server/node.ts';
import { OrchestratorService, type UploadRequest } from '../../src/services/gen/dcs/v1/orchestrator_pb.js';
import { createTransport } from '../../src/services/transport.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { textBytes } from '../helpers/data.ts';
import { SMALL_CHUNKS } from '../helpers/engine.ts';

const TOKEN = 'bad-input-token';
const STORED = 'stored.txt';
const SIZE = 10_000;

type Request =
  | { op: 'put'; name: string; codec?: string; level?: number }
  | { op: 'stat'; name: string; version?: number }
  | { op: 'get'; name: string; range: { start: number; end: number } };

/** What a front end answered: the dcs error code where the protocol carries one, and the message. */
type Answer = Refusal | 'accepted';
interface Refusal {
  /** CLI exit code, HTTP status or gRPC code name. */
  status: string;
  code?: string;
  message: string;
}

interface Case {
  what: string;
  request: Request;
  code: 'USAGE' | 'UNKNOWN_CODEC' | 'RANGE_NOT_SATISFIABLE';
  message: string;
  /** Front ends whose protocol gives this input a documented meaning, so they accept it. */
  accepted?: ('HTTP' | 'gRPC')[];
}

const CASES: Case[] = [
  { what: 'an unknown codec', request: { op: 'put', name: 'a', codec: 'lzma' }, code: 'UNKNOWN_CODEC', message: 'unknown codec "lzma" (known: auto, none, gzip, zstd, brotli, snappy, lz4)' },
  { what: 'a level beyond the codec', request: { op: 'put', name: 'a', codec: 'zstd', level: 99 }, code: 'USAGE', message: 'compression level for zstd must be 1..19, got 99' },
  { what: 'a level for a codec without levels', request: { op: 'put', name: 'a', codec: 'snappy', level: 1 }, code: 'USAGE', message: 'codec snappy has no compression levels' },
  { what: 'auto with a level zstd refuses', request: { op: 'put', name: 'a', codec: 'auto', level: 25 }, code: 'USAGE', message: 'compression level for zstd must be 1..19, got 25' },
  { what: "a level the default codec refuses", request: { op: 'put', name: 'a', level: 30 }, code: 'USAGE', message: 'compression level for zstd must be 1..19, got 30' },
  { what: 'an empty name (put)', request: { op: 'put', name: '' }, code: 'USAGE', message: 'file name must not be empty' },
  { what: 'a name with NUL (put)', request: { op: 'put', name: 'a\0b' }, code: 'USAGE', message: 'file name must not contain NUL bytes' },
  { what: 'a name over 4096 bytes (put)', request: { op: 'put', name: 'é'.repeat(2049) }, code: 'USAGE', message: 'file name longer than 4096 bytes' },
  { what: 'an empty name (stat)', request: { op: 'stat', name: '' }, code: 'USAGE', message: 'file name must not be empty' },
  { what: 'a name with NUL (stat)', request: { op: 'stat', name: '\0' }, code: 'USAGE', message: 'file name must not contain NUL bytes' },
  {
    what: 'a range past the end',
    request: { op: 'get', name: STORED, range: { start: SIZE, end: SIZE + 99 } },
    code: 'RANGE_NOT_SATISFIABLE',
    message: `byte range ${SIZE}-${SIZE + 99} starts beyond the end of "${STORED}" (size ${SIZE})`,
  },
  { what: 'a negative level', request: { op: 'put', name: 'a', codec: 'zstd', level: -1 }, code: 'USAGE', message: 'compression level for zstd must be 1..19, got -1' },
  // dcs.v1 reads a level of 0 as "the codec's default" (docs/api.md).
  { what: 'level 0 for a codec that starts at 1', request: { op: 'put', name: 'level-0', codec: 'zstd', level: 0 }, code: 'USAGE', message: 'compression level for zstd must be 1..19, got 0', accepted: ['gRPC'] },
  // dcs.v1 reads a version of 0 as "the latest".
  { what: 'version 0', request: { op: 'stat', name: STORED, version: 0 }, code: 'USAGE', message: 'version must be a positive integer, got 0', accepted: ['gRPC'] },
  // RFC 9110 §14.2: a Range whose end is before its start is ignored; the whole file is sent.
  { what: 'a range that ends before it starts', request: { op: 'get', name: STORED, range: { start: 5, end: 3 } }, code: 'USAGE', message: 'invalid byte range 5-3', accepted: ['HTTP'] },
];

let dir: string;
let cleanup: () => Promise<void>;
let node: RunningNode;
const repo = (): string => join(dir, 'repo');

async function viaCli(r: Request, server?: string): Promise<Answer> {
  const where = server === undefined ? ['--repo', repo()] : ['--server', server];
  const encoding = r.op === 'put' ? [...(r.codec === undefined ? [] : ['--codec', r.codec]), ...(r.level === undefined ? [] : ['--level', String(r.level)])] : [];
  const argv =
    r.op === 'put'
      ? ['put', 'input.txt', '--name', r.name, ...encoding, '-q']
      : r.op === 'stat'
        ? ['stat', r.name, ...(r.version === undefined ? [] : ['--version', String(r.version)])]
        : ['get', r.name, '-o', '-', '--range', `${r.range.start}-${r.range.end}`, '-q'];
  const out = await runCli([...argv, ...where], { cwd: dir, env: { DCS_TOKEN: TOKEN } });
  const lines = out.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${out.stderr}`);
  return { status: `exit ${out.code}`, message: lines[0]!.replace(/^dcs: /, '') };
}

const auth = { authorization: `Bearer ${TOKEN}` };

async function httpRefusal(res: Response): Promise<Answer> {
  if (res.ok) {
    await res.arrayBuffer();
    return 'accepted';
  }
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: `HTTP ${res.status}`, code: body.error.code, message: body.error.message };
}

async function viaHttp(r: Request): Promise<Answer> {
  const q = new URLSearchParams({ name: r.name });
  if (r.op === 'stat' && r.version !== undefined) q.set('version', String(r.version));
  if (r.op === 'put') {
    if (r.codec !== undefined) q.set('codec', r.codec);
    if (r.level !== undefined) q.set('level', String(r.level));
    return httpRefusal(await fetch(`${node.url}/api/v1/file?${q}`, { method: 'PUT', headers: auth, body: textBytes(1000) }));
  }
  if (r.op === 'stat') return httpRefusal(await fetch(`${node.url}/api/v1/stat?${q}`, { headers: auth }));
  return httpRefusal(await fetch(`${node.url}/api/v1/file?${q}`, { headers: { ...auth, range: `bytes=${r.range.start}-${r.range.end}` } }));
}

/** The same upload begun as a resumable (multipart) upload. */
async function viaHttpResumable(r: Request & { op: 'put' }): Promise<Answer> {
  const body = { name: r.name, ...(r.codec === undefined ? {} : { codec: r.codec }), ...(r.level === undefined ? {} : { level: r.level }) };
  return httpRefusal(await fetch(`${node.url}/api/v1/uploads`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }));
}

async function viaGrpc(r: Request): Promise<Answer> {
  const conn = createTransport(node.url, { token: TOKEN });
  const client = createClient(OrchestratorService, conn.transport);
  try {
    if (r.op === 'put') {
      const header = { name: r.name, codec: r.codec ?? '', level: r.level ?? 0 };
      async function* messages(): AsyncGenerator<UploadRequest> {
        yield { msg: { case: 'header', value: header } } as UploadRequest;
        yield { msg: { case: 'data', value: textBytes(1000) } } as UploadRequest;
      }
      await client.upload(messages());
    } else if (r.op === 'stat') {
      await client.stat({ name: r.name, version: r.version ?? 0 });
    } else {
      for await (const _ of client.download({ name: r.name, rangeStart: BigInt(r.range.start), rangeEnd: BigInt(r.range.end) }));
    }
  } catch (err) {
    assert.ok(err instanceof ConnectError, String(err));
    return { status: `gRPC ${Code[err.code]}`, ...(err.metadata.get('dcs-error') ? { code: err.metadata.get('dcs-error')! } : {}), message: err.rawMessage };
  } finally {
    conn.close();
  }
  return 'accepted';
}

describe('the same bad input through every front end', () => {
  before(async () => {
    ({ dir, cleanup } = await tempDir('dcs-bad-input-'));
    await initRepository(repo(), { chunking: SMALL_CHUNKS });
    await writeFile(join(dir, 'input.txt'), textBytes(1000));
    await writeFile(join(dir, STORED), textBytes(SIZE));
    assert.equal((await runCli(['put', STORED, '--repo', repo(), '-q'], { cwd: dir })).code, 0);
    node = await startNode({ role: 'all', host: '127.0.0.1', port: 0, token: TOKEN, repoDir: repo(), openOptions: { workers: 0 }, log: pino({ level: 'silent' }) });
  });
  after(async () => {
    await node.close(1000);
    await cleanup();
  });

  for (const c of CASES) {
    it(`refuses ${c.what} alike`, async () => {
      const httpStatus = c.code === 'RANGE_NOT_SATISFIABLE' ? 'HTTP 416' : 'HTTP 400';
      const http: Answer = c.accepted?.includes('HTTP') ? 'accepted' : { status: httpStatus, code: c.code, message: c.message };
      const expected: [string, Answer][] = [
        ['CLI', { status: 'exit 2', message: c.message }],
        ['CLI --server', { status: 'exit 2', message: c.message }],
        ['HTTP', http],
        ['gRPC', c.accepted?.includes('gRPC') ? 'accepted' : { status: 'gRPC InvalidArgument', code: c.code, message: c.message }],
      ];
      const answered: [string, Answer][] = [
        ['CLI', await viaCli(c.request)],
        ['CLI --server', await viaCli(c.request, node.url)],
        ['HTTP', await viaHttp(c.request)],
        ['gRPC', await viaGrpc(c.request)],
      ];
      if (c.request.op === 'put') {
        expected.push(['HTTP resumable', http]);
        answered.push(['HTTP resumable', await viaHttpResumable(c.request)]);
      }
      assert.deepEqual(answered, expected);
    });
  }

  it('a level 0 that the local CLI takes is refused with --server, not stored at the default level', async () => {
    assert.equal((await runCli(['put', 'input.txt', '--name', 'brotli-0', '--codec', 'brotli', '--level', '0', '-q', '--repo', repo()], { cwd: dir })).code, 0);
    assert.deepEqual(await viaCli({ op: 'put', name: 'brotli-0-remote', codec: 'brotli', level: 0 }, node.url), {
      status: 'exit 2',
      message: 'level 0 cannot be sent to an orchestrator: its gRPC API reads 0 as "the default level"',
    });
  });

  it('stored nothing for any of them but what a protocol accepted', async () => {
    const ls = await runCli(['ls', '--repo', repo(), '--json'], { cwd: dir });
    const accepted = CASES.flatMap((c) => (c.request.op === 'put' && c.accepted ? [c.request.name] : []));
    assert.deepEqual((JSON.parse(ls.stdout) as { name: string }[]).map((f) => f.name).sort(), [STORED, 'brotli-0', ...accepted].sort());
  });
});
