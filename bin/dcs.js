#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node
// Entry point for `npx dcs`: npm puts the pinned Node 24 (devDependency `node`) first on PATH.
const argv = process.argv.slice(2);
// `dcs --version` answers before anything else loads (scripts call it to probe for dcs).
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V') && Number(process.versions.node.split('.')[0]) >= 24) {
  // Read here, not through src/cli/version.ts: loading any .ts file starts Node's type stripper.
  const { readFileSync } = await import('node:fs');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
  process.exit(0);
}

const { setUpProcess } = await import('./process-setup.js');
setUpProcess(argv);

// `dcs ls | head`: a reader that goes away is not an error; stop quietly like other Unix tools.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(argv);
