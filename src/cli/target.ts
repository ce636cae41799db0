// What a command talks to: the local repository (embedded mode) or a remote orchestrator
// (`--server URL` or DCS_SERVER, token from DCS_TOKEN). Both answer with the engine's types, so
// every command has one code path and the same output either way.
import type { ChunkInput } from '../engine/chunk-source.ts';
import { download, resolveVersion, type Download, type DownloadOptions } from '../engine/download.ts';
import { gc, type GcOptions, type GcReport } from '../engine/gc.ts';
import { list } from '../engine/list.ts';
import { remove } from '../engine/remove.ts';
import { repair, type RepairOptions, type RepairReport } from '../engine/repair.ts';
import { stat, type FileStat } from '../engine/stat.ts';
import { stats, type StatsReport } from '../engine/stats.ts';
import { upload, type UploadOptions, type UploadResult } from '../engine/upload.ts';
import { verify, type VerifyOptions, type VerifyReport } from '../engine/verify.ts';
import type { FileSummary, ListFilesOptions, VersionRecord } from '../metadata/metadata-store.ts';
import type { Repository } from '../repository/repository.ts';
import { withRepository, type RepoOptions, type RunState } from './command.ts';

export interface Target {
  /** Copies per chunk, when known (local repositories). */
  replicas?: number;
  /** k+m erasure coding, when the local repository uses it. */
  erasure?: { data: number; parity: number };
  upload(input: ChunkInput, options: UploadOptions): Promise<UploadResult>;
  download(name: string, options?: DownloadOptions): Promise<Download>;
  resolveVersion(name: string, version?: number): Promise<VersionRecord>;
  stat(name: string, options?: { version?: number; chunks?: boolean }): Promise<FileStat>;
  list(options?: ListFilesOptions): AsyncIterable<FileSummary>;
  remove(name: string, options?: { version?: number }): Promise<{ versionsRemoved: number }>;
  verify(options?: VerifyOptions): Promise<VerifyReport>;
  repair(options?: RepairOptions): Promise<RepairReport>;
  gc(options?: GcOptions): Promise<GcReport>;
  stats(): Promise<StatsReport>;
}

export interface TargetOptions extends RepoOptions {
  server?: string;
}

export const SERVER_OPTION_HELP = 'talk to a remote orchestrator at URL (default: $DCS_SERVER; token from $DCS_TOKEN)';

function localTarget(repo: Repository): Target {
  const ctx = repo.ctx;
  return {
    replicas: ctx.replicas,
    ...(ctx.erasure ? { erasure: { data: ctx.erasure.data, parity: ctx.erasure.parity } } : {}),
    upload: (input, o) => upload(ctx, input, o),
    download: (name, o) => download(ctx, name, o),
    resolveVersion: (name, v) => resolveVersion(ctx, name, v),
    stat: (name, o) => stat(ctx, name, o),
    list: (o) => list(ctx, o),
    remove: (name, o) => remove(ctx, name, o),
    verify: (o) => verify(ctx, o),
    repair: (o) => repair(ctx, o),
    gc: (o) => gc(ctx, o),
    stats: () => stats(ctx),
  };
}

export async function withTarget<T>(state: RunState, options: TargetOptions, fn: (target: Target) => Promise<T>): Promise<T> {
  const server = options.server ?? state.io.env.DCS_SERVER;
  if (!server) return withRepository(state, options, (repo) => fn(localTarget(repo)));
  const env = state.io.env;
  // Loaded only for --server: the gRPC stack costs start-up time and memory that local commands skip.
  const { OrchestratorClient } = await import('../services/orchestrator-client.ts');
  const client = new OrchestratorClient(server, {
    ...(env.DCS_TOKEN ? { token: env.DCS_TOKEN } : {}),
    tls: { ...(env.DCS_TLS_CA ? { ca: env.DCS_TLS_CA } : {}), ...(env.DCS_TLS_CLIENT_CERT ? { cert: env.DCS_TLS_CLIENT_CERT } : {}), ...(env.DCS_TLS_CLIENT_KEY ? { key: env.DCS_TLS_CLIENT_KEY } : {}) },
  });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
