// Browser sessions of the HTTP API, kept server-side so that signing out (or changing the token)
// ends them: a copied cookie stops working. Rows hold a hash of the session id, so a copy of the
// metadata does not hand out live sessions. Queries only; the store picks the transaction.
import type { Db } from './sql-dialect.ts';

export interface WebSession {
  idHash: string;
  tokenFingerprint: string;
  expiresAt: number;
}

/** Record a session; sessions expired by `now` or made for another token are dropped on the way. */
export async function insertWebSession(db: Db, session: WebSession, now: number): Promise<void> {
  await db
    .deleteFrom('web_sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('token_fingerprint', '!=', session.tokenFingerprint)]))
    .execute();
  await db.insertInto('web_sessions').values({ id_hash: session.idHash, token_fingerprint: session.tokenFingerprint, created_at: now, expires_at: session.expiresAt }).execute();
}

export async function webSessionValid(db: Db, idHash: string, tokenFingerprint: string, now: number): Promise<boolean> {
  const row = await db
    .selectFrom('web_sessions')
    .select('id_hash')
    .where('id_hash', '=', idHash)
    .where('token_fingerprint', '=', tokenFingerprint)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row !== undefined;
}

export async function deleteWebSession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom('web_sessions').where('id_hash', '=', idHash).execute();
}
