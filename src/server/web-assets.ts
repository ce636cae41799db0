// The web UI's static files (web/dist, built by Vite). Paths that are not files get index.html so
// the UI's own routes (/files/…, /dashboard) survive a reload. Hashed assets are cached for good;
// index.html never is, so a new build is picked up at once.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Req, Res } from './http-util.ts';

export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

// The UI needs nothing from other origins; inline style attributes come from the chart library.
const CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>dcs</title>
<body style="font-family: system-ui; max-width: 40rem; margin: 3rem auto">
<h1>dcs</h1><p>The web UI has not been built. Run <code>npm run build:web</code> (npm start does it for you) and reload.</p>
<p>The HTTP API works without it: see docs/openapi.yaml.</p></body>`;

async function fileAt(root: string, path: string): Promise<{ path: string; size: number } | undefined> {
  const full = resolve(root, `.${path}`);
  if (full !== root && !full.startsWith(root + sep)) return undefined;
  try {
    const st = await stat(full);
    return st.isFile() ? { path: full, size: st.size } : undefined;
  } catch {
    return undefined;
  }
}

export function webAssets(rootDir: string): (req: Req, res: Res, path: string) => Promise<void> {
  const root = resolve(rootDir);
  return async (req, res, path) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('content-security-policy', CSP);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('allow', 'GET, HEAD');
      res.end();
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      decoded = '/';
    }
    let file = decoded.includes('\0') ? undefined : await fileAt(root, decoded);
    const isAsset = file !== undefined && decoded.startsWith('/assets/');
    // Unknown paths without an extension are UI routes; a missing .js or .png is a real 404.
    if (!file && extname(decoded) === '') file = await fileAt(root, '/index.html');
    if (!file) {
      const index = await fileAt(root, '/index.html');
      res.statusCode = 404;
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(index ? 'not found\n' : NOT_BUILT);
      return;
    }
    res.statusCode = 200;
    res.setHeader('content-type', TYPES[extname(file.path)] ?? 'application/octet-stream');
    res.setHeader('content-length', file.size);
    res.setHeader('cache-control', isAsset ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await new Promise<void>((done) => {
      const stream = createReadStream(file.path);
      stream.on('error', () => {
        res.destroy?.();
        done();
      });
      stream.on('end', done);
      stream.pipe(res as NodeJS.WritableStream);
    });
  };
}

export function webRootOrDefault(dir: string | undefined, cwd: string): string {
  return dir === undefined ? DEFAULT_WEB_ROOT : resolve(cwd, dir);
}
