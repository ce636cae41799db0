// The web UI when something goes wrong, in Chromium against the real server: a page whose code
// cannot be fetched (the server restarting; an upgrade while the tab is open), a login link opened
// in a tab that shows the login screen, what the login screen says and when, and uploads the
// server refuses (no Retry, the reason in full) next to ones worth trying again.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator } from 'playwright-core';
import { type Server, type Started, startServerAndBrowser, stopStarted, textBytes } from './harness.ts';
import { inPage, openApp, uploadRow, waitDone } from './ui.ts';

const TOKEN = `e2e-${randomBytes(12).toString('hex')}`;
const T = { timeout: 60_000 };

let server: Server;
let browser: Browser;
const started: Started = {};
let base: string;

before(async () => {
  ({ server, browser } = await startServerAndBrowser({ token: TOKEN, partSize: '1M' }, started));
  base = server.url;
});

after(async () => {
  await stopStarted(started);
});

/** Every script the app fetches after it started: the chunks of lazily loaded pages. */
const LAZY_CHUNK = /\/assets\/[^/?]+\.js(\?|$)/;

/** Elements inside `locator` (and itself) whose text does not fit: cut off or ellipsized. */
function clipped(locator: Locator): Promise<string[]> {
  return locator.evaluate(
    inPage<string[]>('(el) => [el, ...el.querySelectorAll("*")].filter((e) => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1).map((e) => e.className || e.tagName)'),
  );
}

