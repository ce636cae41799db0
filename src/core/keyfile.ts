// Repository keys. A random 32-byte master key is wrapped (AES-256-GCM) by a key derived from the
// passphrase with scrypt and stored as a JSON key file; HKDF derives the chunk encryption key and
// the chunk id (HMAC) key from the master key. Changing the passphrase only rewraps the master key.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scrypt } from 'node:crypto';
import { ConfigError, WrongPassphraseError } from './errors.ts';

export interface RepositoryKeys {
  /** AES-256-GCM key for chunk payloads. */
  chunkKey: Uint8Array;
  /** HMAC-SHA-256 key for chunk ids. */
  idKey: Uint8Array;
}

export interface KeyFile {
  version: 1;
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  nonce: string;
  wrapped: string;
  createdAt: string;
}

/**
 * scrypt N=2^15, r=8, p=4: the work of OWASP's N=2^17, r=8, p=1 (~0.3 s here) in 32 MiB instead of
 * 128 MiB, above OWASP's equivalent minimum for that memory (p=3). The 128 MiB put every command
 * of an encrypted repository over 200 MB of peak RSS. Key files keep their own parameters, so
 * older ones unlock as before.
 */
const DEFAULT_N = 2 ** 15;
const R = 8;
const P = 4;

function derive(passphrase: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize('NFC'), salt, 32, { N, r, p, maxmem: 256 * N * r + 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function subkeys(master: Uint8Array): RepositoryKeys {
  const derive32 = (info: string): Uint8Array => new Uint8Array(hkdfSync('sha256', master, new Uint8Array(0), info, 32));
  return { chunkKey: derive32('dcs chunk encryption v1'), idKey: derive32('dcs chunk id v1') };
}

const AAD = Buffer.from('dcs key file v1');

export async function createKeyFile(passphrase: string, cost: { N?: number } = {}): Promise<{ keyFile: KeyFile; keys: RepositoryKeys }> {
  const N = cost.N ?? DEFAULT_N;
  if (!Number.isInteger(Math.log2(N)) || N < 1024) throw new RangeError('scrypt N must be a power of two ≥ 1024');
  const master = randomBytes(32);
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const kek = await derive(passphrase, salt, N, R, P);
  const c = createCipheriv('aes-256-gcm', kek, nonce);
  c.setAAD(AAD);
  const wrapped = Buffer.concat([c.update(master), c.final(), c.getAuthTag()]);
  const keyFile: KeyFile = {
    version: 1,
    kdf: 'scrypt',
    N,
    r: R,
    p: P,
    salt: salt.toString('base64'),
    nonce: nonce.toString('base64'),
    wrapped: wrapped.toString('base64'),
    createdAt: new Date().toISOString(),
  };
  return { keyFile, keys: subkeys(master) };
}

function validKeyFile(k: unknown): k is KeyFile {
  if (typeof k !== 'object' || k === null) return false;
  const o = k as Record<string, unknown>;
  const int = (v: unknown, max: number): boolean => Number.isInteger(v) && (v as number) > 0 && (v as number) <= max;
  return (
    o.version === 1 &&
    o.kdf === 'scrypt' &&
    int(o.N, 2 ** 22) &&
    int(o.r, 64) &&
    int(o.p, 16) &&
    typeof o.salt === 'string' &&
    typeof o.nonce === 'string' &&
    typeof o.wrapped === 'string' &&
    Buffer.from(o.nonce, 'base64').length === 12 &&
    Buffer.from(o.wrapped, 'base64').length === 48
  );
}

export async function unlockKeyFile(keyFile: unknown, passphrase: string): Promise<RepositoryKeys> {
  if (!validKeyFile(keyFile)) throw new ConfigError('key file is malformed (expected a dcs v1 scrypt key file)');
  const kek = await derive(passphrase, Buffer.from(keyFile.salt, 'base64'), keyFile.N, keyFile.r, keyFile.p);
  const wrapped = Buffer.from(keyFile.wrapped, 'base64');
  const d = createDecipheriv('aes-256-gcm', kek, Buffer.from(keyFile.nonce, 'base64'));
  d.setAAD(AAD);
  d.setAuthTag(wrapped.subarray(32));
  let master: Buffer;
  try {
    master = Buffer.concat([d.update(wrapped.subarray(0, 32)), d.final()]);
  } catch {
    throw new WrongPassphraseError();
  }
  return subkeys(master);
}
