// dcs.yaml validation: the sections distributed mode and resilience added, with clear messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.ts';
import { parseConfig } from '../../src/repository/config.ts';

const base = `version: 1
backends:
  - {name: a, url: "fs:a"}
  - {name: b, url: "grpc://127.0.0.1:7081"}
redundancy: {replicate: 2}
`;

describe('dcs.yaml', () => {
  it('accepts a deployed config without id, with services as a URL or a list', () => {
    const c = parseConfig(`${base}services: {chunker: "http://c:7070", compressor: ["http://x:7070", "http://y:7070"]}\n`, 'dcs.yaml');
    assert.equal(c.id, undefined);
    assert.deepEqual(c.services, { chunker: ['http://c:7070'], compressor: ['http://x:7070', 'http://y:7070'] });
  });

  it('fills resilience defaults and names a bad field in one line', () => {
    const c = parseConfig(`${base}resilience: {timeoutMs: 5000, retry: {retries: 2}}\n`, 'dcs.yaml');
    assert.equal(c.resilience?.timeoutMs, 5000);
    assert.equal(c.resilience?.retry.retries, 2);
    assert.ok((c.resilience?.breaker ? Object.keys(c.resilience.breaker).length : 0) > 0);
    assert.throws(() => parseConfig(`${base}resilience: {timeoutMs: -1}\n`, 'dcs.yaml'), (e: unknown) => e instanceof ConfigError && /resilience\.timeoutMs/.test(e.message) && !e.message.includes('\n'));
    assert.throws(() => parseConfig(`${base}resilience: {retyr: {}}\n`, 'dcs.yaml'), ConfigError);
  });

  it('refuses unknown service kinds', () => {
    assert.throws(() => parseConfig(`${base}services: {zipper: "http://z:1"}\n`, 'dcs.yaml'), (e: unknown) => e instanceof ConfigError && /services/.test(e.message));
  });
});
