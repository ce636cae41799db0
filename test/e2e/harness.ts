// What the browser tests need: a built UI (web/dist, rebuilt when web/ changed), a temporary
// repository with the real server as a child process, and Chromium (Debian's, else the npm-shipped
// build: helpers/chromium.ts) driven by playwright-core.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { chromium, type Browser } from 'playwright-core';
import { findChromium } from '../helpers/chromium.ts';
import { randomBytes as sharedRandom, textBytes as sharedText } from '../helpers/data.ts';

export const ROOT = resolve(import.meta.dirname, '..', '..');

async function newestMtime(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const e of await readdir(path, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) newest = Math.max(newest, (await stat(join(e.parentPath, e.name))).mtimeMs);
  }
  return newest;
}

/** Runs `vite build web` when web/dist is missing or older than any source of the UI. */
export async function ensureWebBuilt(): Promise<{ built: boolean; ms: number }> {
  const index = join(ROOT, 'web', 'dist', 'index.html');
  const sources = [join(ROOT, 'web', 'src'), join(ROOT, 'web', 'index.html'), join(ROOT, 'web', 'vite.config.ts'), join(ROOT, 'web', 'public')].filter((p) => existsSync(p));
  let newest = 0;
  for (const s of sources) newest = Math.max(newest, await newestMtime(s));
  if (existsSync(index) && statSync(index).mtimeMs >= newest) return { built: false, ms: 0 };
  const started = Date.now();
  // node_modules/.bin/vite is a link to vite's bin script: run it with this Node (the system one may be older).
  execFileSync(process.execPath, [join(ROOT, 'node_modules', '.bin', 'vite'), 'build', 'web', '--logLevel', 'warn'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  return { built: true, ms: Date.now() - started };
}

export interface Server {
  url: string;
  repo: string;
  token: string;
  child: ChildProcess;
  stderr(): string;
  /** fetch against the server with the bearer token */
  api(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

/** `dcs init` a temporary repository and `dcs serve` it with a token on a free port. */
export async function startServer(options: { token: string; partSize?: string; initArgs?: string[]; extraArgs?: string[] }): Promise<Server> {
  const repo = await mkdtemp(join(tmpdir(), 'dcs-e2e-'));
  const dcs = join(ROOT, 'bin', 'dcs.js');
  execFileSync(process.execPath, [dcs, 'init', '--repo', repo, ...(options.initArgs ?? [])], { cwd: ROOT, stdio: 'ignore' });
  const args = [dcs, 'serve', '--repo', repo, '--listen', '127.0.0.1:0', '--log-level', 'warn'];
  if (options.partSize) args.push('--part-size', options.partSize);
  args.push(...(options.extraArgs ?? []));
  const env: NodeJS.ProcessEnv = { ...process.env, DCS_TOKEN: options.token };
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    err = (err + d).slice(-20_000);
  });
  const url = await new Promise<string>((done, fail) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => fail(new Error(`dcs serve printed no URL within 20s; stderr: ${err}`)), 20_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      done(line.trim());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`dcs serve exited with ${code}; stderr: ${err}`));
    });
  });
  return {
    url,
    repo,
    token: options.token,
    child,
    stderr: () => err,
    api: (path, init = {}) => fetch(url + path, { ...init, headers: { authorization: `Bearer ${options.token}`, ...(init.headers as Record<string, string> | undefined) } }),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once('exit', done));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(repo, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  const build = await findChromium();
  try {
    return await chromium.launch({ executablePath: build.executablePath, args: build.args });
  } catch (err) {
    throw new Error(`Chromium from ${build.source} (${build.executablePath}) did not start: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
}

/** What a test file started: each kept as soon as it is up, so after() stops it even when the other failed. */
export interface Started {
  server?: Server;
  browser?: Browser;
}

/**
 * The web build, then a server and Chromium at once. Both are recorded in `into` even when the
 * other fails (a missing browser must fail the file, not leave a server child holding it open
 * until the runner's timeout); pass the same object to stopStarted in after().
 */
export async function startServerAndBrowser(options: Parameters<typeof startServer>[0], into: Started): Promise<{ server: Server; browser: Browser }> {
  const build = await ensureWebBuilt();
  if (build.built) console.log(`# built web/dist in ${build.ms} ms`);
  const [started, launched] = await Promise.allSettled([startServer(options), launchBrowser()]);
  if (started.status === 'fulfilled') into.server = started.value;
  if (launched.status === 'fulfilled') into.browser = launched.value;
  for (const r of [started, launched]) if (r.status === 'rejected') throw r.reason;
  return { server: into.server!, browser: into.browser! };
}

export async function stopStarted(started: Started): Promise<void> {
  await started.browser?.close();
  await started.server?.stop();
}

/** Deterministic bytes that compress well (text) or not at all (noise). */
/** The shared deterministic test data, as Buffers (what Playwright's setInputFiles takes). */
export const textBytes = (size: number, seed = 1): Buffer => Buffer.from(sharedText(size, seed));
export const noiseBytes = (size: number, seed = 1): Buffer => Buffer.from(sharedRandom(size, seed));

export interface ProxyEntry {
  method: string;
  path: string;
  status?: number;
}

export interface Proxy {
  url: string;
  /** Every request seen, in arrival order, with the upstream status once it answered. */
  entries: ProxyEntry[];
  /** Decides per request: 'drop' resets the connection (the browser sees a network error). */
  intercept?: (method: string, path: string) => 'drop' | undefined | Promise<'drop' | undefined>;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of the server, so a test can cut a request off the way a broken network
 * does (the connection is reset) and see exactly which requests reached the server. Browser-side
 * request interception is not used for this: pausing and releasing large upload bodies there
 * loses request events.
 */
export async function startProxy(target: string): Promise<Proxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const proxy: Proxy = {
    url: '',
    entries: [],
    close: () =>
      new Promise<void>((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
  };
  const server = createHttpServer((req, res) => {
    const entry: ProxyEntry = { method: req.method ?? 'GET', path: req.url ?? '/' };
    proxy.entries.push(entry);
    void (async () => {
      if ((await proxy.intercept?.(entry.method, entry.path)) === 'drop') {
        entry.status = 0;
        req.socket.destroy();
        return;
      }
      const up = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
        (upRes) => {
          entry.status = upRes.statusCode;
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.on('error', () => up.destroy());
      req.pipe(up);
    })();
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  proxy.url = `http://127.0.0.1:${port}`;
  return proxy;
}
