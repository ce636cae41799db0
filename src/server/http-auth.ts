// Who may call the HTTP API: a bearer token (the orchestrator's DCS_TOKEN) on every request, or,
// for GET and HEAD only, a session cookie the browser got by presenting the token once. The cookie
// holds an HMAC of the token, not the token, and cannot authorise a change: a cross-site request
// can carry the cookie but never the Authorization header, so forged uploads or deletes fail.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { header, HttpError, type Req } from './http-util.ts';

export const SESSION_COOKIE = 'dcs_session';

export interface HttpAuth {
  /** Throws 401 unless the request may proceed. */
  check(req: Req): void;
  /** Cookie value for a correct token (undefined when the token is wrong). */
  sessionFor(token: string): string | undefined;
  enabled: boolean;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function cookieValue(req: Req, name: string): string | undefined {
  const raw = header(req, 'cookie');
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function httpAuth(token: string | undefined): HttpAuth {
  if (!token) return { enabled: false, check: () => {}, sessionFor: () => 'open' };
  const expected = digest(token);
  const session = createHmac('sha256', token).update('dcs web session v1').digest('base64url');
  const sessionDigest = digest(session);
  const tokenOk = (candidate: string): boolean => timingSafeEqual(digest(candidate), expected);
  return {
    enabled: true,
    sessionFor: (candidate) => (tokenOk(candidate) ? session : undefined),
    check(req) {
      const auth = header(req, 'authorization');
      if (auth !== undefined) {
        const m = /^Bearer\s+(\S+)$/i.exec(auth);
        if (m && tokenOk(m[1]!)) return;
        throw new HttpError(401, 'UNAUTHENTICATED', 'invalid token');
      }
      const cookie = cookieValue(req, SESSION_COOKIE);
      if (cookie !== undefined && (req.method === 'GET' || req.method === 'HEAD') && timingSafeEqual(digest(cookie), sessionDigest)) return;
      throw new HttpError(401, 'UNAUTHENTICATED', 'missing bearer token (the token npm start printed, or DCS_TOKEN)');
    },
  };
}
