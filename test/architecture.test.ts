// Keeps the layering of DESIGN.md honest: a file may import only its own layer and those below.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { it } from 'node:test';

const SRC = resolve(import.meta.dirname, '..', 'src');

const ALLOWED: Record<string, string[]> = {
  core: ['core'],
  storage: ['storage', 'core'],
  metadata: ['metadata', 'core'],
  engine: ['engine', 'core', 'storage', 'metadata'],
  repository: ['repository', 'engine', 'core', 'storage', 'metadata'],
  services: ['services', 'engine', 'core', 'storage', 'metadata'],
  server: ['server', 'repository', 'services', 'engine', 'core', 'storage', 'metadata'],
  cli: ['cli', 'server', 'repository', 'services', 'engine', 'core', 'storage', 'metadata'],
};

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

it('every import points to the same layer or one below it', async () => {
  const violations: string[] = [];
  for (const file of await sourceFiles(SRC)) {
    const layer = relative(SRC, file).split('/')[0]!;
    const allowed = ALLOWED[layer];
    assert.ok(allowed, `unknown layer folder src/${layer}`);
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = relative(SRC, resolve(dirname(file), m[1]!)).split('/')[0]!;
      if (!allowed.includes(target)) violations.push(`${relative(SRC, file)} imports ${m[1]} (layer ${target})`);
    }
  }
  assert.deepEqual(violations, []);
});

it('the web UI (web/src) imports nothing outside web/src: it talks to the HTTP API only', async () => {
  const web = resolve(import.meta.dirname, '..', 'web', 'src');
  const entries = await readdir(web, { recursive: true, withFileTypes: true });
  const violations: string[] = [];
  for (const e of entries.filter((x) => x.isFile() && /\.tsx?$/.test(x.name))) {
    const file = join(e.parentPath, e.name);
    for (const m of (await readFile(file, 'utf8')).matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      if (relative(web, resolve(dirname(file), m[1]!)).startsWith('..')) violations.push(`${relative(web, file)} imports ${m[1]}`);
    }
  }
  assert.ok(entries.length > 5, 'found the UI sources');
  assert.deepEqual(violations, []);
});
