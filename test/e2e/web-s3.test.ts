// The web UI's S3 page, in Chromium against a real `dcs serve --s3-listen`: it shows the endpoint;
// a key made there works with the AWS SDK (the secret shown once); buckets the SDK creates appear as
// folders that open in the Files page; a key revoked there is refused at once. Screenshot in
// docs/screenshots/s3.png with UPDATE_SCREENSHOTS=1.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, ListBucketsCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { Browser } from 'playwright-core';
import { ROOT, type Server, type Started, startServerAndBrowser, stopStarted } from './harness.ts';
import { openApp } from './ui.ts';

const TOKEN = `e2e-${randomBytes(12).toString('hex')}`;
const T = { timeout: 90_000 };
const UPDATE = process.env.UPDATE_SCREENSHOTS === '1';

let server: Server;
let browser: Browser;
const started: Started = {};

before(async () => {
  ({ server, browser } = await startServerAndBrowser({ token: TOKEN, extraArgs: ['--s3-listen', '127.0.0.1:0'] }, started));
});

after(async () => {
  await stopStarted(started);
});

describe('the S3 page', () => {
  it('makes a key that works, shows buckets as folders, and revokes the key', T, async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await openApp(ctx, server.url, TOKEN, '/s3');
    const endpoint = await page.getByTestId('s3-endpoint-url').innerText();
    assert.match(endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    await page.getByTestId('s3-create-key').click();
    const id = await page.getByTestId('s3-new-key-id').innerText();
    const secret = await page.getByTestId('s3-new-key-secret').innerText();
    assert.match(id, /^DCS[A-Z2-7]{17}$/);
    assert.equal(secret.length, 40);
    await page.getByTestId('s3-key-row').filter({ hasText: id }).waitFor();

    const s3 = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: id, secretAccessKey: secret }, maxAttempts: 1 });
    await s3.send(new CreateBucketCommand({ Bucket: 'holiday-photos' }));
    await s3.send(new PutObjectCommand({ Bucket: 'holiday-photos', Key: 'beach/day1.txt', Body: 'sand' }));
    await page.reload();
    const bucket = page.getByTestId('s3-bucket-row').filter({ hasText: 'holiday-photos/' });
    await bucket.waitFor();
    if (UPDATE) await page.screenshot({ path: join(ROOT, 'docs', 'screenshots', 's3.png') });
    await bucket.getByRole('link', { name: 'holiday-photos/' }).click();
    await page.waitForURL(/\/files\?prefix=holiday-photos%2F/);
    await page.getByText('beach/').first().waitFor();

    await page.goto(`${server.url}/s3`);
    await page.getByTestId('s3-key-row').filter({ hasText: id }).getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByTestId('s3-key-row').filter({ hasText: id }).waitFor({ state: 'detached' });
    const refused = await s3.send(new ListBucketsCommand({})).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(refused instanceof S3ServiceException && refused.name === 'InvalidAccessKeyId', String(refused));
    await ctx.close();
  });
});
