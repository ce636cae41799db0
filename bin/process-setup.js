// Process set-up shared by `bin/dcs.js` and the benchmark's runner (bench/measure.ts), so the
// benchmark measures exactly the process a user gets.
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useBundledDeps } from './bundled-deps.js';

/** Call first, before loading dcs: may replace the process (same pid and stdio) to set glibc's malloc up. */
export function setUpProcess(argv) {
  if (Number(process.versions.node.split('.')[0]) < 24) {
    console.error(`dcs: needs Node.js 24 or later (this is ${process.version}); run it as 'npx dcs' after 'npm ci', which uses the project's own Node 24`);
    process.exit(1);
  }

  // glibc gives each thread that allocates its own malloc arena (up to 8 per core) and keeps memory
  // freed in each; dcs's worker threads churn through chunk-sized native buffers (zstd contexts,
  // snappy/lz4 output), so two arenas cut peak RSS by ~20 MB on large puts at no measurable speed
  // cost. glibc reads the variable only at start: bin/dcs.js's shebang sets it (`npx dcs`, `dcs`),
  // and a process started otherwise (`node bin/dcs.js`) is replaced by one with it (same pid, same
  // stdio), only for the commands that move data, as that costs ~20 ms of start-up.
  const command = argv.find((a) => !a.startsWith('-'));
  const movesData = ['put', 'get', 'verify', 'repair', 'serve', 'start'].includes(command ?? '');
  if (movesData && process.platform === 'linux' && process.env.MALLOC_ARENA_MAX === undefined && typeof process.execve === 'function') {
    process.execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, MALLOC_ARENA_MAX: '2' });
  }

  // Cache compiled (type-stripped) modules: faster start-up, and worker threads skip the TypeScript
  // stripper (about 8 MB less memory each). Workers inherit the variable.
  process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'dcs-compile-cache');
  module.enableCompileCache(process.env.NODE_COMPILE_CACHE);
  useBundledDeps();
}
