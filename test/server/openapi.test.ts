// docs/openapi.yaml is the HTTP API's contract: every route the server answers is documented there,
// every documented API operation exists, and the JSON a real server sends matches the schemas
// exactly (no undocumented fields): the web UI's types are generated from those schemas.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { ROUTES } from '../../src/server/http-api.ts';
import { noiseBytes, startServer, textBytes, type Server } from '../e2e/harness.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'head', 'patch'];

interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  items?: Schema;
}
interface Response {
  $ref?: string;
  content?: Record<string, { schema?: Schema }>;
}
interface Spec {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, Response> }>>;
  components: { schemas: Record<string, Schema>; responses: Record<string, Response> };
}

const spec = parse(readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8')) as Spec;

function deref<T extends { $ref?: string }>(x: T): T {
  if (!x.$ref) return x;
  const [, , kind, name] = x.$ref.split('/');
  const target = (spec.components as unknown as Record<string, Record<string, T>>)[kind!]?.[name!];
  assert.ok(target, `${x.$ref} is defined`);
  return deref(target);
}

/** Where `value` differs from `schema` ("$.files[0].ratio: integer expected"); undeclared properties count. */
function mismatches(schema: Schema, value: unknown, at = '$'): string[] {
  const s = deref(schema);
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  if (s.enum && !s.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} is not one of ${s.enum.join(', ')}`];
  switch (s.type) {
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: integer expected, got ${JSON.stringify(value)}`];
    case 'number':
    case 'string':
    case 'boolean':
      return type === s.type ? [] : [`${at}: ${s.type} expected, got ${type}`];
    case 'array':
      if (!Array.isArray(value)) return [`${at}: array expected, got ${type}`];
      return value.flatMap((v, i) => mismatches(s.items ?? {}, v, `${at}[${i}]`));
    case 'object': {
      if (type !== 'object') return [`${at}: object expected, got ${type}`];
      const o = value as Record<string, unknown>;
      const out = (s.required ?? []).filter((k) => !(k in o)).map((k) => `${at}.${k}: missing`);
      for (const [k, v] of Object.entries(o)) {
        const p = s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
        if (p) out.push(...mismatches(p, v, `${at}.${k}`));
        else out.push(`${at}.${k}: not in the schema`);
      }
      return out;
    }
    default:
      return [`${at}: the schema has no type`];
  }
}

