// The web UI's layout under stress, in Chromium against the real server, at 1280 and 375 px: a
// name of 4,096 bytes (the longest the server takes) must not push the buttons off the first
// screen; tables wider than a phone scroll sideways and show that they do; and the size chart
// keeps its four lines apart to the eye when their values are the same.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { type Server, type Started, startServerAndBrowser, stopStarted, textBytes } from './harness.ts';
import { assertOnScreen, inPage, openApp } from './ui.ts';

const TOKEN = `e2e-${randomBytes(12).toString('hex')}`;
const T = { timeout: 90_000 };
const MiB = 1024 * 1024;

const FOLDER = `${'d'.repeat(1200)}/`;
/** 4,096 bytes: a 1,200-character folder and a 2,891-character name. */
const LONG = `${FOLDER}${'n'.repeat(2891)}.txt`;
const SHORT = 'notes.txt';
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 375, height: 740 },
];

let server: Server;
let browser: Browser;
const started: Started = {};
let base: string;

before(async () => {
  assert.equal(Buffer.byteLength(LONG), 4096);
  // Three disks and two copies of every chunk, so the copies table has rows to show.
  const initArgs = ['--backend', 'disk-a=fs:disk-a', '--backend', 'disk-b=fs:disk-b', '--backend', 'disk-c=fs:disk-c', '--replicate', '2', '--chunk-size', '256K'];
  ({ server, browser } = await startServerAndBrowser({ token: TOKEN, initArgs }, started));
  base = server.url;
  for (const name of [LONG, SHORT]) {
    const res = await server.api(`/api/v1/files/${encodeURIComponent(name)}?codec=zstd`, { method: 'PUT', body: textBytes(900_000, 3) });
    assert.equal(res.status, 201, `PUT ${name.slice(0, 20)}…`);
  }
});

after(async () => {
  await stopStarted(started);
});

const newContext = (viewport: { width: number; height: number }) =>
  browser.newContext({ viewport, ...(viewport.width < 400 ? { deviceScaleFactor: 2, hasTouch: true } : {}) });

async function pageScrollWidth(page: Page): Promise<number> {
  return (await page.evaluate('document.scrollingElement.scrollWidth')) as number;
}

interface Scroller {
  scrollWidth: number;
  clientWidth: number;
  overflowX: string;
  /** the shade over each edge of the box: visible, and drawn (a gradient) */
  left: { opacity: string; drawn: boolean };
  right: { opacity: string; drawn: boolean };
}

/** The box a table scrolls in (the table's parent), and the edge shades its wrapper draws over it. */
function scrollerOf(table: Locator): Promise<Scroller> {
  return table.evaluate(
    inPage<Scroller>(`(table) => {
    const box = table.parentElement;
    const shade = (which) => {
      const s = getComputedStyle(box.parentElement, which);
      return { opacity: s.opacity, drawn: s.content !== 'none' && s.backgroundImage.includes('gradient') };
    };
    return { scrollWidth: box.scrollWidth, clientWidth: box.clientWidth, overflowX: getComputedStyle(box).overflowX, left: shade('::before'), right: shade('::after') };
  }`),
  );
}

