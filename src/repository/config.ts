// dcs.yaml: the repository's configuration, validated with clear messages. Secrets never live here
// (the passphrase comes from DCS_PASSPHRASE or a prompt; cloud credentials from the environment).
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import { DEFAULT_CHUNKER, validateChunkerParams, type ChunkerParams } from '../core/chunker.ts';
import { CODEC_CHOICES, type CodecChoice } from '../core/codecs.ts';
import { checkLevel, type Encoding } from '../core/input/encoding.ts';
import { validateErasureParams } from '../core/erasure.ts';
import { ConfigError, errorMessage } from '../core/errors.ts';
import { SHARING, type Sharing } from '../core/file-modes.ts';
import { resolveResilience, type ResilienceConfig, type ResilienceOptions } from '../storage/resilient-store.ts';

export const CONFIG_FILE = 'dcs.yaml';
export const CONFIG_VERSION = 1;
/** What `put` stores with when neither dcs.yaml nor the request names a codec. */
export const DEFAULT_COMPRESSION: Encoding = { codec: 'zstd', level: 3 };

const backendSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'backend names use letters, digits, ".", "_" and "-" (at most 63)'),
  url: z.string().min(1),
  weight: z.number().positive().default(1),
});

const configSchema = z.strictObject({
  version: z.literal(CONFIG_VERSION),
  /** Written by `dcs init`; a deployed config may leave it out (the backends' marker holds it). */
  id: z.string().min(1).optional(),
  metadata: z.string().min(1).default('sqlite:metadata.db'),
  backends: z.array(backendSchema).min(1, 'at least one backend is required'),
  redundancy: z
    .strictObject({
      replicate: z.number().int().min(1).optional(),
      /** Fewest copies a write may succeed with; below `replicate` the file is degraded until repair. */
      minCopies: z.number().int().min(1).optional(),
      /** k data + m parity shards per chunk on k+m distinct backends (instead of `replicate`). */
      erasure: z
        .strictObject({
          data: z.number().int().min(1),
          parity: z.number().int().min(1),
          /** Shards that must be durable for a write to succeed (k+1..k+m, default k+m). */
          successThreshold: z.number().int().min(1).optional(),
          /** `dcs repair` rebuilds missing shards once at most this many are healthy (k..success-1, default k+1). */
          repairThreshold: z.number().int().min(1).optional(),
        })
        .optional(),
    })
    .default({ replicate: 1 }),
  chunking: z.unknown().default(DEFAULT_CHUNKER),
  compression: z
    .strictObject({
      codec: z.enum(CODEC_CHOICES),
      level: z.number().int().optional(),
    })
    .default(DEFAULT_COMPRESSION),
  encryption: z
    .strictObject({
      enabled: z.boolean(),
      /** Key file, relative to the repository directory; a copy is also kept in every backend. */
      keyFile: z.string().optional(),
    })
    .default({ enabled: false }),
  /** Remote engine stages (distributed mode): chunker and compressor service URLs. */
  services: z
    .strictObject({
      chunker: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
      compressor: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    })
    .optional(),
  /** Timeouts, retries, circuit breaker and concurrency limit per backend (see docs/resilience.md). */
  resilience: z.unknown().optional(),
  /** Who may read the repository's local files: only its owner (default) or also its group. */
  permissions: z.enum(SHARING).default('private'),
  performance: z
    .strictObject({
      /** Worker threads for compression/encryption; 0 runs them on the main thread. */
      workers: z.number().int().min(0).max(256).optional(),
      inFlightChunks: z.number().int().min(1).max(1024).optional(),
      readAhead: z.number().int().min(1).max(1024).optional(),
    })
    .default({}),
});

export interface BackendConfig {
  name: string;
  url: string;
  weight: number;
}

export interface ErasureConfig {
  data: number;
  parity: number;
  successThreshold?: number;
  repairThreshold?: number;
}

/** Whole copies on `replicate` backends, or k+m erasure shards: exactly one of the two. */
export type RedundancyConfig = { replicate: number; minCopies?: number } | { erasure: ErasureConfig };

export interface ServiceUrls {
  chunker: string[];
  compressor: string[];
}

