// Share links and previews in the web UI, in Chromium against the real server: a link made in the
// Share dialog downloads the exact bytes from a browser that never signed in, counts downloads,
// stops at its limit, and answers 410 once revoked; an uploaded PNG, text, WAV and PDF show in the
// file page's Preview panel (served inline, sandboxed, audio by ranges), a long text only its first
// 256 KiB, and a file of another type shows no panel. At 1280 px, and usable at 375 px.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { previewType } from '../../src/server/preview-types.ts';
import { previewKind } from '../../web/src/preview-kind.ts';
import { noiseBytes, type Server, type Started, startServerAndBrowser, stopStarted, textBytes } from './harness.ts';
import { pdfBytes, pngBytes, wavBytes } from './media-fixtures.ts';
import { assertOnScreen, inPage, openApp as openAppAt, waitDone } from './ui.ts';

const TOKEN = `e2e-${randomBytes(12).toString('hex')}`;
const T = { timeout: 90_000 };
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 740 };
const KiB = 1024;

let server: Server;
let browser: Browser;
const started: Started = {};

before(async () => {
  ({ server, browser } = await startServerAndBrowser({ token: TOKEN }, started));
});

after(async () => {
  await stopStarted(started);
});

const openApp = (ctx: BrowserContext, path = '/'): Promise<Page> => openAppAt(ctx, server.url, TOKEN, path);
const filePath = (name: string): string => `/file?name=${encodeURIComponent(name)}`;

/** Uploads files with the upload page's picker into `folder` and waits for all of them. */
async function uploadInUi(page: Page, folder: string, files: { name: string; mimeType: string; buffer: Buffer }[]): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Upload' }).click();
  await page.getByTestId('prefix-input').fill(folder);
  await page.getByTestId('file-input').setInputFiles(files);
  for (const f of files) await waitDone(page, `${folder}${f.name}`);
}

/** GET `url` from a browser context that never signed in: no token, no session cookie. */
async function fetchSignedOut(url: string): Promise<{ status: number; body: Buffer }> {
  const stranger = await browser.newContext();
  try {
    const res = await stranger.request.get(url);
    return { status: res.status(), body: await res.body() };
  } finally {
    await stranger.close();
  }
}

/** The first response in `seen` whose URL holds `fragment`, waiting up to 10 s for it. */
async function arrived(seen: readonly Response[], fragment: string): Promise<Response> {
  for (let i = 0; i < 100; i++) {
    const r = seen.find((x) => x.url().includes(fragment));
    if (r) return r;
    await new Promise((done) => setTimeout(done, 100));
  }
  assert.fail(`no inline request for ${fragment}`);
}

/** Makes a link in the Share dialog and returns the URL it shows. */
async function makeLink(page: Page, options: { expiry: string; limit?: string; pin: boolean }): Promise<string> {
  await page.getByTestId('file-share').click();
  const dialog = page.getByTestId('share-dialog');
  await dialog.waitFor();
  await dialog.getByTestId('share-expiry').selectOption({ label: options.expiry });
  if (options.limit) await dialog.getByTestId('share-limit').fill(options.limit);
  await dialog.getByTestId(options.pin ? 'share-pin' : 'share-follow-latest').check();
  await dialog.getByTestId('share-create').click();
  const url = await dialog.getByTestId('share-url').inputValue();
  assert.match(await dialog.getByTestId('share-once').innerText(), /shown only this once/);
  await dialog.getByTestId('share-done').click();
  await dialog.waitFor({ state: 'detached' });
  return url;
}

