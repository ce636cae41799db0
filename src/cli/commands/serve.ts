// `dcs serve --role …`: run one process of a dcs deployment until SIGTERM/SIGINT, then finish the
// requests in flight and exit 0.
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { UsageError } from '../../core/errors.ts';
import { SHARING, type Sharing } from '../../core/file-modes.ts';
import { locateRepository } from '../../repository/locate.ts';
import { ROLES, type Role } from '../../server/role-names.ts';
import type { ConnectionLimits, S3ListenerOptions, TlsFiles } from '../../server/node.ts';
import type { HttpLimits } from '../../server/http-context.ts';
import { DEFAULT_WEB_ROOT } from '../../server/web-assets.ts';
import { REPO_OPTION_HELP, type RunState } from '../command.ts';
import { parseSize, positiveInt } from '../options.ts';
import { passphraseFromEnvOrPrompt } from '../passphrase.ts';

interface ServeFlags extends HttpFlags, ConnectionFlags {
  role: string;
  listen: string;
  repo?: string;
  data?: string;
  permissions?: Sharing;
  name?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  insecureOpen?: boolean;
  directReads?: boolean;
  s3Listen?: string;
  s3Region?: string;
  s3Domain?: string;
  logLevel: string;
}

export const DEFAULT_PORT = 7070;


export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value) ?? /^()()(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--listen must be HOST:PORT or PORT (e.g. 127.0.0.1:${DEFAULT_PORT}), got ${JSON.stringify(value)}`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

export function defineServe(program: Command, state: RunState): void {
  const command = program
    .command('serve')
    .description('run a dcs service: orchestrator, chunker, compressor, storage node, or all in one')
    .option('--role <role>', `one of ${ROLES.join(', ')}`, 'all')
    .option('--listen <host:port>', 'address to serve gRPC, gRPC-Web, Connect, /healthz, /readyz and /metrics on', `127.0.0.1:${DEFAULT_PORT}`)
    .option('--repo <dir>', `${REPO_OPTION_HELP} (orchestrator, all)`)
    .option('--data <dir>', 'directory this storage node keeps its objects in (storage)')
    .addOption(new Option('--permissions <who>', 'who may read --data: private (0700/0600) or group (0750/0640) (storage)').choices(SHARING).default('private'))
    .option('--name <name>', 'node name in logs and errors (storage; default DCS_NODE_NAME, else HOSTNAME:PORT)')
    .option('--tls-cert <file>', 'serve TLS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key of --tls-cert (PEM)')
    .option('--tls-client-ca <file>', 'require client certificates signed by this CA (mutual TLS)')
    .option('--insecure-open', 'serve without a token (only on a loopback address)')
    .option('--s3-listen <host:port>', 'also serve the S3 API on this address (orchestrator, all; see docs/s3.md)')
    .option('--s3-region <region>', 'the region S3 clients sign for', 'us-east-1')
    .option('--s3-domain <domain>', 'virtual-hosted-style S3: BUCKET.DOMAIN names the bucket (path style always works)')
    .option('--no-direct-reads', 'clients download every chunk through this orchestrator, not from the storage nodes (for nodes clients cannot reach) (orchestrator, all)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug', 'info')
    .addHelpText(
      'after',
      `
Tokens come from the environment, never from files or flags:
  DCS_TOKEN        clients must send it to an orchestrator (role orchestrator or all)
  DCS_NODE_TOKEN   orchestrators send it to chunkers, compressors and storage nodes, which accept nothing else
Orchestrators reach storage nodes through backends with grpc://HOST:PORT or grpcs://HOST:PORT URLs in
dcs.yaml, and chunkers/compressors through 'services: {chunker: URL, compressor: URL}'. For TLS to
them: DCS_TLS_CA (or NODE_EXTRA_CA_CERTS), and DCS_TLS_CLIENT_CERT/DCS_TLS_CLIENT_KEY for mutual TLS
(default: --tls-cert/--tls-key).
A storage node names itself (in its logs and errors) by --name, else DCS_NODE_NAME, else HOSTNAME:PORT
(in Kubernetes the pod's name; in Compose the container id unless the service sets hostname:).

Examples:
  DCS_NODE_TOKEN=s3cret dcs serve --role storage --listen 0.0.0.0:7081 --data /srv/dcs-node1
  DCS_TOKEN=t DCS_NODE_TOKEN=s3cret dcs serve --role orchestrator --repo /etc/dcs --listen 0.0.0.0:7070
  dcs serve --insecure-open                       everything in one process on 127.0.0.1:7070
  curl http://127.0.0.1:7070/readyz
Orchestrators (role orchestrator or all) also serve the HTTP API (docs/openapi.yaml) and the web UI
at http://HOST:PORT/ on the same port.
Downloads of an unencrypted repository read chunks from the storage nodes directly, at the URLs in
dcs.yaml, with read tickets the orchestrator signs: clients must reach those URLs (else each node
costs them one failed connection, then they read through the orchestrator; --no-direct-reads).`,
    );
  addConnectionOptions(addHttpOptions(command))
    .action(async (flags: ServeFlags) => {
      const role = ROLES.find((r) => r === flags.role);
      if (role === undefined) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(flags.role)}`);
      const isOrchestrator = role === 'orchestrator' || role === 'all';
      const nodeName = flags.name || state.io.env.DCS_NODE_NAME;
      await runServer(state, {
        role,
        ...parseListen(flags.listen),
        ...tlsFiles(flags, state.io.cwd),
        ...(isOrchestrator ? { token: state.io.env.DCS_TOKEN } : { token: state.io.env.DCS_NODE_TOKEN }),
        open: flags.insecureOpen === true,
        ...(isOrchestrator ? { repoDir: locateRepository(flags.repo, state.io.env, state.io.cwd) } : {}),
        ...(flags.data ? { dataDir: resolve(state.io.cwd, flags.data) } : {}),
        ...(flags.permissions ? { sharing: flags.permissions } : {}),
        ...(nodeName ? { name: nodeName } : {}),
        logLevel: flags.logLevel,
        ...(flags.directReads === false ? { directReads: false } : {}),
        ...(flags.s3Listen !== undefined ? { s3: s3Options(flags, isOrchestrator) } : {}),
        http: httpOptions(flags, state.io.cwd),
        connections: connectionOptions(flags),
      });
    });
}

