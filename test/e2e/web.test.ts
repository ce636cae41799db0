// The web UI in a real browser (Chromium from Debian, driven by playwright-core) against the real
// server: sign-in, uploads (file picker and drag-and-drop, codec choice, multipart resume after a
// network error, going offline, and a reload), the file browser, the file page, downloads, delete,
// error states, phone width, and screenshots (docs/screenshots with UPDATE_SCREENSHOTS=1).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { noiseBytes, type Proxy, ROOT, type Server, type Started, startProxy, startServerAndBrowser, stopStarted, textBytes } from './harness.ts';
import { openApp as openAppAt, uploadRow, waitDone } from './ui.ts';

const MiB = 1024 * 1024;
const TOKEN = `e2e-${randomBytes(12).toString('hex')}`;
const UPDATE = process.env.UPDATE_SCREENSHOTS === '1';


let server: Server;
/** The browser talks to the server through this proxy, which can cut requests off like a bad network. */
let proxy: Proxy;
let base: string;
let browser: Browser;
const started: Started = {};
let inputs: string;
let shots: string;

before(async () => {
  inputs = await mkdtemp(join(tmpdir(), 'dcs-e2e-files-'));
  shots = UPDATE ? join(ROOT, 'docs', 'screenshots') : join(inputs, 'screenshots');
  await mkdir(shots, { recursive: true });
  // Three disks, two copies of every chunk, small chunks (so chunk maps have something to show).
  const initArgs = ['--backend', 'disk-a=fs:disk-a', '--backend', 'disk-b=fs:disk-b', '--backend', 'disk-c=fs:disk-c', '--replicate', '2', '--chunk-size', '256K'];
  ({ server, browser } = await startServerAndBrowser({ token: TOKEN, partSize: '1M', initArgs }, started));
  proxy = await startProxy(server.url);
  base = proxy.url;
});

after(async () => {
  await proxy?.close();
  await stopStarted(started);
  if (inputs) await rm(inputs, { recursive: true, force: true });
});

// --- helpers ---------------------------------------------------------------------------------

const openApp = (ctx: BrowserContext, path = '/'): Promise<Page> => openAppAt(ctx, base, TOKEN, path);

async function scrollWidth(page: Page): Promise<number> {
  return (await page.evaluate('document.scrollingElement.scrollWidth')) as number;
}

async function download(page: Page, trigger: Locator): Promise<{ bytes: Buffer; filename: string }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), trigger.click()]);
  const path = await dl.path();
  return { bytes: await readFile(path), filename: dl.suggestedFilename() };
}

async function serverBytes(name: string): Promise<Buffer> {
  const res = await server.api(`/api/v1/files/${encodeURIComponent(name)}`);
  assert.equal(res.status, 200, `GET ${name}`);
  return Buffer.from(await res.arrayBuffer());
}

/** A file on disk with a fixed mtime, so picking it again gives the browser the same lastModified. */
async function diskFile(name: string, bytes: Buffer): Promise<string> {
  const path = join(inputs, name);
  await writeFile(path, bytes);
  await utimes(path, new Date('2024-05-01T12:00:00Z'), new Date('2024-05-01T12:00:00Z'));
  return path;
}

/** The part uploads (PUT …/parts/N) that reached the proxy since `from`, with their status (0 = cut off). */
function partRequests(from: number, to?: number): { part: number; status?: number }[] {
  return proxy.entries.slice(from, to).flatMap((e) => {
    const m = /^\/api\/v1\/uploads\/[^/?]+\/parts\/(\d+)$/.exec(e.path);
    return m && e.method === 'PUT' ? [{ part: Number(m[1]), status: e.status }] : [];
  });
}

const partOf = (method: string, path: string): number | undefined => {
  const m = /\/parts\/(\d+)$/.exec(path);
  return method === 'PUT' && m ? Number(m[1]) : undefined;
};

const byNumber = (a: number, b: number): number => a - b;

// --- tests -----------------------------------------------------------------------------------

const T = { timeout: 90_000 };

