// The orchestrators a client may talk to (`DCS_SERVER=url1,url2`): a gRPC client for the control
// calls and a data-plane client for bulk bytes, per orchestrator. Calls go to the current one; when
// it cannot be reached (refused, reset, gone mid-call) the client moves to the next and tries
// again, so a dead orchestrator costs a failed connection, not the command. Answers — errors
// included — are never retried elsewhere: only a failure to get an answer is.
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { UsageError } from '../core/errors.ts';
import { DataPlaneClient, isConnectionFailure } from '../services/data-plane.ts';
import { OrchestratorService } from '../services/gen/dcs/v1/orchestrator_pb.js';
import { createTransport, type ClientOptions } from '../services/transport.ts';

export interface Endpoint {
  url: string;
  rpc: Client<typeof OrchestratorService>;
  data: DataPlaneClient;
  close(): void;
  bytesSent(): number;
}

/** `url1,url2,…` (spaces allowed around commas) as a list; empty entries are a mistake. */
export function parseServers(value: string): string[] {
  const urls = value.split(',').map((u) => u.trim());
  if (urls.some((u) => u === '')) throw new UsageError(`server list ${JSON.stringify(value)} has an empty entry (expected URL[,URL…])`);
  return urls;
}

/**
 * Did the call fail to reach an orchestrator (so another may serve it), rather than get its answer?
 * gRPC's UNAVAILABLE also carries dcs errors (a backend down), which hold a `dcs-error` code: those
 * are answers.
 */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof ConnectError) {
    const code = err.metadata.get('dcs-error');
    // A stopping orchestrator refuses new uploads so that clients go elsewhere.
    if (code === 'SHUTTING_DOWN') return true;
    if (code !== null) return false;
    // connect-node reports a connection cut mid-call as ABORTED, INTERNAL, UNKNOWN or (a stream the
    // dying server reset: "http/2 stream closed with error code CANCEL") CANCELED, with the socket's error.
    return err.code === Code.Unavailable || ([Code.Aborted, Code.Internal, Code.Unknown, Code.Canceled].includes(err.code) && /ECONNRE|EPIPE|socket hang up|stream closed|GOAWAY|NGHTTP2/i.test(err.rawMessage));
  }
  return isConnectionFailure(err);
}

export class Endpoints {
  readonly #all: Endpoint[];
  #current = 0;

  constructor(urls: readonly string[], options: ClientOptions) {
    if (urls.length === 0) throw new UsageError('no orchestrator URL given');
    this.#all = urls.map((url) => {
      const { transport, close, bytesSent } = createTransport(url, options);
      const data = new DataPlaneClient(url, options);
      return {
        url,
        rpc: createClient(OrchestratorService, transport),
        data,
        close: () => {
          close();
          data.close();
        },
        bytesSent: () => bytesSent() + data.bytesSent,
      };
    });
  }

  get current(): Endpoint {
    return this.#all[this.#current]!;
  }

  get urls(): string[] {
    return this.#all.map((e) => e.url);
  }

  /** Leave `failed` for the next orchestrator, if it is still the current one. False: there is no other. */
  next(failed: Endpoint): boolean {
    if (this.#all.length === 1) return false;
    if (this.current === failed) this.#current = (this.#current + 1) % this.#all.length;
    return true;
  }

  /** Run `fn` on the current orchestrator; when it cannot be reached, on each of the others in turn. */
  async call<T>(fn: (e: Endpoint) => Promise<T>): Promise<T> {
    let first: unknown;
    for (let tried = 0; tried < this.#all.length; tried++) {
      const e = this.current;
      try {
        return await fn(e);
      } catch (err) {
        if (!isUnreachable(err)) throw err;
        first ??= err;
        if (!this.next(e)) throw first;
      }
    }
    throw first;
  }

  /** Bytes written to the network to every orchestrator (gRPC and data plane, headers included). */
  bytesSent(): number {
    return this.#all.reduce((n, e) => n + e.bytesSent(), 0);
  }

  close(): void {
    for (const e of this.#all) e.close();
  }
}