function s3Options(flags: ServeFlags, isOrchestrator: boolean): S3ListenerOptions {
  if (!isOrchestrator) throw new UsageError('--s3-listen is for the orchestrator and all roles (the S3 API is a front end of the repository)');
  const { host, port } = parseListen(flags.s3Listen!);
  if (flags.s3Region !== undefined && !/^[a-z0-9-]{1,32}$/.test(flags.s3Region)) throw new UsageError(`--s3-region must be lower-case letters, digits and "-", got ${JSON.stringify(flags.s3Region)}`);
  return { host, port, ...(flags.s3Region ? { region: flags.s3Region } : {}), ...(flags.s3Domain ? { baseDomain: flags.s3Domain.toLowerCase() } : {}) };
}

export interface ConnectionFlags {
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  handshakeTimeout?: number;
}

/** Limits of the service port, for every role (serve, start). */
export function addConnectionOptions(command: Command): Command {
  return command
    .option('--max-connections <n>', 'connections held at once; at the limit the longest idle is closed for a new one (default: half the open-file limit, at most 10000)', positiveInt('--max-connections'))
    .option('--max-connections-per-address <n>', 'connections from one client address, IPv6 per /64 (default: a quarter of --max-connections)', positiveInt('--max-connections-per-address'))
    .option('--handshake-timeout <seconds>', 'time a new connection has for the TLS handshake and its first bytes (default 10)', positiveInt('--handshake-timeout'));
}

export function connectionOptions(flags: ConnectionFlags): Partial<ConnectionLimits> {
  return {
    ...(flags.maxConnections === undefined ? {} : { maxConnections: flags.maxConnections }),
    ...(flags.maxConnectionsPerAddress === undefined ? {} : { maxConnectionsPerAddress: flags.maxConnectionsPerAddress }),
    ...(flags.handshakeTimeout === undefined ? {} : { handshakeTimeoutMs: flags.handshakeTimeout * 1000 }),
  };
}

export interface HttpFlags {
  web?: boolean;
  webRoot?: string;
  partSize?: string;
  maxUpload?: string;
}

/** Options every command that serves the HTTP API shares (serve, start). */
export function addHttpOptions(command: Command): Command {
  return command
    .option('--web-root <dir>', 'serve the web UI from this directory (default: the built web/dist of this installation)')
    .option('--no-web', 'do not serve the web UI (the HTTP API stays)')
    .option('--part-size <size>', 'part size resumable uploads use (e.g. 16M; default 64M)')
    .option('--max-upload <size>', 'largest file a single streamed PUT may upload (e.g. 100G; default 1024G)');
}

export function httpOptions(flags: HttpFlags, cwd: string): { limits: Partial<HttpLimits>; webRoot?: string } {
  const limits: Partial<HttpLimits> = {};
  if (flags.partSize !== undefined) {
    limits.partSize = parseSize('--part-size', flags.partSize);
    if (limits.partSize < 64 * 1024) throw new UsageError('--part-size must be at least 64K');
    limits.maxPartBytes = Math.max(limits.partSize, 256 * 1024 * 1024);
  }
  if (flags.maxUpload !== undefined) limits.maxUploadBytes = parseSize('--max-upload', flags.maxUpload);
  return { limits, ...(flags.web === false ? {} : { webRoot: flags.webRoot === undefined ? DEFAULT_WEB_ROOT : resolve(cwd, flags.webRoot) }) };
}

