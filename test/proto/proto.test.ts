// The gRPC API checks: scripts/check-proto.sh (buf lint, buf breaking against the committed
// baseline, buf format, generated code up to date) passes on this tree, and each check can fail:
// a deleted or renumbered field in a copy of proto/ is reported as breaking against the baseline
// while an added field is not, and an unformatted file or stale generated code fails the script.
// The buf curl examples in docs/api.md are valid requests for their methods, and the page covers
// every RPC. Offline: buf and protoc-gen-es come from node_modules/.bin.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRegistry, fromJson, type DescMessage, type DescMethod, type JsonValue } from '@bufbuild/protobuf';
import { file_dcs_v1_chunking } from '../../src/services/gen/dcs/v1/chunking_pb.js';
import { file_dcs_v1_compression } from '../../src/services/gen/dcs/v1/compression_pb.js';
import { file_dcs_v1_orchestrator } from '../../src/services/gen/dcs/v1/orchestrator_pb.js';
import { file_dcs_v1_storage } from '../../src/services/gen/dcs/v1/storage_pb.js';
import { file_grpc_health_v1_health } from '../../src/services/gen/grpc/health/v1/health_pb.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'node_modules', '.bin');
const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };

interface Run {
  code: number;
  output: string;
}

/** Run a command to completion; never throws for a non-zero exit. */
function run(cmd: string, args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (!err) return resolve({ code: 0, output });
      if (typeof err.code === 'number') return resolve({ code: err.code, output });
      reject(err);
    });
  });
}

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dcs-proto-test-'));
  temps.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

/** A copy of proto/ (with its baseline) in a temp dir, with one file edited. */
async function protoCopy(file: string, edit: (text: string) => string): Promise<string> {
  const dir = join(await tempDir(), 'proto');
  await cp(join(root, 'proto'), dir, { recursive: true });
  const path = join(dir, file);
  const before = await readFile(path, 'utf8');
  const afterEdit = edit(before);
  assert.notEqual(afterEdit, before, `the edit of ${file} changed nothing`);
  await writeFile(path, afterEdit);
  return dir;
}

function replaceOnce(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  assert.ok(at >= 0 && text.indexOf(from, at + 1) < 0, `${JSON.stringify(from)} must occur exactly once`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

const breaking = (dir: string): Promise<Run> => run('buf', ['breaking', '--against', 'baseline/dcs-v1.binpb'], dir);

describe('proto checks (scripts/check-proto.sh)', { concurrency: true }, () => {
  it('pass on this tree: lint, breaking against the baseline, format, generated code', async () => {
    const r = await run('bash', [join(root, 'scripts', 'check-proto.sh')], root);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /all checks passed/);
  });

  it('buf breaking reports a deleted field against the committed baseline', async () => {
    const dir = await protoCopy('dcs/v1/storage.proto', (t) => replaceOnce(t, '  bytes data = 2;\n', ''));
    const r = await breaking(dir);
    assert.equal(r.code, 100, r.output); // buf's exit code for "breaking changes found"
    assert.match(r.output, /field "2" with name "data" on message "PutObjectRequest" was deleted/);
  });

  it('buf breaking reports a renumbered field against the committed baseline', async () => {
    const dir = await protoCopy('dcs/v1/orchestrator.proto', (t) => replaceOnce(t, '  bool deep = 3;\n', '  bool deep = 13;\n'));
    const r = await breaking(dir);
    assert.equal(r.code, 100, r.output);
    assert.match(r.output, /field "3" with name "deep" on message "VerifyRequest" was deleted/);
  });

  it('buf breaking accepts an added field (so the baseline need not change for one)', async () => {
    const dir = await protoCopy('dcs/v1/storage.proto', (t) =>
      replaceOnce(t, '  uint64 max_object_size = 4;\n', '  uint64 max_object_size = 4;\n  string region = 5;\n'),
    );
    const r = await breaking(dir);
    assert.equal(r.code, 0, r.output);
  });

  it('the script fails on an unformatted file and on stale generated code', async () => {
    // A miniature checkout: the script, proto/, src/services/gen and the real node_modules.
    const top = await tempDir();
    await mkdir(join(top, 'scripts'));
    await mkdir(join(top, 'src', 'services'), { recursive: true });
    await cp(join(root, 'scripts', 'check-proto.sh'), join(top, 'scripts', 'check-proto.sh'));
    await cp(join(root, 'proto'), join(top, 'proto'), { recursive: true });
    await cp(join(root, 'src', 'services', 'gen'), join(top, 'src', 'services', 'gen'), { recursive: true });
    await symlink(join(root, 'node_modules'), join(top, 'node_modules'));
    const storage = join(top, 'proto', 'dcs', 'v1', 'storage.proto');
    const original = await readFile(storage, 'utf8');

    // Extra spaces: a formatting change only (the generated code stays the same).
    await writeFile(storage, replaceOnce(original, '  string key = 1;\n  bytes data = 2;', '  string key = 1;\n  bytes    data = 2;'));
    let r = await run('bash', [join(top, 'scripts', 'check-proto.sh')], top);
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.output, /^check-proto: buf format: FAILED$/m);
    assert.match(r.output, /^check-proto: generated code: ok$/m);

    // A changed comment: compatible and formatted, but src/services/gen no longer matches.
    await writeFile(storage, replaceOnce(original, '// Only keys starting with this prefix.', '// Only keys that start with this prefix.'));
    r = await run('bash', [join(top, 'scripts', 'check-proto.sh')], top);
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.output, /^check-proto: generated code: FAILED$/m);
    assert.match(r.output, /^check-proto: buf format: ok$/m);
    assert.match(r.output, /src\/services\/gen is stale/);
  });
});

