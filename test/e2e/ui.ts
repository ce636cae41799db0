// Page helpers the browser tests share: signing in by the login link, upload rows and waiting for
// them, and whether an element lies on the screen.
import assert from 'node:assert/strict';
import type { BrowserContext, Locator, Page } from 'playwright-core';

/** Opens `path` with the login link (`#token=…`) and waits for the app's navigation. */
export async function openApp(ctx: BrowserContext, base: string, token: string, path = '/'): Promise<Page> {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.log(`# page error: ${e.message}`));
  await page.goto(`${base}${path}#token=${token}`);
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  return page;
}

const attr = (v: string): string => JSON.stringify(v);

export function uploadRow(page: Page, name: string, state?: string): Locator {
  return page.locator(`[data-testid="upload-row"][data-name=${attr(name)}]${state ? `[data-state=${attr(state)}]` : ''}`);
}

/** Waits for the newest upload row of `name` (rows are newest first) to finish; fails on 'failed'. */
export async function waitDone(page: Page, name: string, timeout = 60_000): Promise<Locator> {
  const row = uploadRow(page, name).first();
  await row.waitFor();
  const deadline = Date.now() + timeout;
  for (;;) {
    const state = await row.getAttribute('data-state');
    if (state === 'done') return row;
    if (state === 'failed') assert.fail(`upload of ${name} failed: ${await row.innerText()}`);
    if (Date.now() > deadline) assert.fail(`upload of ${name} did not finish in ${timeout} ms: ${await row.innerText()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Fails unless `locator` lies wholly inside the viewport as the page is scrolled now. */
export async function assertOnScreen(page: Page, locator: Locator, what: string): Promise<void> {
  const box = await locator.boundingBox();
  const view = page.viewportSize();
  assert.ok(box && view, `${what}: not rendered`);
  const where = `${what} at x ${Math.round(box.x)}–${Math.round(box.x + box.width)}, y ${Math.round(box.y)}–${Math.round(box.y + box.height)} in a ${view.width}×${view.height} viewport`;
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= view.width && box.y + box.height <= view.height, where);
}

/**
 * A function for page.evaluate / locator.evaluate, written as source text: these tests are typed
 * without the DOM library, so code that runs in the page cannot be TypeScript here. (Playwright
 * runs a string as an expression, so a string arrow function would never get its element.)
 */
export function inPage<R>(source: string): (...args: unknown[]) => R | Promise<R> {
  return new Function(`return (${source});`)() as (...args: unknown[]) => R | Promise<R>;
}
