// Bundles the dependencies whose many small modules dominate dcs's start-up into one ES module
// each: kysely is 1,020 files (~130 ms to load on the reference machine, ~7 ms bundled), zod ~60
// ms, yaml ~20 ms, cockatiel ~12 ms, commander ~10 ms (CommonJS, converted to one ES module). Run by `npm ci`/`npm install` (postinstall) with rolldown, the bundler Vite
// already brings; bin/process-setup.js points Node at a bundle only when it was made from the
// version installed now, so a stale or missing bundle just means the package loads as usual.
//
//   node scripts/bundle-deps.js           build what is missing or stale
//   node scripts/bundle-deps.js --check   exit 1 if a bundle is missing or stale
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { bundledDeps, BUNDLE_DIR } from '../bin/bundled-deps.js';

const check = process.argv.includes('--check');
const wanted = bundledDeps();
const missing = wanted.filter((d) => !existsSync(d.file));
if (check) {
  for (const d of missing) console.error(`bundle-deps: ${d.name}@${d.version} is not bundled`);
  process.exit(missing.length > 0 ? 1 : 0);
}
if (missing.length > 0) {
  let rolldown;
  try {
    ({ rolldown } = await import('rolldown'));
  } catch {
    // A production install without dev dependencies: dcs runs, only starts slower.
    console.error('bundle-deps: rolldown is not installed; dependencies load unbundled');
    process.exit(0);
  }
  mkdirSync(BUNDLE_DIR, { recursive: true });
  for (const d of missing) {
    const build = await rolldown({ input: d.entry, platform: 'node', logLevel: 'silent' });
    // Written under a temporary name and renamed, so a reader never finds half a bundle.
    const tmp = `${d.file}.tmp-${process.pid}`;
    await build.write({ file: tmp, format: 'esm' });
    await build.close();
    const { renameSync } = await import('node:fs');
    renameSync(tmp, d.file);
  }
}
// Bundles of versions no longer installed.
const keep = new Set(wanted.map((d) => d.file.split('/').pop()));
if (existsSync(BUNDLE_DIR)) for (const f of readdirSync(BUNDLE_DIR)) if (!keep.has(f)) rmSync(`${BUNDLE_DIR}/${f}`, { force: true });
