// What a command talks to: the local repository (embedded mode) or a remote orchestrator
// (`--server URL` or DCS_SERVER, token from DCS_TOKEN). Both answer the one Repository API, so
// every command has one code path and the same output either way.
import type { Repository } from '../repository/repository.ts';
import { UsageError } from '../core/errors.ts';
import { withRepository, type RepoOptions, type RunState } from './command.ts';

export interface TargetOptions extends RepoOptions {
  server?: string;
  /** `dcs put --compress-on`: where new chunks are compressed when talking to an orchestrator. */
  compressOn?: 'client' | 'server';
}

export const SERVER_OPTION_HELP = 'talk to a remote orchestrator at URL, or the first that answers of URL,URL… (default: $DCS_SERVER; token from $DCS_TOKEN)';

export async function withTarget<T>(state: RunState, options: TargetOptions, fn: (repo: Repository) => Promise<T>): Promise<T> {
  const server = options.server ?? state.io.env.DCS_SERVER;
  if (!server) {
    if (options.compressOn !== undefined) throw new UsageError('--compress-on needs --server (or DCS_SERVER): it says where an orchestrator\'s client compresses');
    return withRepository(state, options, fn);
  }
  const env = state.io.env;
  // Loaded only for --server: the gRPC stack costs start-up time and memory that local commands skip.
  const [{ RemoteRepository }, { parseServers }] = await Promise.all([import('../repository/remote-repository.ts'), import('../repository/remote-endpoints.ts')]);
  const repo = new RemoteRepository(parseServers(server), {
    ...(options.compressOn ? { compressOn: options.compressOn } : {}),
    ...(env.DCS_TOKEN ? { token: env.DCS_TOKEN } : {}),
    tls: { ...(env.DCS_TLS_CA ? { ca: env.DCS_TLS_CA } : {}), ...(env.DCS_TLS_CLIENT_CERT ? { cert: env.DCS_TLS_CLIENT_CERT } : {}), ...(env.DCS_TLS_CLIENT_KEY ? { key: env.DCS_TLS_CLIENT_KEY } : {}) },
  });
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}
