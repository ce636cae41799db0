// S3 buckets and access keys, as the S3 front end (src/server/s3) keeps them. A bucket is a name
// prefix of the repository (`bucket/key`) plus its versioning status; an access key's secret
// arrives sealed (AES-256-GCM under a key kept outside the metadata) and is stored as given.
// Queries only; the store picks the transaction.
import { DcsError } from '../core/errors.ts';
import { prefixEnd, type Db, type SqlDialect } from './sql-dialect.ts';

/** S3's three bucket versioning states: a bucket starts Unversioned and never returns to it. */
export type S3Versioning = 'Unversioned' | 'Enabled' | 'Suspended';

export interface S3Bucket {
  name: string;
  createdAt: number;
  versioning: S3Versioning;
}

export type S3BucketDeletion = 'deleted' | 'not-empty' | 'missing';

export interface S3AccessKeySpec {
  /** The access key id clients send (AKIA… style: 20 upper-case letters and digits). */
  id: string;
  /** The secret, sealed: never stored or logged in the clear. */
  sealedSecret: string;
  readOnly: boolean;
  /** Only this bucket (every bucket when absent). */
  bucket?: string;
  /** Only keys starting with this (with `bucket`). */
  prefix?: string;
}

export interface S3AccessKey extends S3AccessKeySpec {
  createdAt: number;
  revokedAt?: number;
}

// --- buckets -----------------------------------------------------------------------------------

type BucketRow = { name: string; created_at: number; versioning: S3Versioning };

const toBucket = (r: BucketRow): S3Bucket => ({ name: r.name, createdAt: Number(r.created_at), versioning: r.versioning });

/** Record a bucket; false when one of that name exists (ON CONFLICT DO NOTHING: no error to catch). */
export async function insertBucket(db: Db, name: string, now: number): Promise<boolean> {
  const r = await db.insertInto('s3_buckets').values({ name, created_at: now }).onConflict((oc) => oc.column('name').doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function getBucket(db: Db, name: string): Promise<S3Bucket | undefined> {
  const r = await db.selectFrom('s3_buckets').selectAll().where('name', '=', name).executeTakeFirst();
  return r && toBucket(r);
}

/** Every bucket in byte order of names (SQLite's BINARY collation, the column's COLLATE "C" on PostgreSQL). */
export async function listBuckets(db: Db): Promise<S3Bucket[]> {
  return (await db.selectFrom('s3_buckets').selectAll().orderBy('name').execute()).map(toBucket);
}

/**
 * Delete a bucket unless a file lies under it, in the caller's write transaction: the bucket row
 * is locked first (FOR UPDATE on PostgreSQL), then the names `bucket/…` are checked as a byte-order
 * range (`bucket/` ≤ name < `bucket0`, '0' following '/'), which the files' name index serves and
 * in which '%' or '_' in a name mean nothing. A file is a name with a version.
 */
export async function deleteBucket(d: SqlDialect, trx: Db, name: string): Promise<S3BucketDeletion> {
  const bucket = await d.lock(trx.selectFrom('s3_buckets').select('name').where('name', '=', name), 'update').executeTakeFirst();
  if (!bucket) return 'missing';
  const prefix = `${name}/`;
  const file = await trx
    .selectFrom('files as f')
    .select('f.id')
    .where('f.name', '>=', prefix)
    .where('f.name', '<', prefixEnd(prefix)!)
    .where((eb) => eb.exists(eb.selectFrom('versions as v').select('v.id').whereRef('v.file_id', '=', 'f.id')))
    .limit(1)
    .executeTakeFirst();
  if (file) return 'not-empty';
  await trx.deleteFrom('s3_buckets').where('name', '=', name).execute();
  return 'deleted';
}

/** Set a bucket's versioning status; false when there is no such bucket. */
export async function setBucketVersioning(db: Db, name: string, status: Exclude<S3Versioning, 'Unversioned'>): Promise<boolean> {
  const r = await db.updateTable('s3_buckets').set({ versioning: status }).where('name', '=', name).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

// --- access keys -------------------------------------------------------------------------------

type KeyRow = { id: string; sealed_secret: string; read_only: number | boolean; bucket: string | null; prefix: string | null; created_at: number; revoked_at: number | null };

const toKey = (r: KeyRow): S3AccessKey => ({
  id: r.id,
  sealedSecret: r.sealed_secret,
  readOnly: Boolean(r.read_only),
  ...(r.bucket === null ? {} : { bucket: r.bucket }),
  ...(r.prefix === null ? {} : { prefix: r.prefix }),
  createdAt: Number(r.created_at),
  ...(r.revoked_at === null ? {} : { revokedAt: Number(r.revoked_at) }),
});

/** Record an access key made at `now`; DcsError('CONFLICT') when its id exists (revoked or not). */
export async function insertAccessKey(db: Db, key: S3AccessKeySpec, now: number): Promise<S3AccessKey> {
  const r = await db
    .insertInto('s3_access_keys')
    .values({ id: key.id, sealed_secret: key.sealedSecret, read_only: key.readOnly ? 1 : 0, bucket: key.bucket ?? null, prefix: key.prefix ?? null, created_at: now })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) throw new DcsError('CONFLICT', `an S3 access key with id ${JSON.stringify(key.id)} exists`);
  return toKey({ id: key.id, sealed_secret: key.sealedSecret, read_only: key.readOnly, bucket: key.bucket ?? null, prefix: key.prefix ?? null, created_at: now, revoked_at: null });
}

/** A key that exists and is not revoked. */
export async function liveAccessKey(db: Db, id: string): Promise<S3AccessKey | undefined> {
  const r = await db.selectFrom('s3_access_keys').selectAll().where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return r && toKey(r);
}

/** Every key, revoked ones included, oldest first. */
export async function listAccessKeys(db: Db): Promise<S3AccessKey[]> {
  return (await db.selectFrom('s3_access_keys').selectAll().orderBy('created_at').orderBy('id').execute()).map(toKey);
}

/** Mark a live key revoked at `now`; false when there is no live key of that id. */
export async function revokeAccessKey(db: Db, id: string, now: number): Promise<boolean> {
  const r = await db.updateTable('s3_access_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
