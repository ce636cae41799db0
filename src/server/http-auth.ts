// Who may call the HTTP API: a bearer token (the orchestrator's DCS_TOKEN) on every request, or,
// for GET and HEAD only, a session cookie the browser got by presenting the token once. The cookie
// cannot authorise a change: a cross-site request can carry the cookie but never the
// Authorization header, so forged uploads or deletes fail.
//
// Sessions live server-side (in metadata, shared by orchestrators): the cookie is a random id,
// the metadata holds only its hash, the token it was made for (as a short fingerprint) and an
// expiry. Signing out deletes the row, so a copied cookie stops working; a new token ends every
// session of the old one.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { WebSessions } from '../repository/repository.ts';
import { header, HttpError, type Req } from './http-util.ts';

export const SESSION_COOKIE = 'dcs_session';

/** How long a browser stays signed in without signing in again. */
export const DEFAULT_SESSION_TTL_MS = 30 * 24 * 3600 * 1000;

export const MISSING_TOKEN = 'sign in: send the token as "Authorization: Bearer TOKEN" (dcs start prints it; servers take DCS_TOKEN)';

export interface HttpAuth {
  /** Throws 401 unless the request may proceed. */
  check(req: Req): Promise<void>;
  /** A new session for a correct token (undefined when the token is wrong): the cookie value and its lifetime. */
  startSession(token: string): Promise<{ value: string; maxAgeSeconds: number } | undefined>;
  /** End the session the request's cookie names, if any. */
  endSession(req: Req): Promise<void>;
  enabled: boolean;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
const idHash = (id: string): string => createHash('sha256').update(id).digest('hex');

function cookieValue(req: Req, name: string): string | undefined {
  const raw = header(req, 'cookie');
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Session ids are 32 random bytes, base64url: anything else is not worth a metadata look-up. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

export function httpAuth(token: string | undefined, sessions: WebSessions, ttlMs = DEFAULT_SESSION_TTL_MS): HttpAuth {
  if (!token) return { enabled: false, check: async () => {}, startSession: async () => ({ value: 'open', maxAgeSeconds: Math.floor(ttlMs / 1000) }), endSession: async () => {} };
  const expected = digest(token);
  // 32 bits: enough to tell one token's sessions from another's, too few to check guesses of
  // the token against a copy of the metadata.
  const fingerprint = createHmac('sha256', token).update('dcs web session token').digest('hex').slice(0, 8);
  const tokenOk = (candidate: string): boolean => timingSafeEqual(digest(candidate), expected);
  return {
    enabled: true,
    async startSession(candidate) {
      if (!tokenOk(candidate)) return undefined;
      const id = randomBytes(32).toString('base64url');
      await sessions.create({ idHash: idHash(id), tokenFingerprint: fingerprint, expiresAt: Date.now() + ttlMs });
      return { value: id, maxAgeSeconds: Math.floor(ttlMs / 1000) };
    },
    async endSession(req) {
      const id = cookieValue(req, SESSION_COOKIE);
      if (id !== undefined && SESSION_ID.test(id)) await sessions.revoke(idHash(id));
    },
    async check(req) {
      const auth = header(req, 'authorization');
      if (auth !== undefined) {
        const m = /^Bearer\s+(\S+)$/i.exec(auth);
        if (m && tokenOk(m[1]!)) return;
        throw new HttpError(401, 'UNAUTHENTICATED', 'invalid token');
      }
      const id = cookieValue(req, SESSION_COOKIE);
      if (id === undefined) throw new HttpError(401, 'UNAUTHENTICATED', MISSING_TOKEN);
      if ((req.method === 'GET' || req.method === 'HEAD') && SESSION_ID.test(id) && (await sessions.valid(idHash(id), fingerprint))) return;
      throw new HttpError(401, 'UNAUTHENTICATED', req.method === 'GET' || req.method === 'HEAD' ? 'session ended (signed out, expired or the token changed): sign in again' : MISSING_TOKEN);
    },
  };
}
