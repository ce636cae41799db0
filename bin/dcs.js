#!/usr/bin/env node
// Entry point for `npx dcs`: npm puts the pinned Node 24 (devDependency `node`) first on PATH.
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

if (Number(process.versions.node.split('.')[0]) < 24) {
  console.error(`dcs: needs Node.js 24 or later (this is ${process.version}); run it as 'npx dcs' after 'npm ci', which uses the project's own Node 24`);
  process.exit(1);
}

// Cache compiled (type-stripped) modules: faster start-up, and each worker thread then skips the
// TypeScript stripper (about 20 MB less memory per process). Workers inherit the variable.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'dcs-compile-cache');
module.enableCompileCache(process.env.NODE_COMPILE_CACHE);

// `dcs ls | head`: a reader that goes away is not an error; stop quietly like other Unix tools.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
