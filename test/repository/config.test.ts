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

  it('gives erasure 2+1 usable default thresholds (success k+m, repair k)', () => {
    const yaml = `version: 1\nbackends:\n  - {name: a, url: "fs:a"}\n  - {name: b, url: "fs:b"}\n  - {name: c, url: "fs:c"}\nredundancy: {erasure: {data: 2, parity: 1}}\n`;
    const r = parseConfig(yaml, 'dcs.yaml').redundancy;
    assert.ok('erasure' in r);
    assert.deepEqual(r.erasure, { data: 2, parity: 1, successThreshold: 3, repairThreshold: 2 });
  });

  it('refuses unknown service kinds', () => {
    assert.throws(() => parseConfig(`${base}services: {zipper: "http://z:1"}\n`, 'dcs.yaml'), (e: unknown) => e instanceof ConfigError && /services/.test(e.message));
  });

  describe('redundancy.erasure', () => {
    const six = `version: 1
backends:
${Array.from({ length: 6 }, (_, i) => `  - {name: b${i}, url: "fs:b${i}"}`).join('\n')}
`;
    const bad = (yaml: string, re: RegExp): void => {
      assert.throws(() => parseConfig(yaml, 'dcs.yaml'), (e: unknown) => e instanceof ConfigError && re.test(e.message) && !e.message.includes('\n'));
    };

    it('accepts data+parity with default thresholds (success k+m, repair k+1) and explicit ones', () => {
      const c = parseConfig(`${six}redundancy: {erasure: {data: 4, parity: 2}}\n`, 'dcs.yaml');
      assert.deepEqual(c.redundancy, { erasure: { data: 4, parity: 2, successThreshold: 6, repairThreshold: 5 } });
      const d = parseConfig(`${six}redundancy: {erasure: {data: 3, parity: 2, successThreshold: 4, repairThreshold: 3}}\n`, 'dcs.yaml');
      assert.deepEqual(d.redundancy, { erasure: { data: 3, parity: 2, successThreshold: 4, repairThreshold: 3 } });
      assert.deepEqual(parseConfig(six, 'dcs.yaml').redundancy, { replicate: 1 });
    });

    it('refuses bad erasure settings in one line', () => {
      bad(`${six}redundancy: {replicate: 2, erasure: {data: 4, parity: 2}}\n`, /either replicate or erasure/);
      bad(`${six}redundancy: {erasure: {data: 5, parity: 2}}\n`, /data \+ parity is 7 but only 6 backend/);
      bad(`${six}redundancy: {erasure: {data: 4, parity: 2, successThreshold: 4}}\n`, /successThreshold is 4; it must be from 5 to 6/);
      bad(`${six}redundancy: {erasure: {data: 4, parity: 2, successThreshold: 7}}\n`, /successThreshold/);
      bad(`${six}redundancy: {erasure: {data: 4, parity: 2, repairThreshold: 3}}\n`, /repairThreshold is 3; it must be from 4/);
      bad(`${six}redundancy: {erasure: {data: 4, parity: 2, successThreshold: 5, repairThreshold: 5}}\n`, /repairThreshold is 5/);
      bad(`${six}redundancy: {erasure: {data: 4}}\n`, /redundancy\.erasure\.parity/);
      bad(`${six}redundancy: {erasure: {data: 0, parity: 2}}\n`, /redundancy\.erasure/);
    });
  });
});
