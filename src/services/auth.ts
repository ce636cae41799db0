// Bearer-token authentication for every RPC. The orchestrator checks users' tokens (DCS_TOKEN);
// chunkers, compressors and storage nodes accept only the orchestrator's node token
// (DCS_NODE_TOKEN). Tokens are compared in constant time. Running open (no token) is allowed only
// when the caller says so explicitly and the listener is on loopback.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import { ConfigError } from '../core/errors.ts';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Services anyone may call: health checkers (kubelet gRPC probes) cannot send tokens. */
const OPEN_SERVICES = new Set(['grpc.health.v1.Health']);

export function requireBearer(token: string): Interceptor {
  const expected = digest(token);
  return (next) => async (req) => {
    if (OPEN_SERVICES.has(req.service.typeName)) return next(req);
    const header = req.header.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m || !timingSafeEqual(digest(m[1]!), expected)) {
      throw new ConnectError(m ? 'invalid token' : 'missing bearer token (set DCS_TOKEN)', Code.Unauthenticated);
    }
    return next(req);
  };
}

export function sendBearer(token: string): Interceptor {
  return (next) => async (req) => {
    req.header.set('authorization', `Bearer ${token}`);
    return next(req);
  };
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * The interceptors a server needs: a token check, or nothing when it runs open. Refuses to run
 * open anywhere but loopback, and refuses to run without a token unless asked to run open.
 */
export function serverAuth(options: { token?: string; open?: boolean; host: string; role: string }): Interceptor[] {
  if (options.token) return [requireBearer(options.token)];
  if (!options.open) {
    throw new ConfigError(`${options.role}: no token configured (set ${options.role === 'orchestrator' ? 'DCS_TOKEN' : 'DCS_NODE_TOKEN'}, or pass --insecure-open on loopback)`);
  }
  if (!isLoopback(options.host)) throw new ConfigError(`${options.role}: --insecure-open is allowed only on a loopback address, not ${options.host}`);
  return [];
}
