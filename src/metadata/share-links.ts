// Share links: a random id (held by whoever got the link; only its hash is stored here) that
// downloads one file, pinned to a version or following the latest, until it expires, runs out of
// downloads or is revoked. Queries only; the store picks the transaction.
import { sql } from 'kysely';
import type { Db } from './sql-dialect.ts';

export interface ShareLinkSpec {
  idHash: string;
  name: string;
  /** Pinned version; undefined follows the latest. */
  version?: number;
  expiresAt: number;
  maxDownloads?: number;
}

export interface ShareLink extends ShareLinkSpec {
  createdAt: number;
  downloads: number;
}

type Row = { id_hash: string; name: string; version: number | null; created_at: number; expires_at: number; max_downloads: number | null; downloads: number };

const toLink = (r: Row): ShareLink => ({
  idHash: r.id_hash,
  name: r.name,
  ...(r.version === null ? {} : { version: Number(r.version) }),
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  ...(r.max_downloads === null ? {} : { maxDownloads: Number(r.max_downloads) }),
  downloads: Number(r.downloads),
});

/** Record a link; links expired by `now` are dropped on the way. */
export async function insertShareLink(db: Db, link: ShareLinkSpec, now: number): Promise<ShareLink> {
  await db.deleteFrom('share_links').where('expires_at', '<=', now).execute();
  await db
    .insertInto('share_links')
    .values({ id_hash: link.idHash, name: link.name, version: link.version ?? null, created_at: now, expires_at: link.expiresAt, max_downloads: link.maxDownloads ?? null })
    .execute();
  return { ...link, createdAt: now, downloads: 0 };
}

/**
 * Count one download through a live link and say what it reads; undefined when the link is
 * unknown, expired, revoked or used up. One statement, so concurrent downloads never exceed the limit.
 */
export async function countShareDownload(db: Db, idHash: string, now: number): Promise<ShareLink | undefined> {
  const rows = await sql<Row>`UPDATE share_links SET downloads = downloads + 1
            WHERE id_hash = ${idHash} AND expires_at > ${now} AND (max_downloads IS NULL OR downloads < max_downloads)
            RETURNING id_hash, name, version, created_at, expires_at, max_downloads, downloads`.execute(db);
  const row = rows.rows[0];
  return row ? toLink(row) : undefined;
}

/** A live link without counting a download (HEAD, and Range requests past the first byte). */
export async function liveShareLink(db: Db, idHash: string, now: number): Promise<ShareLink | undefined> {
  const row = await db
    .selectFrom('share_links')
    .selectAll()
    .where('id_hash', '=', idHash)
    .where('expires_at', '>', now)
    .where((eb) => eb.or([eb('max_downloads', 'is', null), eb('downloads', '<', eb.ref('max_downloads'))]))
    .executeTakeFirst();
  return row ? toLink(row) : undefined;
}

/** Links not expired, newest first; of one name when given. */
export async function listShareLinks(db: Db, now: number, name?: string): Promise<ShareLink[]> {
  let q = db.selectFrom('share_links').selectAll().where('expires_at', '>', now);
  if (name !== undefined) q = q.where('name', '=', name);
  return (await q.orderBy('created_at', 'desc').orderBy('id_hash').limit(1000).execute()).map(toLink);
}

/** Revoke a link; true when there was one. */
export async function deleteShareLink(db: Db, idHash: string): Promise<boolean> {
  const r = await db.deleteFrom('share_links').where('id_hash', '=', idHash).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