// --- docs/api.md ---

const registry = createRegistry(file_dcs_v1_chunking, file_dcs_v1_compression, file_dcs_v1_storage, file_dcs_v1_orchestrator, file_grpc_health_v1_health);

function allMethods(): DescMethod[] {
  const methods: DescMethod[] = [];
  for (const t of registry) if (t.kind === 'service') methods.push(...t.methods);
  return methods;
}

interface CurlExample {
  command: string;
  path: string;
  data?: string;
}

/** Every `buf curl` call in the page's ```sh blocks, continuation lines joined. */
function curlExamples(markdown: string): CurlExample[] {
  const examples: CurlExample[] = [];
  for (const [, block] of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const line of block!.replace(/\\\n/g, ' ').split('\n')) {
      const command = line.trim();
      if (!command.startsWith('buf curl') || command.includes('--list-methods')) continue;
      const url = /https?:\/\/[^\s/]+\/([\w.]+\/\w+)(?:\s|$)/.exec(command);
      assert.ok(url, `no method URL in: ${command}`);
      const data = /(?:-d|--data) '([^']*)'/.exec(command);
      examples.push({ command, path: url[1]!, ...(data ? { data: data[1]! } : {}) });
    }
  }
  return examples;
}

/** Split concatenated JSON documents ('{…} {…}'), as buf curl reads them for client streams. */
function jsonDocuments(text: string): JsonValue[] {
  const docs: JsonValue[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) docs.push(JSON.parse(text.slice(start, i + 1)) as JsonValue);
    else if (depth === 0 && !/\s/.test(c!)) assert.fail(`unexpected ${JSON.stringify(c)} between JSON documents in ${text}`);
  }
  assert.equal(depth, 0, `unbalanced JSON in ${text}`);
  return docs;
}

const markdown = await readFile(join(root, 'docs', 'api.md'), 'utf8');
const examples = curlExamples(markdown);

/**
 * Keys must be the proto JSON names (lowerCamelCase). fromJson (like buf curl) also accepts the
 * proto names (snake_case), so this is checked separately, recursively through nested messages.
 */
function jsonNameProblems(desc: DescMessage, value: JsonValue, where: string): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [];
  const problems: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const field = desc.fields.find((f) => f.jsonName === key);
    if (!field) {
      const byName = desc.fields.find((f) => f.name === key);
      problems.push(`${where}.${key}: ${byName ? `write "${byName.jsonName}" (the JSON name)` : `no such field in ${desc.typeName}`}`);
      continue;
    }
    if (field.fieldKind === 'message') problems.push(...jsonNameProblems(field.message, v, `${where}.${key}`));
    if (field.fieldKind === 'list' && field.listKind === 'message' && Array.isArray(v)) {
      v.forEach((item, i) => problems.push(...jsonNameProblems(field.message, item, `${where}.${key}[${i}]`)));
    }
    if (field.fieldKind === 'map' && field.mapKind === 'message' && v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) problems.push(...jsonNameProblems(field.message, item as JsonValue, `${where}.${key}[${k}]`));
    }
  }
  return problems;
}

describe('docs/api.md', () => {
  it('mentions every RPC of every service by its full path', () => {
    for (const m of allMethods()) assert.ok(markdown.includes(`${m.parent.typeName}/${m.name}`), `docs/api.md does not cover ${m.parent.typeName}/${m.name}`);
  });

  it('has a buf curl example for every unary RPC', () => {
    const shown = new Set(examples.map((e) => e.path));
    for (const m of allMethods().filter((x) => x.methodKind === 'unary')) {
      assert.ok(shown.has(`${m.parent.typeName}/${m.name}`), `no buf curl example for ${m.parent.typeName}/${m.name}`);
    }
  });

  it('every buf curl example is a valid request (proto JSON names) for its method', () => {
    assert.ok(examples.length > 0);
    for (const e of examples) {
      const [service, method] = e.path.split('/');
      const desc = registry.getService(service!)?.methods.find((m) => m.name === method);
      assert.ok(desc, `${e.path} is not a method of the schema`);
      assert.match(e.command, /--protocol grpc/, e.command);
      assert.match(e.command, /--schema proto\b/, e.command);
      assert.match(e.command, /-H "authorization: Bearer \$(DCS_TOKEN|DCS_NODE_TOKEN)"/, e.command);
      const token = desc.parent.typeName === 'dcs.v1.OrchestratorService' || desc.parent.typeName === 'grpc.health.v1.Health' ? 'DCS_TOKEN' : 'DCS_NODE_TOKEN';
      assert.ok(e.command.includes(`$${token}`), `${e.path} takes ${token}: ${e.command}`);
      const docs = e.data === undefined ? [] : jsonDocuments(e.data);
      if (desc.methodKind === 'unary' || desc.methodKind === 'server_streaming') assert.ok(docs.length <= 1, `${e.path} takes one request`);
      // fromJson rejects unknown fields and bad values (a string where a number is meant, a bad enum name…).
      for (const doc of docs) {
        try {
          fromJson(desc.input, doc);
        } catch (err) {
          assert.fail(`${e.path}: ${JSON.stringify(doc)}: ${(err as Error).message}`);
        }
        assert.deepEqual(jsonNameProblems(desc.input, doc, e.path), []);
      }
    }
  });
});