function tlsFiles(flags: { tlsCert?: string; tlsKey?: string; tlsClientCa?: string }, cwd: string): { tls?: TlsFiles } {
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (flags.tlsClientCa && !flags.tlsCert) throw new UsageError('--tls-client-ca needs --tls-cert and --tls-key');
  if (!flags.tlsCert || !flags.tlsKey) return {};
  return { tls: { cert: resolve(cwd, flags.tlsCert), key: resolve(cwd, flags.tlsKey), ...(flags.tlsClientCa ? { clientCa: resolve(cwd, flags.tlsClientCa) } : {}) } };
}

export interface ServerParams {
  role: Role;
  host: string;
  port: number;
  tls?: TlsFiles;
  token?: string | undefined;
  open: boolean;
  repoDir?: string;
  dataDir?: string;
  sharing?: Sharing;
  name?: string;
  logLevel: string;
  /** false: no download plans (clients cannot reach the storage nodes). */
  directReads?: boolean;
  http: { limits: Partial<HttpLimits>; webRoot?: string } | false;
  connections?: Partial<ConnectionLimits>;
  /** Orchestrator / all: serve the S3 API too. */
  s3?: S3ListenerOptions;
  /** Called with the URLs once the server listens (default: print them). */
  onListening?: (url: string, s3Url?: string) => void | Promise<void>;
}

/** Run one dcs process until SIGTERM/SIGINT, then finish the requests in flight. */
export async function runServer(state: RunState, p: ServerParams): Promise<void> {
  const { role, tls } = p;
  const cwd = state.io.cwd;
  const env = state.io.env;
  const nodeClient = {
    ...(env.DCS_NODE_TOKEN ? { token: env.DCS_NODE_TOKEN } : {}),
    tls: {
      ...(env.DCS_TLS_CA ? { ca: resolve(cwd, env.DCS_TLS_CA) } : {}),
      ...(env.DCS_TLS_CLIENT_CERT ? { cert: resolve(cwd, env.DCS_TLS_CLIENT_CERT) } : tls ? { cert: tls.cert } : {}),
      ...(env.DCS_TLS_CLIENT_KEY ? { key: resolve(cwd, env.DCS_TLS_CLIENT_KEY) } : tls ? { key: tls.key } : {}),
    },
  };
  // The server stack loads only here, so other commands start without it.
  const [{ pino }, { startNode }] = await Promise.all([import('pino'), import('../../server/node.ts')]);
  // Signals are taken from here on, not only once the node serves: one that comes while the node
  // starts, or just after its URL is printed, must still stop it gracefully (as soon as it is up)
  // instead of killing it.
  const stopSignal = takeStopSignal();
  const log = pino({ level: p.logLevel, base: { pid: process.pid } }, pino.destination({ fd: 2, sync: true }));
  const http = p.http === false ? false : { limits: p.http.limits, ...(p.http.webRoot ? { webRoot: p.http.webRoot } : {}) };
  const node = await startNode({
    role,
    host: p.host,
    port: p.port,
    ...(tls ? { tls } : {}),
    ...(p.connections ? { connections: p.connections } : {}),
    ...(p.token ? { token: p.token } : {}),
    open: p.open,
    ...(p.repoDir
      ? {
          repoDir: p.repoDir,
          openOptions: { passphrase: passphraseFromEnvOrPrompt(state.io) },
          http,
        }
      : {}),
    ...(p.dataDir ? { dataDir: p.dataDir } : {}),
    ...(p.sharing ? { sharing: p.sharing } : {}),
    ...(p.name ? { name: p.name } : {}),
    ...(p.directReads === false ? { directReads: false } : {}),
    ...(p.s3 ? { s3: p.s3 } : {}),
    nodeClient,
    log,
  }).catch((err: unknown) => {
    stopSignal.cancel();
    throw err;
  });
  const printUrls = (url: string, s3Url?: string): void => {
    state.io.stdout.write(`${url}\n${s3Url ? `${s3Url} (S3)\n` : ''}`);
  };
  await (p.onListening ?? printUrls)(node.url, node.s3Url);
  const signal = await stopSignal.received;
  log.info({ signal }, 'signal received');
  await node.close();
}

/**
 * Wait for the first SIGTERM or SIGINT. The handlers go away once it comes, so a second one ends the
 * process at once (Ctrl-C twice when a graceful stop takes too long).
 */
function takeStopSignal(): { received: Promise<string>; cancel(): void } {
  let cancel = (): void => {};
  const received = new Promise<string>((settle) => {
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    cancel = (): void => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    };
    const stop = (signal: string): void => {
      cancel();
      settle(signal);
    };
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  return { received, cancel: () => cancel() };
}
