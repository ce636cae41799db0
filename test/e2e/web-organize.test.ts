// Organising files in the web UI, in Chromium against the real server: rename and move of files
// and folders (from the list and the file page, with the refusal of a taken name), restoring an
// older version as the latest, ticking rows to download them as one ZIP or delete them together,
// and uploading a folder with its tree kept (picked, and dropped). At 1280 px, and usable at 375 px.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { noiseBytes, type Server, type Started, startServerAndBrowser, stopStarted, textBytes } from './harness.ts';
import { assertOnScreen, inPage, openApp as openAppAt, waitDone } from './ui.ts';
import { unzip } from '../helpers/unzip.ts';

const TOKEN = `e2e-${randomBytes(12).toString('hex')}`;
const T = { timeout: 90_000 };
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 375, height: 740 };

let server: Server;
let browser: Browser;
const started: Started = {};
let inputs: string;

before(async () => {
  inputs = await mkdtemp(join(tmpdir(), 'dcs-e2e-organize-'));
  ({ server, browser } = await startServerAndBrowser({ token: TOKEN, initArgs: ['--chunk-size', '64K'] }, started));
});

after(async () => {
  await stopStarted(started);
  if (inputs) await rm(inputs, { recursive: true, force: true });
});

// --- helpers ---------------------------------------------------------------------------------

const openApp = (ctx: BrowserContext, path = '/'): Promise<Page> => openAppAt(ctx, server.url, TOKEN, path);
const attr = (v: string): string => JSON.stringify(v);
const fileRow = (page: Page, name: string): Locator => page.locator(`[data-testid="file-row"][data-name=${attr(name)}]`);
const folderRow = (page: Page, name: string): Locator => page.locator(`[data-testid="folder-row"][data-name=${attr(name)}]`);
const filesPath = (prefix: string): string => `/files?prefix=${encodeURIComponent(prefix)}`;

/** Stores `bytes` as `name` through the HTTP API (a real upload, without the upload page). */
async function put(name: string, bytes: Buffer): Promise<void> {
  const res = await server.api(`/api/v1/files/${encodeURIComponent(name)}`, { method: 'PUT', body: bytes });
  assert.equal(res.status, 201, `PUT ${name}: ${await res.text()}`);
}

/** The bytes the server holds for `name`, or its HTTP status when it has none. */
async function stored(name: string): Promise<Buffer | number> {
  const res = await server.api(`/api/v1/files/${encodeURIComponent(name)}`);
  return res.status === 200 ? Buffer.from(await res.arrayBuffer()) : res.status;
}

async function names(prefix: string): Promise<string[]> {
  const res = await server.api(`/api/v1/files?prefix=${encodeURIComponent(prefix)}&limit=1000`);
  return ((await res.json()) as { files: { name: string }[] }).files.map((f) => f.name);
}

async function pageScrollWidth(page: Page): Promise<number> {
  return (await page.evaluate('document.scrollingElement.scrollWidth')) as number;
}

/** Opens the rename or move dialog from `button`, types `value`, and submits. */
async function moveWith(page: Page, button: Locator, value: string): Promise<Locator> {
  await button.click();
  const dialog = page.getByTestId('move-dialog');
  await dialog.waitFor();
  await dialog.getByTestId('move-input').fill(value);
  await dialog.getByTestId('move-submit').click();
  return dialog;
}

// --- tests -----------------------------------------------------------------------------------