describe('web UI when things fail, in Chromium', () => {
  it('a page whose code cannot be fetched shows the error and Retry inside the frame; Retry loads it', T, async () => {
    const ctx = await browser.newContext();
    const page = await openApp(ctx, base, TOKEN);
    // The server is restarting: the dashboard's code does not arrive.
    let reachable = false;
    await page.route(LAZY_CHUNK, (route) => (reachable ? route.continue() : route.abort('connectionrefused')));
    const buildChecked = page.waitForResponse((r) => new URL(r.url()).pathname === '/index.html');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();

    const failed = page.getByTestId('page-failed');
    await failed.waitFor({ timeout: 10_000 });
    assert.match(await failed.innerText(), /This page could not be loaded/);
    assert.match(await failed.innerText(), /server may be restarting/);
    assert.ok(await page.getByRole('navigation', { name: 'Main' }).isVisible(), 'the navigation stays');
    assert.ok(await page.getByTestId('sign-out').isVisible(), 'the top bar stays');
    // The page asked the server which build it serves: the same as this tab's, so no reload prompt.
    await buildChecked;
    await page.waitForTimeout(200);
    assert.equal(await page.getByTestId('newer-build').count(), 0, 'same build: no "newer version" prompt');

    // The other pages work meanwhile, and coming back tries again.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Files' }).click();
    await page.getByTestId('file-browser').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await failed.waitFor();

    // The server is back: Retry loads the page (in place; a browser that remembers the failed
    // import reloads once).
    reachable = true;
    await failed.getByRole('button', { name: 'Retry' }).click();
    await page.getByTestId('dashboard-cards').waitFor({ timeout: 30_000 });
    assert.equal(await failed.count(), 0);
    await ctx.close();
  });

  it('when the server was upgraded while the tab was open, a failed page load offers to reload', T, async () => {
    const ctx = await browser.newContext();
    const page = await openApp(ctx, base, TOKEN);
    // After an upgrade the server's index.html names other assets, and this tab's chunks are gone.
    const html = await (await fetch(`${base}/index.html`)).text();
    const upgraded = html.replace(/\/assets\/index-[\w-]+\.js/, '/assets/index-Upgraded1.js');
    assert.notEqual(upgraded, html, 'index.html names a hashed entry script');
    await page.route(/\/index\.html$/, (route) => route.fulfill({ contentType: 'text/html; charset=utf-8', body: upgraded }));
    await page.route(LAZY_CHUNK, (route) => route.fulfill({ status: 404, contentType: 'text/html; charset=utf-8', body: 'not found\n' }));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();

    const banner = page.getByTestId('newer-build');
    await banner.waitFor({ timeout: 10_000 });
    assert.match(await banner.innerText(), /A newer version of dcs is available/);
    assert.match(await page.getByTestId('page-failed').innerText(), /updated on the server/);
    assert.ok(await page.getByRole('navigation', { name: 'Main' }).isVisible(), 'the navigation stays');

    // Reload gets the server's build (here the real one again, once the upgrade is "done").
    await page.unrouteAll();
    await Promise.all([page.waitForEvent('load'), banner.getByRole('button', { name: 'Reload' }).click()]);
    await page.getByTestId('dashboard-cards').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId('newer-build').count(), 0);
    assert.equal(await page.getByTestId('page-failed').count(), 0);
    await ctx.close();
  });

  it('a login link opened in a tab that shows the login screen signs in and leaves no token in the address bar', T, async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${base}/files`);
    await page.getByTestId('login').waitFor();
    let loads = 0;
    page.on('load', () => loads++);

    // Opening the link here changes only the fragment: no page load, just a hashchange.
    await page.goto(`${base}/files#token=${TOKEN}`);
    await page.getByTestId('file-browser').waitFor({ timeout: 10_000 });
    assert.equal(loads, 0, 'the page was not loaded again');
    await page.waitForURL((u) => u.hash === '', { timeout: 5000 });
    assert.equal(new URL(page.url()).pathname, '/files');
    assert.equal(await page.evaluate('localStorage.getItem("dcs.token")'), TOKEN);

    // The same link again in the signed-in tab: taken, and the address bar is clean again.
    await page.goto(`${base}/files#token=${TOKEN}`);
    await page.waitForURL((u) => u.hash === '', { timeout: 5000 });
    await page.getByTestId('file-browser').waitFor();
    await ctx.close();
  });

  it('the login screen says what to do: on a first visit, after signing out, and for a wrong token', T, async () => {
    const ctx = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, hasTouch: true });
    const page = await ctx.newPage();
    await page.goto(`${base}/`);
    const login = page.getByTestId('login');
    await login.waitFor();

    // A first visit is no error: no warning, no server message, and where to find the token.
    assert.equal(await page.getByTestId('login-reason').count(), 0, 'no warning on a first visit');
    const help = await page.getByTestId('login-help').innerText();
    assert.match(help, /dcs start/);
    assert.match(help, /#token=/);
    assert.match(help, /web-token/);
    assert.match(help, /DCS_TOKEN/);
    assert.doesNotMatch(await login.innerText(), /bearer|UNAUTHENTICATED|401/i);

    // A wrong token: what to do, in words, in full (wrapped, not cut off at 375 px).
    await page.getByTestId('token-input').fill('not-the-token');
    await page.getByTestId('login-submit').click();
    const alert = login.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /^!?\s*That token is not accepted by this server\. Check that you pasted all of it, then try again\.$/);
    assert.deepEqual(await clipped(alert), [], 'no part of the message is cut off');

    // Signing out says so, and nothing else.
    await page.getByTestId('token-input').fill(TOKEN);
    await page.getByTestId('login-submit').click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.getByTestId('sign-out').click();
    const reason = page.getByTestId('login-reason');
    await reason.waitFor();
    assert.equal(await reason.innerText(), 'You are signed out.');
    assert.doesNotMatch(await login.innerText(), /bearer|UNAUTHENTICATED|401/i);
    assert.equal(await page.evaluate('localStorage.getItem("dcs.token")'), null);
    await ctx.close();
  });

  it('an upload the server refuses (400, 413) says why and offers no Retry; a 500 keeps Retry; the heading counts failures', T, async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await openApp(ctx, base, TOKEN);
    const pick = (name: string): Promise<void> => page.getByTestId('file-input').setInputFiles({ name, mimeType: 'text/plain', buffer: textBytes(2000) });

    // 400: with this folder the name is longer than the server's 4,096 bytes.
    const folder = `${'f'.repeat(4100)}/`;
    await page.getByTestId('prefix-input').fill(folder);
    await pick('refused.txt');
    const refused = uploadRow(page, `${folder}refused.txt`, 'failed');
    await refused.waitFor();
    assert.equal(await refused.getByTestId('upload-resume').count(), 0, 'no Retry: it would be refused again');
    assert.match(await refused.getByTestId('upload-error').innerText(), /refused the upload — file name longer than 4096 bytes\. Trying again will not help/);
    await page.getByTestId('prefix-input').fill('');

    // 413 from a proxy in front of the server: its HTML page, not dcs's JSON.
    await page.route(/\/api\/v1\/files\/too-big\.bin/, (route) =>
      route.fulfill({ status: 413, contentType: 'text/html', body: '<html>\n<head><title>413 Request Entity Too Large</title></head>\n<body><h1>413 Request Entity Too Large</h1><hr>nginx</body>\n</html>\n' }),
    );
    await pick('too-big.bin');
    const tooBig = uploadRow(page, 'too-big.bin', 'failed');
    await tooBig.waitFor();
    assert.equal(await tooBig.getByTestId('upload-resume').count(), 0, 'no Retry for a 413');
    const why = await tooBig.getByTestId('upload-error').innerText();
    assert.match(why, /too large for the server, or for a proxy in front of it/);
    assert.doesNotMatch(why, /<html>/);
    assert.deepEqual(await clipped(tooBig.getByTestId('upload-error')), [], 'the reason is shown in full');

    // 500: the server failed this time; Retry stays, and works once the server is well.
    let broken = true;
    await page.route(/\/api\/v1\/files\/flaky\.txt/, (route) =>
      broken ? route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error' } }) }) : route.continue(),
    );
    await pick('flaky.txt');
    const flaky = uploadRow(page, 'flaky.txt', 'failed');
    await flaky.waitFor();
    assert.ok(await flaky.getByTestId('upload-resume').isVisible(), 'Retry for a 500');
    assert.match(await flaky.getByTestId('upload-error').innerText(), /Try again in a moment/);
    broken = false;
    await flaky.getByTestId('upload-resume').click();
    await waitDone(page, 'flaky.txt');

    await pick('fine.txt');
    await waitDone(page, 'fine.txt');
    assert.equal(await page.getByTestId('upload-summary').innerText(), '2 finished, 2 failed');
    await ctx.close();
  });
});