/** Waits for the shades to settle (they fade in 0.15 s) and fails unless they end up as `want`. */
async function assertShades(table: Locator, want: { left: boolean; right: boolean }, what: string): Promise<void> {
  const opacity = (on: boolean): string => (on ? '1' : '0');
  for (let i = 0; ; i++) {
    const s = await scrollerOf(table);
    const ok = s.left.opacity === opacity(want.left) && s.right.opacity === opacity(want.right) && (!want.left || s.left.drawn) && (!want.right || s.right.drawn);
    if (ok) return;
    assert.ok(i < 40, `${what}: shades left ${JSON.stringify(s.left)}, right ${JSON.stringify(s.right)}; want left ${want.left}, right ${want.right}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Fails unless the table is wider than its box, the box scrolls, and the shades say where there is more. */
async function assertScrollsVisibly(table: Locator, what: string): Promise<void> {
  await table.waitFor();
  const s = await scrollerOf(table);
  assert.ok(s.scrollWidth > s.clientWidth, `${what}: the table (${s.scrollWidth} px) is wider than its box (${s.clientWidth} px)`);
  assert.ok(s.overflowX === 'auto' || s.overflowX === 'scroll', `${what}: the box scrolls sideways (overflow-x ${s.overflowX})`);
  await assertShades(table, { left: false, right: true }, `${what}, at the start: a shade on the right edge says there is more`);
  await table.evaluate(inPage('(table) => { table.parentElement.scrollLeft = table.parentElement.scrollWidth; }'));
  await assertShades(table, { left: true, right: false }, `${what}, scrolled to the end: the shade moves to the left edge`);
}

describe('web UI layout in Chromium', () => {
  it('a 4,096-byte name leaves Download and Delete on the first screen at 1280 and 375 px, with the full name to copy', T, async () => {
    for (const viewport of VIEWPORTS) {
      const at = `${viewport.width} px`;
      const ctx = await newContext(viewport);
      await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
      const page = await openApp(ctx, base, TOKEN, `/file?name=${encodeURIComponent(LONG)}`);
      const download = page.getByTestId('file-download');
      await download.waitFor();
      await assertOnScreen(page, download, `the Download button at ${at}`);
      await assertOnScreen(page, page.getByTestId('file-delete'), `the Delete file button at ${at}`);
      assert.ok((await pageScrollWidth(page)) <= viewport.width, `no sideways scrolling at ${at}`);
      // The name is shortened on screen, not lost: it is the title's tooltip, and Copy name copies it.
      assert.equal(await page.getByTestId('file-name').getAttribute('title'), LONG.slice(FOLDER.length));
      await page.getByTestId('copy-name').click();
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), LONG);

      // Deleting asks first; the dialog's buttons are on screen too.
      await page.getByTestId('file-delete').click();
      await assertOnScreen(page, page.getByTestId('confirm-button'), `the dialog's Delete button at ${at}`);
      await page.keyboard.press('Escape');

      // The folder lists: the long folder's row and the long file's row keep their buttons in view.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Files' }).click();
      const shortRow = page.locator(`[data-testid="file-row"][data-name="${SHORT}"]`);
      await shortRow.waitFor();
      await assertOnScreen(page, shortRow.getByTestId('download-link'), `Download of ${SHORT} beside the long folder at ${at}`);
      assert.ok((await pageScrollWidth(page)) <= viewport.width, `no sideways scrolling of the root folder at ${at}`);
      await page.locator('[data-testid="folder-row"]').getByTestId('folder-link').click();
      // The long file's own row: until the folder's listing arrives, the root's rows are still there.
      const longRow = page.locator(`[data-testid="file-row"][data-name="${LONG}"]`);
      await longRow.waitFor();
      await assertOnScreen(page, longRow.getByTestId('download-link'), `Download of the long name in its folder at ${at}`);
      await ctx.close();
    }
  });

  it('at 375 px the codecs, copies and backends tables scroll sideways and show that they do', T, async () => {
    const ctx = await newContext({ width: 375, height: 740 });
    const page = await openApp(ctx, base, TOKEN, `/file?name=${encodeURIComponent(SHORT)}`);
    await assertScrollsVisibly(page.getByTestId('codec-breakdown').locator('table'), 'file page, codecs');
    await assertScrollsVisibly(page.getByTestId('file-copies').locator('table'), 'file page, copies');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await assertScrollsVisibly(page.getByTestId('chart-codecs').locator('table'), 'dashboard, codecs');
    await assertScrollsVisibly(page.getByTestId('chart-backends').locator('table'), 'dashboard, backends');
    assert.ok((await pageScrollWidth(page)) <= 375, 'the page itself does not scroll sideways');
    await ctx.close();
  });

  it('the size chart shows all four lines, and their values, when the four sizes are the same', T, async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 2 });
    const page = await openApp(ctx, base, TOKEN);
    // A repository where nothing deduplicates, compresses or has a second copy: the sizes coincide.
    const t0 = Date.now() - 10 * 60_000;
    const samples = Array.from({ length: 8 }, (_, i) => {
      const bytes = (i + 1) * 3 * MiB;
      return { at: t0 + i * 60_000, files: i + 1, logicalBytes: bytes, uniqueBytes: bytes, storedBytes: bytes, physicalBytes: bytes };
    });
    await page.route(/\/api\/v1\/stats\/history/, (route) => route.fulfill({ contentType: 'application/json', body: JSON.stringify({ samples }) }));
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    const chart = page.getByTestId('chart-history');
    await chart.locator('.recharts-cartesian-grid').waitFor();
    await page.waitForTimeout(300); // the chart measures its box after the first paint
    await page.mouse.move(0, 0);

    // Four lines are drawn, each in its own colour…
    const colours = await chart.evaluate(
      inPage<string[]>('(el) => [...el.querySelectorAll("path.recharts-curve")].filter((p) => (p.getAttribute("stroke") ?? "none") !== "none" && p.getAttribute("d")).map((p) => p.getAttribute("stroke"))'),
    );
    assert.equal(new Set(colours).size, 4, `four stroked lines in four colours: ${colours.join(', ')}`);

    // …and each can be seen: the plot area shows pixels of every line's colour.
    const plot = await chart.locator('.recharts-cartesian-grid').boundingBox();
    assert.ok(plot);
    const png = await page.screenshot({ clip: plot });
    const counts = await page.evaluate(
      inPage<number[]>(`async ({ png, colours }) => {
        const img = new Image();
        img.src = 'data:image/png;base64,' + png;
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.width;
        canvas.height = img.height;
        const g = canvas.getContext('2d');
        g.drawImage(img, 0, 0);
        const px = g.getImageData(0, 0, img.width, img.height).data;
        const rgb = colours.map((c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16)));
        const counts = colours.map(() => 0);
        for (let i = 0; i < px.length; i += 4) {
          rgb.forEach(([r, gr, b], k) => {
            if (Math.abs(px[i] - r) + Math.abs(px[i + 1] - gr) + Math.abs(px[i + 2] - b) < 24) counts[k]++;
          });
        }
        return counts;
      }`),
      { png: png.toString('base64'), colours },
    );
    colours.forEach((c, k) => assert.ok(counts[k]! > 200, `the line in ${c} shows (${counts[k]} pixels of its colour; all: ${counts.join(', ')})`));

    // The legend gives each size's value and says that they are the same.
    const items = await page.getByTestId('history-legend').getByRole('listitem').allInnerTexts();
    assert.equal(items.length, 4);
    for (const label of ['logical', 'after dedup', 'stored', 'physical']) {
      const item = items.find((t) => t.startsWith(label));
      assert.ok(item, `${label} in the legend: ${items.join(' | ')}`);
      assert.match(item, /24\.0 MiB/);
    }
    assert.match(await page.getByTestId('history-same').innerText(), /logical = after dedup = stored = physical/);
    await ctx.close();
  });
});