describe('docs/openapi.yaml', () => {
  it('is OpenAPI 3.1 and every $ref points at a defined schema or response', () => {
    assert.equal(spec.openapi, '3.1.0');
    const text = readFileSync(new URL('../../docs/openapi.yaml', import.meta.url), 'utf8');
    const refs = [...text.matchAll(/\$ref: '#\/components\/(schemas|responses)\/(\w+)'/g)];
    assert.ok(refs.length > 20);
    const components = spec.components as unknown as Record<string, Record<string, unknown>>;
    for (const [, kind, name] of refs) assert.ok(components[kind!]?.[name!], `${kind}/${name} is defined`);
  });

  it('has no keys without a value (an unquoted comma in a `{ ... }` mapping cuts a description short)', () => {
    const empty: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (node === null) empty.push(at);
      else if (typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, `${at}.${k}`);
    };
    walk(spec, '$');
    assert.deepEqual(empty, []);
  });

  it('documents exactly the routes the server has', () => {
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(spec.paths)) {
      if (!path.startsWith('/api/') && !path.startsWith('/s/')) continue;
      for (const m of METHODS) if (item[m]) documented.add(`${m.toUpperCase()} ${path}`);
    }
    const served = new Set(ROUTES.map((r) => `${r.method} ${r.doc}`));
    served.add('POST /api/v1/session');
    served.add('DELETE /api/v1/session');
    assert.deepEqual([...served].filter((r) => !documented.has(r)), [], 'served but not documented');
    assert.deepEqual([...documented].filter((r) => !served.has(r)), [], 'documented but not served');
  });

  describe('what a running server sends', () => {
    let server: Server;
    before(async () => {
      server = await startServer({ token: 'openapi-test', partSize: '256K', initArgs: ['--backend', 'a=fs:a', '--backend', 'b=fs:b', '--replicate', '2', '--chunk-size', '64K'] });
    });
    after(() => server?.stop());

    /** Sends the request and checks the answer against the operation `method doc` of the spec; returns the body. */
    async function call<T = Record<string, unknown>>(method: string, doc: string, path: string, init: RequestInit = {}): Promise<T> {
      const res = await server.api(path, { ...init, method });
      const text = await res.text();
      const operation = spec.paths[doc]?.[method.toLowerCase()];
      assert.ok(operation, `${method} ${doc} is documented`);
      const documented = operation.responses[String(res.status)];
      assert.ok(documented, `${method} ${path} answered ${res.status}, which ${method} ${doc} does not list (${text.slice(0, 200)})`);
      const schema = deref(documented).content?.['application/json']?.schema;
      if (!schema) {
        assert.equal(text, '', `${method} ${path} ${res.status} has no documented body`);
        return undefined as T;
      }
      const body = JSON.parse(text) as unknown;
      assert.deepEqual(mismatches(schema, body), [], `${method} ${path} ${res.status}: ${text.slice(0, 300)}`);
      return body as T;
    }
    const json = (body: unknown): RequestInit => ({ body: JSON.stringify(body) });

    it('matches the schemas for every JSON answer and every documented error', async () => {
      await call('GET', '/api/v1/info', '/api/v1/info');
      await call('POST', '/api/v1/session', '/api/v1/session', json({ token: 'openapi-test' }));
      await call('POST', '/api/v1/session', '/api/v1/session', json({ token: 'wrong' }));
      await call('DELETE', '/api/v1/session', '/api/v1/session');

      await call('PUT', '/api/v1/files/{name}', '/api/v1/files/logs%2Fa.txt?codec=gzip', { body: textBytes(200_000) });
      await call('PUT', '/api/v1/files/{name}', '/api/v1/files/logs%2Fa.txt', { body: textBytes(200_000) });
      await call('PUT', '/api/v1/files/{name}', '/api/v1/files/x?codec=rar', { body: 'x' });
      await call('PUT', '/api/v1/file', '/api/v1/file?name=.', { body: noiseBytes(1000) });
      await call('GET', '/api/v1/files/{name}', '/api/v1/files/logs%2Fa.txt', { headers: { range: 'bytes=999999-' } });
      await call('GET', '/api/v1/files/{name}', '/api/v1/files/nope');

      await call('GET', '/api/v1/files', '/api/v1/files?delimiter=/');
      const page = await call<{ next?: string }>('GET', '/api/v1/files', '/api/v1/files?limit=1');
      assert.ok(page.next, 'a page with a next cursor');
      await call('GET', '/api/v1/files', '/api/v1/files?q=A.TXT');
      await call('GET', '/api/v1/files', '/api/v1/files?limit=0');

      await call('GET', '/api/v1/stat/{name}', '/api/v1/stat/logs%2Fa.txt?chunkLimit=2&version=1');
      await call('GET', '/api/v1/stat/{name}', '/api/v1/stat/nope');
      await call('GET', '/api/v1/stat', '/api/v1/stat?name=.');

      const upload = await call<{ id: string }>('POST', '/api/v1/uploads', '/api/v1/uploads', json({ name: 'big.bin', codec: 'zstd', size: 1000 }));
      const parts = `/api/v1/uploads/${upload.id}/parts`;
      await call('PUT', '/api/v1/uploads/{id}/parts/{part}', `${parts}/1`, { body: textBytes(1000) });
      await call('PUT', '/api/v1/uploads/{id}/parts/{part}', `${parts}/0`, { body: 'x' });
      await call('GET', '/api/v1/uploads/{id}', `/api/v1/uploads/${upload.id}`);
      await call('POST', '/api/v1/uploads/{id}/complete', `/api/v1/uploads/${upload.id}/complete`, json({ size: 1 }));
      await call('POST', '/api/v1/uploads/{id}/complete', `/api/v1/uploads/${upload.id}/complete`, json({ size: 1000 }));
      await call('GET', '/api/v1/uploads/{id}', `/api/v1/uploads/${upload.id}`);
      await call('POST', '/api/v1/uploads', '/api/v1/uploads', json({ name: 'x', codec: 'rar' }));
      const aborted = await call<{ id: string }>('POST', '/api/v1/uploads', '/api/v1/uploads', json({ name: 'aborted' }));
      await call('DELETE', '/api/v1/uploads/{id}', `/api/v1/uploads/${aborted.id}`);
      await call('DELETE', '/api/v1/uploads/{id}', `/api/v1/uploads/${aborted.id}`);

      await call('GET', '/api/v1/stats', '/api/v1/stats');
      await call('GET', '/api/v1/stats/history', '/api/v1/stats/history?since=0');
      await call('GET', '/api/v1/stats/top', '/api/v1/stats/top?limit=5');
      await call('GET', '/api/v1/stats/top', '/api/v1/stats/top?limit=1000');

      await call('DELETE', '/api/v1/files/{name}', '/api/v1/files/logs%2Fa.txt?version=1');
      await call('DELETE', '/api/v1/file', '/api/v1/file?name=.');
      await call('DELETE', '/api/v1/files/{name}', '/api/v1/files/nope');
      await call('GET', '/readyz', '/readyz');
    });
  });
});