export interface RepositoryConfig {
  version: number;
  id?: string;
  metadata: string;
  backends: BackendConfig[];
  redundancy: RedundancyConfig;
  chunking: ChunkerParams;
  compression: { codec: CodecChoice; level?: number };
  encryption: { enabled: boolean; keyFile?: string };
  services?: ServiceUrls;
  resilience?: ResilienceOptions;
  permissions?: Sharing;
  performance: { workers?: number; inFlightChunks?: number; readAhead?: number };
}

/** Validate a parsed dcs.yaml; `where` names the file in messages. */
export function validateConfig(raw: unknown, where: string): RepositoryConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new ConfigError(`${where}: ${path}: ${issue.message}`);
  }
  const c = result.data;
  const names = new Set<string>();
  for (const b of c.backends) {
    if (names.has(b.name)) throw new ConfigError(`${where}: backends: duplicate backend name ${JSON.stringify(b.name)}`);
    names.add(b.name);
  }
  const redundancy = validateRedundancy(c.redundancy, c.backends.length, where);
  let chunking: ChunkerParams;
  try {
    chunking = validateChunkerParams(c.chunking);
  } catch (err) {
    throw new ConfigError(`${where}: chunking: ${errorMessage(err)}`);
  }
  const compression: RepositoryConfig['compression'] = { codec: c.compression.codec };
  if (c.compression.level !== undefined) {
    try {
      checkLevel(c.compression.codec, c.compression.level);
    } catch (err) {
      throw new ConfigError(`${where}: compression.level: ${errorMessage(err)}`);
    }
    compression.level = c.compression.level;
  }
  const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const { services: rawServices, resilience: rawResilience, ...rest } = c;
  const resilience = rawResilience === undefined ? undefined : resolveResilience(rawResilience as ResilienceConfig, `${where}: resilience`);
  const services = rawServices ? { chunker: list(rawServices.chunker), compressor: list(rawServices.compressor) } : undefined;
  return { ...rest, redundancy, chunking, compression, ...(services ? { services } : {}), ...(resilience ? { resilience } : {}) };
}

function validateRedundancy(
  r: { replicate?: number | undefined; minCopies?: number | undefined; erasure?: ErasureConfig | undefined },
  backends: number,
  where: string,
): RedundancyConfig {
  const at = `${where}: redundancy`;
  if (r.erasure !== undefined) {
    if (r.replicate !== undefined || r.minCopies !== undefined) throw new ConfigError(`${at}: give either replicate or erasure, not both`);
    const e = r.erasure;
    try {
      validateErasureParams(e.data, e.parity);
    } catch (err) {
      throw new ConfigError(`${at}.erasure: ${errorMessage(err)}`);
    }
    const k = e.data;
    const n = k + e.parity;
    if (n > backends) throw new ConfigError(`${at}.erasure: data + parity is ${n} but only ${backends} backend(s) are configured`);
    const success = e.successThreshold ?? n;
    if (success < k + 1 || success > n) throw new ConfigError(`${at}.erasure.successThreshold is ${success}; it must be from ${k + 1} to ${n} (data+1 to data+parity)`);
    // Default k+1 (repair while one loss still leaves margin); with one parity shard that would
    // equal the success threshold, so it is k there.
    const repair = e.repairThreshold ?? Math.min(k + 1, success - 1);
    if (repair < k || repair >= success) throw new ConfigError(`${at}.erasure.repairThreshold is ${repair}; it must be from ${k} (data) to ${success - 1} (below successThreshold)`);
    return { erasure: { data: k, parity: e.parity, successThreshold: success, repairThreshold: repair } };
  }
  const replicate = r.replicate ?? 1;
  if (r.minCopies !== undefined && r.minCopies > replicate) {
    throw new ConfigError(`${at}.minCopies (${r.minCopies}) must not exceed redundancy.replicate (${replicate})`);
  }
  if (replicate > backends) throw new ConfigError(`${at}.replicate is ${replicate} but only ${backends} backend(s) are configured`);
  return { replicate, ...(r.minCopies !== undefined ? { minCopies: r.minCopies } : {}) };
}

export function parseConfig(text: string, where: string): RepositoryConfig {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (err) {
    throw new ConfigError(`${where}: not valid YAML: ${errorMessage(err).split('\n')[0]}`);
  }
  return validateConfig(raw, where);
}

export function renderConfig(config: RepositoryConfig): string {
  return `# dcs repository configuration (see README). Secrets never go here.\n${stringify(config)}`;
}
