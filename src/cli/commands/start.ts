// `dcs start` (what `npm start` runs): everything in one process on 127.0.0.1 with the web UI, on
// the embedded default repository (created on first start), behind a token that is generated
// once, kept in the repository and printed with a link that logs the browser in.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.ts';
import { locateRepository } from '../../repository/locate.ts';
import { REPO_OPTION_HELP, type RunState } from '../command.ts';
import { writeLine } from '../io.ts';
import { addConnectionOptions, addHttpOptions, connectionOptions, DEFAULT_PORT, httpOptions, runServer, type ConnectionFlags, type HttpFlags } from './serve.ts';

interface StartFlags extends HttpFlags, ConnectionFlags {
  repo?: string;
  port?: string;
  s3Port?: string;
  s3?: boolean;
  insecureOpen?: boolean;
  logLevel: string;
}

/**
 * The first active S3 access key, made on the first start: its id and secret, unsealed to be
 * printed like the web token (both live in the repository directory, readable only by its owner).
 */
async function firstAccessKey(state: RunState, repoDir: string): Promise<{ id: string; secret: string; made: boolean }> {
  const [{ withRepository }, { createAccessKey, SecretVault }] = await Promise.all([import('../command.ts'), import('../../server/s3/access-keys.ts')]);
  return withRepository(state, { repo: repoDir, quiet: true, unlock: 'on-use' }, async (repo) => {
    const vault = await SecretVault.open(repoDir, state.io.env, true);
    for (const k of await repo.s3.listAccessKeys()) {
      if (k.revokedAt !== undefined || k.readOnly || k.bucket !== undefined) continue;
      const secret = vault.unseal(k.id, k.sealedSecret);
      if (secret !== undefined) return { id: k.id, secret, made: false };
    }
    const key = await createAccessKey(repo, vault);
    return { id: key.id, secret: key.secret, made: true };
  });
}

const TOKEN_FILE = 'web-token';

/** DCS_TOKEN, else the token saved in the repository, else a new one (saved, so bookmarks keep working). */
async function accessToken(repoDir: string, env: NodeJS.ProcessEnv): Promise<{ token: string; source: string }> {
  if (env.DCS_TOKEN) return { token: env.DCS_TOKEN, source: 'DCS_TOKEN' };
  const file = join(repoDir, TOKEN_FILE);
  try {
    const saved = (await readFile(file, 'utf8')).trim();
    if (saved.length > 0) return { token: saved, source: file };
  } catch {
    // none yet
  }
  const token = randomBytes(24).toString('base64url');
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return { token, source: `${file} (new)` };
}

export function defineStart(program: Command, state: RunState): void {
  const command = program
    .command('start')
    .description('serve the web UI and the HTTP API on 127.0.0.1 (creates the repository on first start)')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--port <port>', `port on 127.0.0.1 (default: $PORT, else ${DEFAULT_PORT})`)
    .option('--s3-port <port>', 'port of the S3 API on 127.0.0.1 (default: the web port + 1)')
    .option('--no-s3', 'do not serve the S3 API')
    .option('--insecure-open', 'no token: anyone who can reach 127.0.0.1 may use it')
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'warn')
    .addHelpText(
      'after',
      `
Examples:
  npm start                               same as: dcs start
  PORT=8080 DCS_REPO=/srv/dcs dcs start
  DCS_TOKEN=choose-one dcs start          use your own token instead of the generated one
For other addresses, TLS or a distributed deployment use 'dcs serve' (see docs/deploy.md).`,
    );
  addConnectionOptions(addHttpOptions(command)).action(async (flags: StartFlags) => {
    const { io } = state;
    const portText = flags.port ?? io.env.PORT ?? String(DEFAULT_PORT);
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new UsageError(`port must be 0-65535, got ${JSON.stringify(portText)}`);
    const repoDir = locateRepository(flags.repo, io.env, io.cwd);
    const [{ CONFIG_FILE }, { initRepository }] = await Promise.all([import('../../repository/config.ts'), import('../../repository/init-repository.ts')]);
    if (!existsSync(join(repoDir, CONFIG_FILE))) {
      await initRepository(repoDir);
      writeLine(io.stdout, `created repository ${repoDir}`);
    }
    const auth = flags.insecureOpen ? undefined : await accessToken(repoDir, io.env);
    const s3PortText = flags.s3Port ?? String(Number(portText) === 0 ? 0 : Number(portText) + 1);
    if (!/^\d{1,5}$/.test(s3PortText) || Number(s3PortText) > 65535) throw new UsageError(`--s3-port must be 0-65535, got ${JSON.stringify(s3PortText)}`);
    const s3Key = flags.s3 === false ? undefined : await firstAccessKey(state, repoDir);
    await runServer(state, {
      role: 'all',
      host: '127.0.0.1',
      port: Number(portText),
      ...(auth ? { token: auth.token } : {}),
      open: flags.insecureOpen === true,
      repoDir,
      logLevel: flags.logLevel,
      http: httpOptions(flags, io.cwd),
      connections: connectionOptions(flags),
      ...(s3Key ? { s3: { host: '127.0.0.1', port: Number(s3PortText) } } : {}),
      onListening: (url, s3Url) => {
        writeLine(io.stdout, `dcs is serving ${url}`);
        if (auth) {
          writeLine(io.stdout, `  open:       ${url}/#token=${auth.token}`);
          writeLine(io.stdout, `  token:      ${auth.token}   (from ${auth.source})`);
        } else {
          writeLine(io.stdout, '  auth:       off (--insecure-open)');
        }
        if (s3Url && s3Key) {
          writeLine(io.stdout, `  S3 API:     ${s3Url}   region us-east-1, path-style`);
          writeLine(io.stdout, `  S3 key:     ${s3Key.id}${s3Key.made ? '   (new)' : ''}`);
          writeLine(io.stdout, `  S3 secret:  ${s3Key.secret}   (more keys: dcs keys create)`);
        }
        writeLine(io.stdout, `  repository: ${repoDir}`);
        writeLine(io.stdout, '  stop with Ctrl-C');
      },
    });
  });
}
