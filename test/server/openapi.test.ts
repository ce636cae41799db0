// docs/openapi.yaml is the HTTP API's contract: every route the server answers is documented there,
// and every documented API operation exists.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ROUTES } from '../../src/server/http-api.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'head', 'patch'];

describe('docs/openapi.yaml', () => {
  const spec = parse(readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8')) as {
    openapi: string;
    paths: Record<string, Record<string, unknown>>;
    components: { schemas: Record<string, unknown> };
  };

  it('is OpenAPI 3.1 and every $ref points at a defined schema or response', () => {
    assert.equal(spec.openapi, '3.1.0');
    const text = readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8');
    const refs = [...text.matchAll(/\$ref: '#\/components\/(schemas|responses)\/(\w+)'/g)];
    assert.ok(refs.length > 20);
    const components = spec.components as unknown as Record<string, Record<string, unknown>>;
    for (const [, kind, name] of refs) assert.ok(components[kind!]?.[name!], `${kind}/${name} is defined`);
  });

  it('documents exactly the routes the server has', () => {
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(spec.paths)) {
      if (!path.startsWith('/api/')) continue;
      for (const m of METHODS) if (item[m]) documented.add(`${m.toUpperCase()} ${path}`);
    }
    const served = new Set(ROUTES.map((r) => `${r.method} ${r.doc}`));
    served.add('POST /api/v1/session');
    served.add('DELETE /api/v1/session');
    assert.deepEqual([...served].filter((r) => !documented.has(r)), [], 'served but not documented');
    assert.deepEqual([...documented].filter((r) => !served.has(r)), [], 'documented but not served');
  });
});
