#!/usr/bin/env node
// Entry point for `npx dcs`: npm puts the pinned Node 24 (devDependency `node`) first on PATH.
import { setUpProcess } from './process-setup.js';

setUpProcess(process.argv.slice(2));

// `dcs ls | head`: a reader that goes away is not an error; stop quietly like other Unix tools.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
