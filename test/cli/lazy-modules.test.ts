// Heavy dependencies load only where they are used: a command on a local SQLite repository never
// loads the PostgreSQL driver, a cloud SDK, the gRPC stack or prom-client (each costs start-up
// time and memory; issue: `dcs --version` once took 0.48 s). Watched from inside a real `dcs`
// process with a module resolve hook, so any static import that drags one in fails here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../helpers/cli.ts';

const BIN = resolve(import.meta.dirname, '..', '..', 'bin', 'dcs.js');

/** Packages (and our own modules) a local command must not load. */
const HEAVY = [/^pg$/, /^pg-/, /^@aws-sdk\//, /^@azure\//, /^@google-cloud\//, /^@connectrpc\//, /^prom-client$/, /^pino$/, /\/src\/metadata\/postgres-store\.ts$/, /\/src\/server\/(node|http-api|grpc-orchestrator|metrics)\.ts$/, /\/src\/services\//];

const HOOK = `
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const seen = new Set();
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.add(specifier.startsWith('.') ? r.url : specifier); return r; } });
process.on('exit', () => writeFileSync(process.env.MODULES_OUT, [...seen].join('\\n')));
`;

let dir: string;
let cleanup: () => Promise<void>;

function loadedBy(args: string[]): string[] {
  const out = join(dir, 'modules.txt');
  const r = spawnSync(process.execPath, ['--import', join(dir, 'hook.mjs'), BIN, ...args], { cwd: dir, env: { ...process.env, MODULES_OUT: out, DCS_REPO: join(dir, 'r') }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return spawnSync('cat', [out], { encoding: 'utf8' }).stdout.split('\n');
}

describe('what a local command loads', () => {
  before(async () => {
    ({ dir, cleanup } = await tempDir('dcs-lazy-'));
    await writeFile(join(dir, 'hook.mjs'), HOOK);
    await writeFile(join(dir, 'a.txt'), 'hello\n');
  });
  after(() => cleanup());

  for (const args of [['--version'], ['init'], ['put', 'a.txt', '-q'], ['ls'], ['stat', 'a.txt'], ['get', 'a.txt', '-o', '-', '-q']]) {
    it(`dcs ${args.join(' ')} loads no database driver, cloud SDK, gRPC stack or server module`, () => {
      const loaded = loadedBy(args);
      // --version answers from bin/dcs.js before the command tree loads.
      if (args[0] !== '--version') assert.ok(loaded.some((m) => m.endsWith('/src/cli/main.ts')), 'the hook saw the CLI load');
      if (args[0] === '--version') assert.equal(loaded.some((m) => m.endsWith('/src/cli/main.ts')), false, '--version loads no command');
      assert.deepEqual(loaded.filter((m) => HEAVY.some((h) => h.test(m))), []);
      // Only the command that runs: put's uploader or serve's modules cost `dcs get` start-up.
      const commands = loaded.filter((m) => /\/src\/cli\/commands\//.test(m)).map((m) => m.replace(/.*\/commands\/(.*)\.ts$/, '$1'));
      assert.deepEqual(commands, args[0] === '--version' ? [] : [args[0]]);
    });
  }

  it('dcs --help still lists every command', () => {
    const r = spawnSync(process.execPath, [BIN, '--help'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const c of ['init', 'put', 'get', 'ls', 'stat', 'rm', 'verify', 'repair', 'gc', 'stats', 'rebalance', 'serve', 'start', 'cluster', 'keys']) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'), c);
  });
});
