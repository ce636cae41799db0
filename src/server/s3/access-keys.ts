// S3 access keys. SigV4 is an HMAC under the secret, so the server must be able to recover each
// secret: a hash would not do. Secrets are stored sealed (AES-256-GCM, the key id as associated
// data so a sealed secret cannot be moved to another key) under a key-encryption key that is NOT in
// the metadata: the file `s3-secret.key` (mode 0600) beside dcs.yaml, made on first use, or
// DCS_S3_SECRET_KEY (base64 of 32 bytes) for orchestrators that share a PostgreSQL database. A copy
// of the metadata alone (a database dump, a backup) hands out no usable secret.
import { createCipheriv, createDecipheriv, randomBytes, randomInt } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, errnoCode, UsageError } from '../../core/errors.ts';
import type { LocalRepository, S3AccessKey } from '../../repository/repository.ts';

export const S3_SECRET_FILE = 's3-secret.key';
const SEAL_VERSION = 'v1';
/** Key ids look like AWS's (20 upper-case letters and digits), so tools that check their form accept them. */
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export interface AccessKeyGrant {
  readOnly?: boolean;
  bucket?: string;
  prefix?: string;
}

export class SecretVault {
  readonly #kek: Buffer;

  private constructor(kek: Buffer) {
    this.#kek = kek;
  }

  /** The vault of a repository: DCS_S3_SECRET_KEY, else its key file (made when `create`). */
  static async open(repoDir: string, env: Readonly<Record<string, string | undefined>>, create: boolean): Promise<SecretVault> {
    const fromEnv = env.DCS_S3_SECRET_KEY;
    if (fromEnv !== undefined) {
      const kek = Buffer.from(fromEnv, 'base64');
      if (kek.length !== 32) throw new ConfigError('DCS_S3_SECRET_KEY must be the base64 of 32 bytes (e.g. `openssl rand -base64 32`)');
      return new SecretVault(kek);
    }
    const file = join(repoDir, S3_SECRET_FILE);
    for (;;) {
      try {
        const kek = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
        if (kek.length !== 32) throw new ConfigError(`${file} is damaged: it must hold the base64 of 32 bytes`);
        return new SecretVault(kek);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
        if (!create) throw new ConfigError(`no S3 key-encryption key: ${file} is missing and DCS_S3_SECRET_KEY is not set (create an access key with \`dcs keys create\`)`);
      }
      // Written whole under another name, then linked into place: link fails if another process
      // made the file first, and then its key is the one read on the next turn.
      const tmp = `${file}.tmp-${process.pid}`;
      await writeFile(tmp, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      try {
        await link(tmp, file);
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
      } finally {
        await rm(tmp, { force: true });
      }
    }
  }

  seal(keyId: string, secret: string): string {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#kek, nonce);
    c.setAAD(Buffer.from(keyId));
    const sealed = Buffer.concat([c.update(secret, 'utf8'), c.final(), c.getAuthTag()]);
    return `${SEAL_VERSION}:${nonce.toString('base64')}:${sealed.toString('base64')}`;
  }

  /** The secret, or undefined when it was sealed under another key-encryption key (or altered). */
  unseal(keyId: string, sealed: string): string | undefined {
    const [version, nonce, body] = sealed.split(':');
    if (version !== SEAL_VERSION || !nonce || !body) return undefined;
    const bytes = Buffer.from(body, 'base64');
    if (bytes.length < 16) return undefined;
    try {
      const d = createDecipheriv('aes-256-gcm', this.#kek, Buffer.from(nonce, 'base64'));
      d.setAAD(Buffer.from(keyId));
      d.setAuthTag(bytes.subarray(bytes.length - 16));
      return Buffer.concat([d.update(bytes.subarray(0, bytes.length - 16)), d.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

function randomId(): string {
  let id = 'DCS';
  while (id.length < 20) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/** A new key: its id and secret (shown once: only the sealed secret is stored). */
export async function createAccessKey(repo: LocalRepository, vault: SecretVault, grant: AccessKeyGrant = {}): Promise<S3AccessKey & { secret: string }> {
  if (grant.prefix !== undefined && grant.bucket === undefined) throw new UsageError('--prefix needs --bucket: a prefix is of keys within one bucket');
  const id = randomId();
  // 40 characters, as AWS's secrets: 30 random bytes in base64 without '/' and '+'.
  const secret = randomBytes(30).toString('base64').replace(/\//g, 'a').replace(/\+/g, 'Z');
  const key = await repo.s3.createAccessKey({
    id,
    sealedSecret: vault.seal(id, secret),
    readOnly: grant.readOnly === true,
    ...(grant.bucket === undefined ? {} : { bucket: grant.bucket }),
    ...(grant.prefix === undefined ? {} : { prefix: grant.prefix }),
  });
  return { ...key, secret };
}