describe('organising files in the web UI', () => {
  it('renames and moves files and folders from the list and the file page; a taken name says so (409)', T, async () => {
    const report = textBytes(150_000, 1);
    const plan = textBytes(20_000, 2);
    const olds = { 'work/old/a.txt': textBytes(5000, 3), 'work/old/deeper/b.txt': textBytes(6000, 4) };
    await put('work/report.txt', report);
    await put('work/plan.txt', plan);
    for (const [n, b] of Object.entries(olds)) await put(n, b);
    await put('archive/keep.txt', textBytes(1000, 5));
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const page = await openApp(ctx, filesPath('work/'));

    // Rename a file from its row: the dialog shows its name and what it becomes.
    await fileRow(page, 'work/report.txt').getByTestId('rename-button').click();
    const dialog = page.getByTestId('move-dialog');
    assert.equal(await dialog.getByTestId('move-input').inputValue(), 'report.txt');
    await dialog.getByTestId('move-input').fill('report-final.txt');
    assert.match(await dialog.getByTestId('move-target').innerText(), /Becomes work\/report-final\.txt/);
    await dialog.getByTestId('move-submit').click();
    await dialog.waitFor({ state: 'detached' });
    await fileRow(page, 'work/report-final.txt').waitFor();
    assert.equal(await fileRow(page, 'work/report.txt').count(), 0);
    assert.match(await page.getByTestId('files-notice').innerText(), /Renamed work\/report\.txt to work\/report-final\.txt/);
    assert.deepEqual(await stored('work/report-final.txt'), report, 'the same bytes under the new name');
    assert.equal(await stored('work/report.txt'), 404);

    // A name that is taken: the server refuses (409) and the dialog says what is in the way.
    await moveWith(page, fileRow(page, 'work/plan.txt').getByTestId('rename-button'), 'report-final.txt');
    const refusal = dialog.getByTestId('move-error');
    await refusal.waitFor();
    assert.equal(await refusal.getAttribute('data-status'), '409');
    assert.match(await refusal.innerText(), /work\/report-final\.txt exists already: nothing was moved/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.deepEqual(await stored('work/plan.txt'), plan, 'the refused rename changed nothing');
    assert.deepEqual(await stored('work/report-final.txt'), report);

    // Move a folder (with a subfolder) into another folder: the path field starts at its folder.
    await folderRow(page, 'work/old/').getByTestId('move-button').click();
    assert.equal(await dialog.getByTestId('move-input').inputValue(), 'work/');
    // Into itself is refused before asking the server.
    await dialog.getByTestId('move-input').fill('work/old/inner/');
    assert.match(await dialog.getByTestId('move-target').innerText(), /cannot go inside itself/);
    assert.equal(await dialog.getByTestId('move-submit').isDisabled(), true);
    await dialog.getByTestId('move-input').fill('archive/');
    assert.match(await dialog.getByTestId('move-target').innerText(), /Becomes archive\/old\/ \(with everything in it\)/);
    await dialog.getByTestId('move-submit').click();
    await folderRow(page, 'work/old/').waitFor({ state: 'detached' });
    assert.match(await page.getByTestId('files-notice').innerText(), /Moved work\/old\/ \(2 files\) to archive\/old\//);
    assert.deepEqual(await names('archive/old/'), ['archive/old/a.txt', 'archive/old/deeper/b.txt']);
    assert.deepEqual(await stored('archive/old/deeper/b.txt'), olds['work/old/deeper/b.txt']);

    // Rename a folder from its row, in the folder it moved to.
    await page.goto(`${server.url}${filesPath('archive/')}`);
    await moveWith(page, folderRow(page, 'archive/old/').getByTestId('rename-button'), '2023');
    await folderRow(page, 'archive/2023/').waitFor();
    assert.deepEqual(await names('archive/2023/'), ['archive/2023/a.txt', 'archive/2023/deeper/b.txt']);
    assert.deepEqual(await names('archive/old/'), []);

    // From the file page: Move to… then Rename; the page follows the file to its new name.
    await page.goto(`${server.url}/file?name=${encodeURIComponent('work/report-final.txt')}`);
    await page.getByTestId('file-summary').waitFor();
    await page.getByTestId('file-move').click();
    assert.equal(await dialog.getByTestId('move-input').inputValue(), 'work/');
    await dialog.getByTestId('move-input').fill('archive');
    await dialog.getByTestId('move-submit').click();
    await page.waitForURL(/\/file\?name=archive%2Freport-final\.txt$/);
    await page.getByTestId('file-summary').waitFor();
    assert.equal(await page.getByTestId('file-name').innerText(), 'report-final.txt');
    assert.match(await page.getByRole('navigation', { name: 'Breadcrumbs' }).innerText(), /archive/);
    assert.match(await page.getByTestId('file-notice').innerText(), /Moved from work\/report-final\.txt/);
    await moveWith(page, page.getByTestId('file-rename'), 'report-2024.txt');
    await page.waitForURL(/\/file\?name=archive%2Freport-2024\.txt$/);
    assert.equal(await page.getByTestId('file-name').innerText(), 'report-2024.txt');
    assert.deepEqual(await stored('archive/report-2024.txt'), report);
    assert.deepEqual(await names('work/'), ['work/plan.txt']);

    // A taken name from the file page: the dialog says so and the page stays.
    await moveWith(page, page.getByTestId('file-rename'), 'keep.txt');
    await dialog.getByTestId('move-error').waitFor();
    assert.match(await dialog.getByTestId('move-error').innerText(), /archive\/keep\.txt exists already/);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    assert.match(page.url(), /name=archive%2Freport-2024\.txt$/);
    await ctx.close();
  });

  it('restores an older version as the latest, which then downloads', T, async () => {
    const v1 = textBytes(80_000, 11);
    const v2 = textBytes(90_000, 12);
    await put('history/notes.txt', v1);
    await put('history/notes.txt', v2);
    const ctx = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    const page = await openApp(ctx, `/file?name=${encodeURIComponent('history/notes.txt')}`);
    const row = (v: number): Locator => page.locator(`[data-testid="version-row"][data-version="${v}"]`);
    await row(2).waitFor();
    assert.equal(await row(2).getByTestId('version-restore').count(), 0, 'the latest has nothing to restore');
    assert.equal(await row(2).getByTestId('latest-badge').count(), 1);

    await row(1).getByTestId('version-restore').click();
    await row(3).waitFor();
    assert.match(await page.getByTestId('file-notice').innerText(), /Version 1 restored: it is now version 3, the latest/);
    assert.match(await row(3).innerText(), /v3 \(shown\)/);
    assert.equal(await row(3).getByTestId('latest-badge').count(), 1, 'version 3 is the latest');
    assert.equal(await row(2).getByTestId('latest-badge').count(), 0);
    assert.equal(await row(3).getByTestId('version-restore').count(), 0);
    assert.equal(await page.getByTestId('version-row').count(), 3, 'restoring adds a version, it removes none');

    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('file-download').click()]);
    assert.deepEqual(await readFile(await dl.path()), v1, 'the latest is version 1 again');
    assert.deepEqual(await stored('history/notes.txt'), v1);
    // Metadata only: version 3 is made of version 1's chunks.
    const stat = (await (await server.api(`/api/v1/stat/${encodeURIComponent('history/notes.txt')}`)).json()) as { sharedChunks: number; uniqueChunks: number };
    assert.equal(stat.sharedChunks, stat.uniqueChunks, 'every chunk of version 3 is shared with version 1');
    await ctx.close();
  });

  it('ticks two files and a folder, downloads them as one ZIP with the exact bytes, and deletes them together', T, async () => {
    const files: Record<string, Buffer> = {
      'bulk/a.txt': textBytes(40_000, 21),
      'bulk/b.bin': noiseBytes(70_000, 22),
      'bulk/c.txt': textBytes(3000, 23),
      'bulk/sub/x.txt': textBytes(9000, 24),
      'bulk/sub/deeper/y.bin': noiseBytes(12_000, 25),
    };
    for (const [n, b] of Object.entries(files)) await put(n, b);
    await put('bulk/a.txt', files['bulk/a.txt']!); // a second version, which the delete removes too
    const ctx = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    const page = await openApp(ctx, filesPath('bulk/'));
    await fileRow(page, 'bulk/c.txt').waitFor();
    const bar = page.getByTestId('selection-bar');

    // Select all ticks every row on the page, and unticks them.
    await bar.getByTestId('select-all').check();
    assert.match(await bar.getByTestId('selection-count').innerText(), /4 selected \(3 files and 1 folder\)/);
    await bar.getByTestId('select-all').uncheck();
    assert.equal(await page.getByTestId('row-select').and(page.locator(':checked')).count(), 0);

    await fileRow(page, 'bulk/a.txt').getByTestId('row-select').check();
    await fileRow(page, 'bulk/b.bin').getByTestId('row-select').check();
    await folderRow(page, 'bulk/sub/').getByTestId('row-select').check();
    assert.match(await bar.getByTestId('selection-count').innerText(), /3 selected \(2 files and 1 folder\)/);
    assert.equal(await bar.getByTestId('select-all').evaluate(inPage<boolean>('(el) => el.indeterminate')), true, 'some, not all: Select all shows a dash');

    const [dl] = await Promise.all([page.waitForEvent('download'), bar.getByTestId('selection-download').click()]);
    assert.match(dl.suggestedFilename(), /^dcs-.+\.zip$/);
    const entries = await unzip(await readFile(await dl.path()));
    // Named relative to the folder shown: a.txt, not bulk/a.txt.
    assert.deepEqual([...entries.keys()].sort(), ['a.txt', 'b.bin', 'sub/deeper/y.bin', 'sub/x.txt']);
    for (const [name, bytes] of entries) assert.deepEqual(bytes, files[`bulk/${name}`], `${name} in the zip`);

    await bar.getByTestId('selection-delete').click();
    const confirm = page.getByTestId('confirm-dialog');
    await confirm.waitFor();
    assert.match(await confirm.locator('h2').innerText(), /Delete 2 files and 1 folder\?/);
    assert.match(await confirm.getByTestId('bulk-delete-summary').innerText(), /2 files, with all 3 of their versions/);
    assert.deepEqual(await confirm.getByTestId('bulk-delete-files').locator('li').allInnerTexts(), ['bulk/a.txt', 'bulk/b.bin']);
    assert.deepEqual(await confirm.getByTestId('bulk-delete-folders').locator('li').allInnerTexts(), ['bulk/sub/']);
    await page.getByTestId('confirm-button').click();
    await confirm.waitFor({ state: 'detached' });
    assert.match(await page.getByTestId('files-notice').innerText(), /Deleted 4 files \(5 versions\)/);
    await folderRow(page, 'bulk/sub/').waitFor({ state: 'detached' });
    assert.deepEqual(await page.getByTestId('file-row').evaluateAll(inPage<string[]>('(rows) => rows.map((r) => r.dataset.name)')), ['bulk/c.txt']);
    assert.equal(await bar.getByTestId('selection-count').count(), 0, 'nothing is selected after the delete');
    assert.deepEqual(await names('bulk/'), ['bulk/c.txt']);
    await ctx.close();
  });

  it('a selection too long for one download URL says to select folders or fewer files; a folder downloads and deletes from its row', T, async () => {
    // 90 names of ~100 characters: their URL would be ~9,500 characters.
    const many = Array.from({ length: 90 }, (_, i) => `wide/${'long-file-name-'.repeat(6)}${String(i).padStart(3, '0')}.txt`);
    for (let i = 0; i < many.length; i += 15) await Promise.all(many.slice(i, i + 15).map((n, j) => put(n, textBytes(200, i + j))));
    const ctx = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
    const page = await openApp(ctx, filesPath('wide/'));
    await page.getByTestId('file-row').first().waitFor();
    const bar = page.getByTestId('selection-bar');
    await bar.getByTestId('select-all').check();
    assert.match(await bar.getByTestId('selection-count').innerText(), /90 selected/);
    assert.match(await bar.getByTestId('selection-too-many').innerText(), /Too many files selected to download at once — select folders or fewer files/);
    assert.equal(await bar.getByTestId('selection-download').count(), 0);

    // The folder instead: one short URL for all 90.
    await page.goto(`${server.url}/files`);
    await folderRow(page, 'wide/').getByTestId('row-select').check();
    const [dl] = await Promise.all([page.waitForEvent('download'), bar.getByTestId('selection-download').click()]);
    const entries = await unzip(await readFile(await dl.path()));
    assert.equal(entries.size, 90);
    assert.ok(entries.has(many[0]!), 'named from the top: the folder is in the names');

    // A folder's own row: Download (the same ZIP) and Delete (with all it holds, after asking).
    const [rowDl] = await Promise.all([page.waitForEvent('download'), folderRow(page, 'wide/').getByTestId('folder-download').click()]);
    assert.deepEqual([...(await unzip(await readFile(await rowDl.path()))).keys()].sort(), [...many].sort());
    await folderRow(page, 'wide/').getByTestId('folder-delete').click();
    assert.match(await page.getByTestId('confirm-dialog').innerText(), /Delete 1 folder\?[\s\S]*every file in it[\s\S]*wide\//);
    await page.getByTestId('confirm-button').click();
    await folderRow(page, 'wide/').waitFor({ state: 'detached' });
    assert.match(await page.getByTestId('files-notice').innerText(), /Deleted 90 files \(90 versions\)/);
    assert.deepEqual(await names('wide/'), []);
    await ctx.close();
  });

  it('uploads a picked folder and a dropped folder with their trees kept', T, async () => {
    const tree: Record<string, Buffer> = {
      'shoot/readme.txt': textBytes(2000, 31),
      'shoot/raw/img-1.bin': noiseBytes(30_000, 32),
      'shoot/raw/deep/img-2.bin': noiseBytes(20_000, 33),
    };
    for (const [rel, bytes] of Object.entries(tree)) {
      await mkdir(dirname(join(inputs, rel)), { recursive: true });
      await writeFile(join(inputs, rel), bytes);
    }
    const ctx = await browser.newContext({ viewport: DESKTOP });
    const page = await openApp(ctx);
    await page.getByTestId('prefix-input').fill('uploads/');
    // Playwright hands a directory to an <input webkitdirectory> as the browser's folder picker does.
    await page.getByTestId('folder-input').setInputFiles(join(inputs, 'shoot'));
    for (const rel of Object.keys(tree)) await waitDone(page, `uploads/${rel}`);
    for (const [rel, bytes] of Object.entries(tree)) assert.deepEqual(await stored(`uploads/${rel}`), bytes, rel);

    // The tree in the file browser: uploads/ → shoot/ → raw/ → deep/.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Files' }).click();
    await folderRow(page, 'uploads/').getByTestId('folder-link').click();
    await folderRow(page, 'uploads/shoot/').getByTestId('folder-link').click();
    await fileRow(page, 'uploads/shoot/readme.txt').waitFor();
    await folderRow(page, 'uploads/shoot/raw/').getByTestId('folder-link').click();
    await fileRow(page, 'uploads/shoot/raw/img-1.bin').waitFor();
    assert.deepEqual(await page.getByTestId('folder-row').evaluateAll(inPage<string[]>('(rows) => rows.map((r) => r.dataset.name)')), ['uploads/shoot/raw/deep/']);

    // A dropped folder. A headless browser cannot drag from the desktop, so the drop carries
    // entries shaped as Chromium's FileSystem API hands them (a directory whose reader returns its
    // children in batches, then an empty batch).
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Upload' }).click();
    await page.getByTestId('prefix-input').fill('dropped/');
    await page.getByTestId('dropzone').evaluate(
      inPage(`(zone) => {
      const file = (path, text) => ({ isFile: true, isDirectory: false, name: path.split('/').pop(), fullPath: '/' + path,
        file: (ok) => ok(new File([text], path.split('/').pop(), { type: 'text/plain' })) });
      const dir = (path, batches) => ({ isFile: false, isDirectory: true, name: path.split('/').pop(), fullPath: '/' + path,
        createReader: () => { let i = 0; return { readEntries: (ok) => setTimeout(() => ok(batches[i++] ?? []), 5) }; } });
      const album = dir('album', [
        [file('album/one.txt', 'first file'), dir('album/sub', [[file('album/sub/two.txt', 'second file')]])],
        [file('album/three.txt', 'third file, in the second batch')],
      ]);
      const items = [{ kind: 'file', webkitGetAsEntry: () => album, getAsFile: () => null }];
      const drop = new DragEvent('drop', { bubbles: true, cancelable: true });
      Object.defineProperty(drop, 'dataTransfer', { value: { items, files: [], dropEffect: 'copy' } });
      zone.dispatchEvent(drop);
    }`),
    );
    for (const rel of ['album/one.txt', 'album/sub/two.txt', 'album/three.txt']) await waitDone(page, `dropped/${rel}`);
    assert.deepEqual((await names('dropped/')).sort(), ['dropped/album/one.txt', 'dropped/album/sub/two.txt', 'dropped/album/three.txt'].sort());
    assert.deepEqual(await stored('dropped/album/sub/two.txt'), Buffer.from('second file'));
    await ctx.close();
  });

  it('at 375 px: ticked rows, their actions and the rename dialog fit the screen', T, async () => {
    await put('phone/first.txt', textBytes(1000, 41));
    await put('phone/second.txt', textBytes(1000, 42));
    await put('phone/folder/inner.txt', textBytes(1000, 43));
    const ctx = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, hasTouch: true });
    const page = await openApp(ctx, filesPath('phone/'));
    await fileRow(page, 'phone/first.txt').waitFor();
    await fileRow(page, 'phone/first.txt').getByTestId('row-select').tap();
    await folderRow(page, 'phone/folder/').getByTestId('row-select').tap();
    const bar = page.getByTestId('selection-bar');
    assert.match(await bar.getByTestId('selection-count').innerText(), /2 selected/);
    for (const id of ['select-all', 'selection-download', 'selection-delete', 'selection-clear']) await assertOnScreen(page, bar.getByTestId(id), id);
    for (const id of ['rename-button', 'move-button', 'delete-button']) await assertOnScreen(page, fileRow(page, 'phone/first.txt').getByTestId(id), `row ${id}`);
    assert.ok((await pageScrollWidth(page)) <= PHONE.width, `file list scrollWidth ${await pageScrollWidth(page)}`);

    await fileRow(page, 'phone/second.txt').getByTestId('rename-button').tap();
    const dialog = page.getByTestId('move-dialog');
    await dialog.waitFor();
    await assertOnScreen(page, dialog, 'the rename dialog');
    await dialog.getByTestId('move-input').fill('2nd.txt');
    await dialog.getByTestId('move-submit').tap();
    await fileRow(page, 'phone/2nd.txt').waitFor();

    await page.goto(`${server.url}/file?name=${encodeURIComponent('phone/2nd.txt')}`);
    await page.getByTestId('file-summary').waitFor();
    for (const id of ['file-download', 'file-share', 'file-rename', 'file-move', 'file-delete']) await assertOnScreen(page, page.getByTestId(id), id);
    assert.ok((await pageScrollWidth(page)) <= PHONE.width, `file page scrollWidth ${await pageScrollWidth(page)}`);
    await page.getByTestId('file-move').tap();
    await assertOnScreen(page, page.getByTestId('move-dialog'), 'the move dialog');
    await ctx.close();
  });
});
