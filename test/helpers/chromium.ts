// The Chromium the browser tests drive with playwright-core: CHROMIUM_PATH when set, else Debian's
// /usr/bin/chromium where installed, else the build the npm package @sparticuz/chromium ships
// (unpacked to the temp folder on first use). Never a browser downloaded at run time.
import { accessSync, constants, existsSync, statSync } from 'node:fs';

const DEBIAN = '/usr/bin/chromium';

/** Flags for a headless Chromium as root on a machine without outside network or GPU. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface ChromiumBuild {
  executablePath: string;
  args: string[];
  /** Where it came from, for error messages. */
  source: string;
}

/** Where test/global-setup.ts leaves the build it found, so test files running at once share it. */
export const CHROMIUM_ENV = 'DCS_TEST_CHROMIUM';

export async function findChromium(): Promise<ChromiumBuild> {
  // @sparticuz/chromium unpacks to one fixed path: two files unpacking at once make one of them
  // exec a file still being written (ETXTBSY), so the global setup unpacks it once for all.
  const found = process.env[CHROMIUM_ENV];
  if (found) return JSON.parse(found) as ChromiumBuild;
  const named = process.env.CHROMIUM_PATH;
  if (named !== undefined && named !== '') {
    if (!existsSync(named)) throw new Error(`CHROMIUM_PATH names ${named}, which does not exist`);
    return { executablePath: named, args: FLAGS, source: 'CHROMIUM_PATH' };
  }
  if (isProgram(DEBIAN)) return { executablePath: DEBIAN, args: FLAGS, source: "Debian's chromium" };
  const { default: shipped } = await import('@sparticuz/chromium');
  // Its build has no zygote helper to fork renderers from.
  return { executablePath: await shipped.executablePath(), args: [...FLAGS, '--no-zygote'], source: '@sparticuz/chromium' };
}

/** An executable regular file (a path that merely exists may be a leftover, or /dev/null mounted over it). */
function isProgram(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
