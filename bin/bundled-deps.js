// Which dependencies dcs loads as one-file bundles (scripts/bundle-deps.js makes them), and the
// resolve hook that points Node at them. A bundle is used only when its name carries the version
// installed now; otherwise the package loads as usual, so a missing bundle costs start-up time,
// never correctness.
import { existsSync, readFileSync } from 'node:fs';
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Packages of many small modules, whose loading dominated start-up (see scripts/bundle-deps.js).
 * yaml's Node entry is CommonJS, which would bundle to a default export only: its ESM build
 * (the same code, published for browsers) is bundled instead.
 */
const PACKAGES = [{ name: 'kysely' }, { name: 'zod' }, { name: 'cockatiel' }, { name: 'yaml', esmEntry: 'browser/index.js' }, { name: 'commander' }];

export const BUNDLE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.cache', 'dcs-deps');

/** Each package's ESM entry as Node resolves it from dcs, its installed version and its bundle file. */
export function bundledDeps() {
  return PACKAGES.map(({ name, esmEntry }) => {
    // The entry as `import` resolves it (kysely's "exports" hide package.json), then its package.
    const resolved = fileURLToPath(import.meta.resolve(name));
    let dir = dirname(resolved);
    while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name) dir = dirname(dir);
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    return { name, version, entry: esmEntry ? join(dir, esmEntry) : resolved, file: join(BUNDLE_DIR, `${name}@${version}.mjs`) };
  });
}

/** Resolve these packages to their bundles where one matches the installed version. */
export function useBundledDeps() {
  let deps;
  try {
    deps = bundledDeps();
  } catch {
    return;
  }
  const urls = new Map(deps.filter((d) => existsSync(d.file)).map((d) => [d.name, pathToFileURL(d.file).href]));
  if (urls.size === 0) return;
  module.registerHooks({
    resolve(specifier, context, next) {
      const url = urls.get(specifier);
      return url === undefined ? next(specifier, context) : { url, format: 'module', shortCircuit: true };
    },
  });
}