describe('share links and previews in the web UI', () => {
  it('a share link made in the UI downloads the exact bytes without a token, counts, and answers 410 once revoked', T, async () => {
    const v1 = textBytes(200_000, 1);
    const v2 = textBytes(120_000, 2);
    const ctx = await browser.newContext({ viewport: DESKTOP });
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    const page = await openApp(ctx);
    await uploadInUi(page, 'shared/', [{ name: 'report.txt', mimeType: 'text/plain', buffer: v1 }]);
    await page.goto(`${server.url}${filePath('shared/report.txt')}`);
    await page.getByTestId('share-none').waitFor();

    // A link pinned to version 1, for a day; the dialog shows its full URL once, with Copy.
    await page.getByTestId('file-share').click();
    const dialog = page.getByTestId('share-dialog');
    await dialog.getByTestId('share-expiry').selectOption({ label: '1 day' });
    await dialog.getByTestId('share-pin').check();
    await dialog.getByTestId('share-create').click();
    const url = await dialog.getByTestId('share-url').inputValue();
    assert.match(url, new RegExp(`^${server.url}/s/[A-Za-z0-9_-]{43}$`));
    assert.match(await dialog.getByTestId('share-once').innerText(), /shown only this once/);
    await dialog.getByTestId('share-copy').click();
    await dialog.getByTestId('share-copy').getByText('Copied').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), url, 'Copy puts the URL on the clipboard');
    await dialog.getByTestId('share-done').click();

    // Listed under Share links, without its secret.
    const row = page.getByTestId('share-row');
    await row.waitFor();
    assert.match(await row.innerText(), /version 1/);
    assert.match(await row.innerText(), /in (23|24) hours/);
    assert.equal(await row.getByTestId('share-downloads').innerText(), '0');
    assert.ok(!(await page.getByTestId('share-links').innerText()).includes(url.slice(-43)), 'the secret is not shown again');

    // A browser that never signed in gets the exact bytes, of version 1 even after a new upload.
    await uploadInUi(page, 'shared/', [{ name: 'report.txt', mimeType: 'text/plain', buffer: v2 }]);
    const got = await fetchSignedOut(url);
    assert.equal(got.status, 200);
    assert.deepEqual(got.body, v1, 'the pinned version, byte for byte');
    await page.goto(`${server.url}${filePath('shared/report.txt')}`);
    await page.getByTestId('share-row').waitFor();
    assert.equal(await page.getByTestId('share-downloads').innerText(), '1', 'the download is counted');

    // Revoke in the UI: the same URL is gone.
    await page.getByTestId('share-revoke').click();
    await page.getByTestId('share-none').waitFor();
    const revoked = await fetchSignedOut(url);
    assert.equal(revoked.status, 410);
    assert.equal((JSON.parse(revoked.body.toString()) as { error: { code: string } }).error.code, 'LINK_GONE');

    // A link that follows the latest, for one download: the second try answers 410.
    const once = await makeLink(page, { expiry: '1 hour', limit: '1', pin: false });
    assert.match(await page.getByTestId('share-row').innerText(), /the latest version/);
    assert.equal(await page.getByTestId('share-downloads').innerText(), '0 / 1');
    const first = await fetchSignedOut(once);
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, v2, 'the latest version');
    assert.equal((await fetchSignedOut(once)).status, 410, 'used up');
    await page.reload();
    await page.getByTestId('share-links').waitFor();
    await page.getByTestId('share-row').or(page.getByTestId('share-none')).first().waitFor();
    if ((await page.getByTestId('share-row').count()) > 0) assert.match(await page.getByTestId('share-downloads').innerText(), /1 \/ 1\s*used up/);

    // A download limit that is not a number is refused before asking the server.
    await page.getByTestId('file-share').click();
    await dialog.getByTestId('share-limit').fill('two');
    assert.equal(await dialog.getByTestId('share-create').isDisabled(), true);
    assert.match(await dialog.innerText(), /whole number of at least 1/);
    await page.keyboard.press('Escape');
    await ctx.close();
  });

  it('previews an image, a text, a sound and a PDF inline, a long text only its first 256 KiB, and nothing for other types', T, async () => {
    const png = pngBytes(48, 32);
    const wav = wavBytes(0.75);
    const notes = Buffer.from('# Field notes\n\nThe heron came back at 06:40.\n<script>alert("not run")</script>\n');
    const big = textBytes(300 * KiB, 5);
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const page = await openApp(ctx);
    await uploadInUi(page, 'media/', [
      { name: 'pixel.png', mimeType: 'image/png', buffer: png },
      { name: 'notes.md', mimeType: 'text/markdown', buffer: notes },
      { name: 'tone.wav', mimeType: 'audio/wav', buffer: wav },
      { name: 'page.pdf', mimeType: 'application/pdf', buffer: pdfBytes('dcs preview test') },
      { name: 'big.log', mimeType: 'text/plain', buffer: big },
      { name: 'data.bin', mimeType: 'application/octet-stream', buffer: noiseBytes(5000, 6) },
    ]);
    const previews: Response[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).searchParams.get('inline') === '1') previews.push(r);
    });

    // The image: decoded at its real size, served as image/png with nosniff and a sandbox.
    await page.goto(`${server.url}${filePath('media/pixel.png')}`);
    const img = page.getByTestId('preview-image');
    await img.waitFor();
    await page.waitForFunction(inPage('() => document.querySelector(\'[data-testid="preview-image"]\')?.complete'));
    assert.deepEqual(await img.evaluate(inPage<number[]>('(el) => [el.naturalWidth, el.naturalHeight]')), [48, 32]);
    const imgRes = await arrived(previews, 'pixel.png');
    const headers = await imgRes.allHeaders();
    assert.equal(headers['content-type'], 'image/png');
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.match(headers['content-security-policy'] ?? '', /sandbox/);

    // The text, as text: markup shows, never runs.
    await page.goto(`${server.url}${filePath('media/notes.md')}`);
    const text = page.getByTestId('preview-text');
    await text.waitFor();
    assert.equal(await text.evaluate(inPage<string>('(el) => el.textContent')), notes.toString());
    assert.equal(await page.getByTestId('preview-cut').count(), 0, 'a short file is shown whole');

    // The sound: a player that knows its length, fed by range requests (206).
    await page.goto(`${server.url}${filePath('media/tone.wav')}`);
    const audio = page.getByTestId('preview-audio');
    await audio.waitFor();
    await page.waitForFunction(inPage('() => document.querySelector(\'[data-testid="preview-audio"]\')?.duration > 0'));
    const duration = await audio.evaluate(inPage<number>('(el) => el.duration'));
    assert.ok(Math.abs(duration - 0.75) < 0.05, `duration ${duration}`);
    assert.ok(
      previews.some((r) => r.url().includes('tone.wav') && r.status() === 206),
      `the player asked for ranges: ${previews.filter((r) => r.url().includes('tone.wav')).map((r) => r.status()).join(', ')}`,
    );

    // The PDF, in a frame, as application/pdf for Chromium's viewer.
    await page.goto(`${server.url}${filePath('media/page.pdf')}`);
    await page.getByTestId('preview-pdf').waitFor();
    const pdfRes = await arrived(previews, 'page.pdf');
    assert.equal(pdfRes.status(), 200);
    assert.equal((await pdfRes.allHeaders())['content-type'], 'application/pdf');
    // Chromium's viewer took the frame over (it runs in frames of its own, under the one we made).
    // The npm-shipped headless build (used where Debian's chromium is not installed) has no viewer.
    if (await page.evaluate(inPage<boolean>('() => navigator.pdfViewerEnabled'))) {
      let viewer = 0;
      for (let i = 0; i < 100 && viewer === 0; i++, await page.waitForTimeout(100)) {
        for (const f of page.frames().filter((x) => x.url().includes('page.pdf'))) viewer += await f.locator('embed[type="application/x-google-chrome-pdf"]').count();
      }
      assert.ok(viewer > 0, 'the PDF viewer shows the file');
    } else {
      console.log('# this Chromium has no PDF viewer: checked the frame and the served type only');
    }

    // A long text: the first 256 KiB, and it says so.
    await page.goto(`${server.url}${filePath('media/big.log')}`);
    await page.getByTestId('preview-text').waitFor();
    assert.match(await page.getByTestId('preview-cut').innerText(), /Showing the first 256 KiB of 300 KiB/);
    assert.equal((await page.getByTestId('preview-text').evaluate(inPage<string>('(el) => el.textContent'))).length, 256 * KiB);

    // Another type: no Preview panel at all.
    await page.goto(`${server.url}${filePath('media/data.bin')}`);
    await page.getByTestId('file-summary').waitFor();
    assert.equal(await page.getByTestId('file-preview').count(), 0);
    await ctx.close();
  });

  it('the UI previews exactly the names the server serves inline', () => {
    const exts = 'png jpg jpeg gif webp avif bmp mp4 m4v webm ogv mp3 m4a ogg oga opus wav flac pdf txt md log csv json yaml yml xml html svg js ts py go rs c h sh Makefile bin exe zip tar gz docx xlsx psd heic mkv mov avi wma svgz'.split(' ');
    for (const ext of exts) {
      const name = ext === 'Makefile' ? 'src/Makefile' : `dir/file.${ext}`;
      assert.equal(previewKind(name), previewType(name)?.kind, name);
    }
  });

  it('at 375 px: the Share dialog, its link and the previews fit the screen', T, async () => {
    const ctx = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, hasTouch: true });
    const page = await openApp(ctx);
    await uploadInUi(page, 'phone/', [{ name: 'wide.png', mimeType: 'image/png', buffer: pngBytes(1600, 400) }]);
    await page.goto(`${server.url}${filePath('phone/wide.png')}`);
    const img = page.getByTestId('preview-image');
    await img.waitFor();
    await page.waitForFunction(inPage('() => document.querySelector(\'[data-testid="preview-image"]\')?.naturalWidth > 0'));
    const box = await img.boundingBox();
    assert.ok(box && box.width <= PHONE.width, `the image is scaled down to the screen (${box?.width} px)`);
    assert.ok(((await page.evaluate('document.scrollingElement.scrollWidth')) as number) <= PHONE.width, 'no sideways scrolling');

    await page.getByTestId('file-share').tap();
    const dialog = page.getByTestId('share-dialog');
    await assertOnScreen(page, dialog, 'the share dialog');
    await dialog.getByTestId('share-create').tap();
    await dialog.getByTestId('share-url').waitFor();
    await assertOnScreen(page, dialog, 'the share dialog with its link');
    await assertOnScreen(page, dialog.getByTestId('share-copy'), 'Copy link');
    await dialog.getByTestId('share-done').tap();
    await page.getByTestId('share-row').waitFor();
    await page.getByTestId('share-revoke').scrollIntoViewIfNeeded();
    await assertOnScreen(page, page.getByTestId('share-revoke'), 'Revoke');
    assert.ok(((await page.evaluate('document.scrollingElement.scrollWidth')) as number) <= PHONE.width, 'no sideways scrolling with a link listed');
    await ctx.close();
  });
});
