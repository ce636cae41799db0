// Where the repository is: --repo DIR, else DCS_REPO, else ./.dcs (DESIGN.md).
import { resolve } from 'node:path';

export function locateRepository(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  const dir = flag ?? (env.DCS_REPO && env.DCS_REPO.length > 0 ? env.DCS_REPO : '.dcs');
  return resolve(cwd, dir);
}
