import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, WrongPassphraseError } from '../../src/core/errors.ts';
import { createKeyFile, unlockKeyFile } from '../../src/core/keyfile.ts';

describe('key file', () => {
  it('unlocks with the right passphrase to the same keys, refuses a wrong one', async () => {
    const { keyFile, keys } = await createKeyFile('correct horse', { N: 1024 });
    const again = await unlockKeyFile(JSON.parse(JSON.stringify(keyFile)), 'correct horse');
    assert.deepEqual(again, keys);
    assert.notDeepEqual(keys.chunkKey, keys.idKey);
    await assert.rejects(unlockKeyFile(keyFile, 'wrong horse'), WrongPassphraseError);
  });

  it('normalises unicode passphrases (NFC vs NFD)', async () => {
    const { keyFile } = await createKeyFile('caf\u00e9', { N: 1024 });
    await unlockKeyFile(keyFile, 'cafe\u0301');
  });

  it('rejects malformed key files clearly', async () => {
    for (const bad of [null, {}, { version: 2 }, { version: 1, kdf: 'scrypt', N: 1024, r: 8, p: 1, salt: '', nonce: 'x', wrapped: 'y' }]) {
      await assert.rejects(unlockKeyFile(bad, 'x'), ConfigError);
    }
  });

  it('by default costs what the OWASP scrypt minimum costs (N·r·p ≥ 2^17·8) in 32 MiB, not 128', async () => {
    const { keyFile, keys } = await createKeyFile('pw');
    assert.ok(keyFile.N * keyFile.r * keyFile.p >= 2 ** 17 * 8, JSON.stringify(keyFile));
    assert.equal(128 * keyFile.N * keyFile.r, 32 * 1024 * 1024);
    assert.deepEqual(await unlockKeyFile(keyFile, 'pw'), keys);
  });

  it('uses a fresh salt and master key each time', async () => {
    const a = await createKeyFile('same', { N: 1024 });
    const b = await createKeyFile('same', { N: 1024 });
    assert.notEqual(a.keyFile.salt, b.keyFile.salt);
    assert.notDeepEqual(a.keys, b.keys);
  });
});