describe('web UI in Chromium', () => {
  it('a wrong token shows the login screen; the right one signs in', T, async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${base}/files#token=not-the-token`);
    await page.getByTestId('login').waitFor();
    assert.match(await page.getByTestId('login-reason').innerText(), /not accepted/);
    assert.equal(new URL(page.url()).hash, '', 'the token is taken out of the address bar');
    assert.match(await page.getByTestId('login').innerText(), /DCS_TOKEN/);

    await page.getByTestId('token-input').fill('still-wrong');
    await page.getByTestId('login-submit').click();
    const err = page.getByTestId('login').getByRole('alert');
    await err.waitFor();
    assert.match(await err.innerText(), /not accepted/);

    await page.getByTestId('token-input').fill(TOKEN);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('file-browser').waitFor();
    assert.equal(await page.evaluate('localStorage.getItem("dcs.token")'), TOKEN);

    // Without any token, any page asks for one.
    const fresh = await browser.newContext();
    const p2 = await fresh.newPage();
    await p2.goto(`${base}/dashboard`);
    await p2.getByTestId('login').waitFor();
    await fresh.close();
    await ctx.close();
  });

  it('uploads with the picker and by drop, lists with ratio, shows the file page, downloads and deletes', T, async () => {
    const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 } });
    const page = await openApp(ctx);
    const text = textBytes(300_000, 7);

    await page.getByTestId('codec-select').selectOption('gzip');
    await page.getByTestId('prefix-input').fill('docs/');
    await page.getByTestId('file-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: text });
    const row = await waitDone(page, 'docs/notes.txt');
    const ratioText = await row.getByTestId('upload-ratio').innerText();
    assert.match(ratioText, /^\d+\.\d\d×$/);
    assert.ok(Number.parseFloat(ratioText) > 1.5, `text compresses (${ratioText})`);
    assert.match(await row.getByTestId('upload-chunks').innerText(), /^(\d+) chunks?: \1 new, 0 deduplicated$/);
    assert.equal(await row.getByRole('progressbar').getAttribute('aria-valuenow'), '100');

    // A synthetic drop of a file onto the drop zone.
    const dropped = 'dropped by a test\n'.repeat(500);
    const dt = await page.evaluateHandle(
      `(() => { const dt = new DataTransfer(); dt.items.add(new File([${JSON.stringify(dropped)}], 'dropped.md', { type: 'text/markdown' })); return dt; })()`,
    );
    await page.dispatchEvent('[data-testid="dropzone"]', 'drop', { dataTransfer: dt });
    await waitDone(page, 'docs/dropped.md');
    assert.deepEqual(await serverBytes('docs/dropped.md'), Buffer.from(dropped));
    const stat = (await (await server.api(`/api/v1/stat/${encodeURIComponent('docs/notes.txt')}`)).json()) as { version: { codec: string } };
    assert.equal(stat.version.codec, 'gzip', 'the chosen codec went to the server');

    // The browser: folder, breadcrumbs, the row with its ratio.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Files' }).click();
    await page.locator('[data-testid="folder-row"][data-name="docs/"]').getByTestId('folder-link').click();
    const fileRow = page.locator('[data-testid="file-row"][data-name="docs/notes.txt"]');
    await fileRow.waitFor();
    assert.equal(await fileRow.getByTestId('cell-ratio').innerText(), ratioText);
    assert.match(await page.getByTestId('breadcrumbs').innerText(), /All files\s*\/?\s*docs/);

    // Search narrows the list (debounced, in the URL).
    await page.getByTestId('search-input').fill('dropp');
    await page.waitForURL(/q=dropp/);
    await page.locator('[data-testid="file-row"][data-name="docs/notes.txt"]').waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('file-row').count(), 1);
    await page.getByTestId('search-input').fill('');
    await fileRow.waitFor();

    // Download from the list (a plain link: the session cookie authenticates it).
    const fromList = await download(page, fileRow.getByTestId('download-link'));
    assert.equal(fromList.filename, 'notes.txt');
    assert.ok(fromList.bytes.equals(text), 'downloaded bytes equal the uploaded ones');

    // The file page.
    await fileRow.getByRole('link', { name: 'notes.txt', exact: true }).click();
    await page.waitForURL(/\/file\?name=docs%2Fnotes\.txt/);
    const map = page.getByTestId('chunk-map');
    await map.waitFor();
    assert.ok((await map.getByTestId('chunk').count()) >= 1);
    await map.getByTestId('chunk').first().hover();
    const details = await page.getByTestId('chunk-details').innerText();
    assert.match(details, /offset/i);
    assert.equal((details.match(/disk-[abc] · ok/g) ?? []).length, 2, `two copies: ${details}`);
    const copies = page.getByTestId('copy-row');
    assert.ok((await copies.count()) >= 2, 'copies on at least two backends');
    for (const copy of await copies.all()) assert.match(await copy.innerText(), /\bup\b/);
    assert.match(await page.getByTestId('codec-breakdown').innerText(), /gzip/);
    assert.match(await page.getByTestId('file-summary').innerText(), /×/);
    assert.equal(await page.getByTestId('version-row').count(), 1);
    const fromPage = await download(page, page.getByTestId('file-download'));
    assert.ok(fromPage.bytes.equals(text));
    await page.reload();
    await page.getByTestId('file-access').waitFor();
    assert.ok(Number(await page.getByTestId('access-downloads').innerText()) >= 1, 'downloads are counted');

    // Delete from the browser.
    await page.getByRole('navigation', { name: 'Breadcrumbs' }).getByRole('link', { name: 'docs' }).click();
    await fileRow.getByTestId('delete-button').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByTestId('confirm-button').click();
    await fileRow.waitFor({ state: 'detached' });
    await page.getByTestId('files-notice').waitFor();
    assert.equal((await server.api(`/api/v1/stat/${encodeURIComponent('docs/notes.txt')}`)).status, 404);
    await ctx.close();
  });

  it('a multipart upload interrupted by a network error resumes and sends only the missing parts', T, async () => {
    const ctx = await browser.newContext();
    const page = await openApp(ctx);
    const bytes = noiseBytes(5 * MiB + 123_456, 3); // 6 parts of 1 MiB
    const path = await diskFile('interrupted.bin', bytes);
    const mark = proxy.entries.length;
    // Requests for part 4 have their connection reset, as if the network dropped, until the page
    // asks the server which parts it has (GET /api/v1/uploads/ID: the resume). Chromium itself
    // silently re-sends a request whose reused connection was reset, so one drop is not enough.
    let resumeAt = -1;
    proxy.intercept = (method, p) => {
      if (resumeAt < 0 && method === 'GET' && /^\/api\/v1\/uploads\/[^/?]+$/.test(p)) resumeAt = proxy.entries.length - 1;
      return resumeAt < 0 && partOf(method, p) === 4 ? 'drop' : undefined;
    };
    try {
      await page.getByTestId('codec-select').selectOption('zstd');
      await page.getByTestId('prefix-input').fill('');
      await page.getByTestId('file-input').setInputFiles(path);
      const interrupted = uploadRow(page, 'interrupted.bin', 'interrupted');
      await interrupted.waitFor({ timeout: 20_000 });
      assert.match(await interrupted.getByTestId('upload-status').innerText(), /interrupted — resuming/);
      assert.ok(await interrupted.getByTestId('upload-resume').isVisible(), 'a Resume button is offered');
      const row = await waitDone(page, 'interrupted.bin');
      assert.ok(resumeAt > mark, 'the page asked the server for the parts it has');
      const beforeResume = partRequests(mark, resumeAt);
      const resumed = partRequests(resumeAt);
      const trace = `before the resume ${beforeResume.map((r) => `${r.part}:${r.status}`).join(' ')}; after ${resumed.map((r) => `${r.part}:${r.status}`).join(' ')}`;
      // Parts 1-3 (and 5, 6 when they started while Chromium was still re-trying part 4) were
      // stored before the resume; the resume says so and sends exactly the others.
      const had = [...new Set(beforeResume.filter((r) => r.status === 200).map((r) => r.part))].sort(byNumber);
      assert.ok([1, 2, 3].every((p) => had.includes(p)) && !had.includes(4), trace);
      assert.ok(beforeResume.every((r) => r.status === 200 || r.part === 4), trace);
      assert.match(await row.getByTestId('upload-message').innerText(), new RegExp(`resumed: ${had.length} of 6 parts already on the server`), trace);
      const missing = [1, 2, 3, 4, 5, 6].filter((p) => !had.includes(p));
      assert.deepEqual(resumed.map((r) => r.part).sort(byNumber), missing, `only the missing parts went after the resume: ${trace}`);
      assert.ok(resumed.every((r) => r.status === 200), trace);
      assert.ok((await serverBytes('interrupted.bin')).equals(bytes));
    } finally {
      proxy.intercept = undefined;
      await ctx.close();
    }
  });

  it('going offline mid-upload shows it and the upload finishes when the network is back', T, async () => {
    const ctx = await browser.newContext();
    const page = await openApp(ctx);
    const bytes = noiseBytes(4 * MiB + 5000, 11);
    const path = await diskFile('offline.bin', bytes);
    let wentOffline = false;
    proxy.intercept = async (method, p) => {
      if (partOf(method, p) !== 3 || wentOffline) return undefined;
      wentOffline = true;
      await ctx.setOffline(true);
      return 'drop';
    };
    try {
      await page.getByTestId('file-input').setInputFiles(path);
      const interrupted = uploadRow(page, 'offline.bin', 'interrupted');
      await interrupted.waitFor({ timeout: 20_000 });
      await page.getByTestId('offline-banner').waitFor();
      assert.match(await interrupted.getByTestId('upload-message').innerText(), /offline/);
      await ctx.setOffline(false);
      await page.getByTestId('offline-banner').waitFor({ state: 'detached' });
      await waitDone(page, 'offline.bin');
      assert.ok((await serverBytes('offline.bin')).equals(bytes));
    } finally {
      proxy.intercept = undefined;
      await ctx.close();
    }
  });

  it('after a reload, picking the same file again resumes the upload; cancel deletes the upload', T, async () => {
    const ctx = await browser.newContext();
    const page = await openApp(ctx);
    page.on('dialog', (d) => void d.accept());
    const bytes = noiseBytes(4 * MiB + 777, 5); // 5 parts
    const path = await diskFile('reload.bin', bytes);
    try {
      // Parts 3 and up cannot get through: the upload is stuck after parts 1 and 2.
      proxy.intercept = (method, p) => ((partOf(method, p) ?? 0) >= 3 ? 'drop' : undefined);
      await page.getByTestId('file-input').setInputFiles(path);
      await uploadRow(page, 'reload.bin', 'interrupted').waitFor({ timeout: 20_000 });
      await page.reload();
      proxy.intercept = undefined;
      await page.getByTestId('unfinished-uploads').waitFor();
      assert.match(await page.getByTestId('unfinished-uploads').innerText(), /reload\.bin/);
      const mark = proxy.entries.length;
      await page.getByTestId('file-input').setInputFiles(path);
      const row = await waitDone(page, 'reload.bin');
      assert.match(await row.getByTestId('upload-message').innerText(), /resumed: 2 of 5 parts already on the server/);
      const reqs = partRequests(mark);
      assert.deepEqual(reqs.map((r) => r.part).sort(byNumber), [3, 4, 5], `only the missing parts are sent after the reload: ${JSON.stringify(reqs)}`);
      assert.ok((await serverBytes('reload.bin')).equals(bytes));
      await page.getByTestId('unfinished-uploads').waitFor({ state: 'detached' });

      // Cancel aborts and deletes the upload on the server.
      proxy.intercept = (method, p) => ((partOf(method, p) ?? 0) >= 2 ? 'drop' : undefined);
      await page.getByTestId('file-input').setInputFiles(await diskFile('cancelled.bin', noiseBytes(3 * MiB, 9)));
      const cancelRow = uploadRow(page, 'cancelled.bin');
      await uploadRow(page, 'cancelled.bin', 'interrupted').waitFor({ timeout: 20_000 });
      const saved = (await page.evaluate('Object.keys(localStorage).filter((k) => k.startsWith("dcs.upload.v1:")).map((k) => JSON.parse(localStorage.getItem(k)).id)')) as string[];
      assert.equal(saved.length, 1);
      await cancelRow.getByTestId('upload-cancel').click();
      await uploadRow(page, 'cancelled.bin', 'cancelled').waitFor();
      assert.equal(await page.evaluate('Object.keys(localStorage).some((k) => k.startsWith("dcs.upload.v1:"))'), false, 'the saved upload id is forgotten');
      let status = 0;
      for (let i = 0; i < 50; i++) {
        status = (await server.api(`/api/v1/uploads/${saved[0]}`)).status;
        if (status === 404) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(status, 404, 'the upload was deleted on the server');
    } finally {
      proxy.intercept = undefined;
      await ctx.close();
    }
  });

  it('pages through a large folder with "load more" and sorts the loaded rows', T, async () => {
    const names = Array.from({ length: 103 }, (_, i) => `many/file-${String(i).padStart(3, '0')}.txt`);
    for (let i = 0; i < names.length; i += 16) {
      await Promise.all(
        names.slice(i, i + 16).map(async (name, j) => {
          const res = await server.api(`/api/v1/files/${encodeURIComponent(name)}?codec=none`, { method: 'PUT', body: textBytes(100 + (i + j) * 37, i + j) });
          assert.equal(res.status, 201);
        }),
      );
    }
    const ctx = await browser.newContext();
    const page = await openApp(ctx, '/files?prefix=many%2F');
    const rows = page.getByTestId('file-row');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 100, 'the first page');
    await page.getByTestId('load-more').click();
    await page.getByTestId('load-more').waitFor({ state: 'detached' });
    assert.equal(await rows.count(), 103);
    await page.getByTestId('sort-size').click();
    assert.equal(await rows.first().getAttribute('data-name'), 'many/file-102.txt', 'largest first');
    await page.getByTestId('sort-size').click();
    assert.equal(await rows.first().getAttribute('data-name'), 'many/file-000.txt', 'smallest first');
    await page.getByTestId('sort-name').click();
    assert.equal(await rows.first().getAttribute('data-name'), 'many/file-000.txt');
    await ctx.close();
  });

  it('shows backends down and the server message of a 503', T, async () => {
    const ctx = await browser.newContext();
    const page = await openApp(ctx);
    const real = (await (await server.api('/api/v1/stats')).json()) as { perBackend: object[] };
    await page.route(/\/api\/v1\/stats$/, (route) =>
      route.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({ ...real, perBackend: [...real.perBackend, { backend: 'cold-s3', up: false, error: 'connect ECONNREFUSED 10.0.0.7:9000', copies: 12, bytes: 4 * MiB, missing: 0, corrupt: 0 }] }),
      }),
    );
    await page.getByRole('link', { name: 'Dashboard' }).click();
    const banner = page.getByTestId('backends-down');
    await banner.waitFor();
    assert.match(await banner.innerText(), /cold-s3 \(connect ECONNREFUSED 10\.0\.0\.7:9000\)/);
    assert.equal(await page.locator('[data-testid="backend-row"][data-backend="cold-s3"]').getAttribute('data-up'), 'false');

    const message = 'backends unavailable: 2 of 3 backends did not answer';
    await page.route(/\/api\/v1\/files\?/, (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'UNAVAILABLE', message } }) }));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Files' }).click();
    const err = page.getByTestId('error');
    await err.waitFor();
    assert.equal(await err.getAttribute('data-status'), '503');
    assert.match(await err.innerText(), new RegExp(message));
    await ctx.close();
  });

  it('works at phone width (375 px) without horizontal scrolling', T, async () => {
    const ctx = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, hasTouch: true });
    const page = await openApp(ctx, '/files');
    await page.getByTestId('file-row').first().waitFor();
    assert.ok((await scrollWidth(page)) <= 375, `file list scrollWidth ${await scrollWidth(page)}`);
    await page.getByTestId('file-row').first().getByRole('link').first().click();
    await page.getByTestId('chunk-map').waitFor();
    await page.getByTestId('chunk').first().tap();
    await page.getByTestId('chunk-details').waitFor();
    assert.ok((await scrollWidth(page)) <= 375, `file page scrollWidth ${await scrollWidth(page)}`);
    await page.getByRole('link', { name: 'Upload' }).click();
    await page.getByTestId('dropzone').waitFor();
    assert.ok((await scrollWidth(page)) <= 375, `upload page scrollWidth ${await scrollWidth(page)}`);
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByTestId('chart-history').waitFor();
    await page.waitForTimeout(300); // charts measure their box after the first paint
    assert.ok((await scrollWidth(page)) <= 375, `dashboard scrollWidth ${await scrollWidth(page)}`);
    await page.screenshot({ path: join(shots, 'dashboard-phone.png'), fullPage: true });
    await ctx.close();
  });

  it('takes screenshots of the upload page, a file page and the dashboard', T, async () => {
    const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 } });
    const page = await openApp(ctx);
    // Mixed content: text chunks compress, noise chunks are stored as none (codec auto per chunk).
    const mixed = Buffer.concat([textBytes(3 * MiB, 21), noiseBytes(2 * MiB, 22), textBytes(4 * MiB, 23), noiseBytes(MiB, 24), textBytes(2 * MiB, 25)]);
    const mixedV2 = Buffer.concat([mixed.subarray(0, 7 * MiB), textBytes(MiB, 99), mixed.subarray(8 * MiB)]);
    await page.getByTestId('codec-select').selectOption('auto');
    await page.getByTestId('prefix-input').fill('datasets/');
    await page.getByTestId('file-input').setInputFiles({ name: 'events.jsonl', mimeType: 'application/octet-stream', buffer: mixed });
    await waitDone(page, 'datasets/events.jsonl');
    await page.getByTestId('codec-select').selectOption('zstd');
    await page.getByTestId('prefix-input').fill('logs/');
    await page.getByTestId('file-input').setInputFiles([
      { name: 'api-2024-05-01.log', mimeType: 'text/plain', buffer: textBytes(900_000, 31) },
      { name: 'api-2024-05-02.log', mimeType: 'text/plain', buffer: textBytes(700_000, 32) },
    ]);
    await waitDone(page, 'logs/api-2024-05-01.log');
    await waitDone(page, 'logs/api-2024-05-02.log');
    // Let the size history take another sample (at most one per 5 s) before the next writes,
    // so the chart in the published screenshot has some shape.
    if (UPDATE) await page.waitForTimeout(5200);
    await page.getByTestId('codec-select').selectOption('brotli');
    await page.getByTestId('prefix-input').fill('');
    await page.getByTestId('file-input').setInputFiles({ name: 'README.md', mimeType: 'text/markdown', buffer: textBytes(120_000, 41) });
    await waitDone(page, 'README.md');
    await page.getByTestId('codec-select').selectOption('auto');
    await page.getByTestId('prefix-input').fill('datasets/');
    await page.getByTestId('file-input').setInputFiles({ name: 'events.jsonl', mimeType: 'application/octet-stream', buffer: mixedV2 });
    const v2 = await waitDone(page, 'datasets/events.jsonl');
    assert.match(await v2.getByTestId('upload-chunks').innerText(), /[1-9]\d* deduplicated/, 'version 2 shares chunks with version 1');
    for (const [name, times] of [['datasets/events.jsonl', 3], ['README.md', 5], ['logs/api-2024-05-01.log', 2], ['interrupted.bin', 1]] as const) {
      for (let i = 0; i < times; i++) await serverBytes(name);
    }
    await page.evaluate('document.activeElement?.blur()');
    await page.mouse.move(0, 0);
    await page.screenshot({ path: join(shots, 'upload.png') });

    await page.goto(`${base}/file?name=${encodeURIComponent('datasets/events.jsonl')}`);
    await page.getByTestId('chunk-map').waitFor();
    assert.ok((await page.getByTestId('chunk').count()) > 3);
    assert.ok(Number(await page.getByTestId('file-shared').innerText()) > 0, 'shared chunks are shown');
    // Taller, so the shot holds the preview and the chunk map under the header; a chunk stays
    // picked after the pointer leaves it.
    await page.setViewportSize({ width: 1280, height: 1280 });
    await page.getByTestId('chunk').nth(2).hover();
    await page.evaluate('window.scrollTo(0, 0)');
    await page.getByTestId('preview-text').waitFor();
    await page.screenshot({ path: join(shots, 'file.png') });
    await page.setViewportSize({ width: 1280, height: 800 });

    if (UPDATE) await page.waitForTimeout(5200); // one more history sample after the last writes
    await page.goto(`${base}/dashboard`);
    await page.getByTestId('chart-history').locator('.recharts-line').first().waitFor();
    await page.getByTestId('top-row').first().waitFor();
    assert.equal(await page.getByTestId('top-row').first().getAttribute('data-name'), 'README.md');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shots, 'dashboard.png') });

    // Delete the older version from the file page.
    await page.goto(`${base}/file?name=${encodeURIComponent('datasets/events.jsonl')}`);
    await page.locator('[data-testid="version-row"][data-version="1"]').getByTestId('version-delete').click();
    await page.getByTestId('confirm-button').click();
    await page.locator('[data-testid="version-row"][data-version="1"]').waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('version-row').count(), 1);
    assert.equal((await server.api(`/api/v1/files/${encodeURIComponent('datasets/events.jsonl')}?version=1`)).status, 404);
    assert.ok((await serverBytes('datasets/events.jsonl')).equals(mixedV2));
    await ctx.close();
  });
});
