// Keeps the layering honest with the exact table of which layer (folder of src/) may import which.
// A file importing outside its row fails the build; so does a row naming a layer nobody imports
// any more (the table then says more than the code, so it must shrink with it).
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { it } from 'node:test';

const SRC = resolve(import.meta.dirname, '..', 'src');

/**
 * Bottom to top. The front ends (server: HTTP and gRPC APIs; cli) reach stored files only through
 * the Repository API (src/repository), never the engine, metadata or storage below it. services
 * (protobuf APIs, transports, the stage services and their clients) sits below repository, whose
 * remote implementation and distributed-mode stages are built on it.
 */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  storage: ['core'],
  metadata: ['core'],
  engine: ['core', 'storage', 'metadata'],
  services: ['core', 'storage', 'engine'],
  repository: ['core', 'storage', 'metadata', 'engine', 'services'],
  server: ['core', 'repository', 'services'],
  cli: ['core', 'repository', 'server'],
};

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

/** Every relative import in src/ as [importing layer, imported layer, where]. */
async function crossLayerImports(): Promise<[string, string, string][]> {
  const found: [string, string, string][] = [];
  for (const file of await sourceFiles(SRC)) {
    const layer = relative(SRC, file).split('/')[0]!;
    const text = await readFile(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
      const target = relative(SRC, resolve(dirname(file), m[1]!)).split('/')[0]!;
      if (target !== layer) found.push([layer, target, `${relative(SRC, file)} imports ${m[1]}`]);
    }
  }
  return found;
}

it('every import stays within the allowed-imports table', async () => {
  const imports = await crossLayerImports();
  const layers = new Set((await readdir(SRC, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name));
  assert.deepEqual([...layers].sort(), Object.keys(ALLOWED).sort(), 'every folder of src/ is a layer of the table');
  const violations = imports.filter(([from, to]) => !ALLOWED[from]!.includes(to)).map(([from, to, where]) => `${where} (${from} may not import ${to})`);
  assert.deepEqual(violations, []);
});

it('every pair the table allows is in use (the table is exact)', async () => {
  const used = new Set((await crossLayerImports()).map(([from, to]) => `${from} -> ${to}`));
  const unused = Object.entries(ALLOWED).flatMap(([from, tos]) => tos.map((to) => `${from} -> ${to}`)).filter((pair) => !used.has(pair));
  assert.deepEqual(unused, [], 'remove these from ALLOWED: nothing imports along them');
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
