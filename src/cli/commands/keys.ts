// `dcs keys create|list|revoke`: the access keys S3 clients sign with (docs/s3.md). A secret is
// shown once, when its key is made; the repository keeps it sealed under s3-secret.key (or
// DCS_S3_SECRET_KEY), never in the clear.
import type { Command } from 'commander';
import { UsageError } from '../../core/errors.ts';
import { locateRepository } from '../../repository/locate.ts';
import { REPO_OPTION_HELP, printJson, withRepository, type RunState } from '../command.ts';
import { formatDate, table } from '../format.ts';
import { writeLine } from '../io.ts';

interface KeysFlags {
  repo?: string;
  json?: boolean;
}

interface CreateFlags extends KeysFlags {
  readOnly?: boolean;
  bucket?: string;
  prefix?: string;
}

export function defineKeys(program: Command, state: RunState): void {
  const keys = program
    .command('keys')
    .description('manage the access keys of the S3 API (create, list, revoke)')
    .addHelpText(
      'after',
      `
Examples:
  dcs keys create                        a key that may read and write every bucket
  dcs keys create --read-only --bucket backups --prefix hosts/web1/
  dcs keys list
  dcs keys revoke DCSABCDEFGHIJKLMNOPQ   stops working at once, on every orchestrator

Use the key with any S3 client, e.g.:
  AWS_ACCESS_KEY_ID=ID AWS_SECRET_ACCESS_KEY=SECRET aws --endpoint-url http://127.0.0.1:7071 s3 ls`,
    );
  keys
    .command('create')
    .description('create an access key and print its secret (shown only this once)')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--read-only', 'the key may only read (GET, HEAD, list)')
    .option('--bucket <bucket>', 'the key may only use this bucket')
    .option('--prefix <prefix>', 'with --bucket: only keys starting with this')
    .option('--json', 'print the key as JSON')
    .action(async (flags: CreateFlags) => {
      if (flags.prefix !== undefined && flags.bucket === undefined) throw new UsageError('--prefix needs --bucket: a prefix is of keys within one bucket');
      await withRepository(state, { ...flags, unlock: 'on-use' }, async (repo) => {
        const [{ createAccessKey, SecretVault }, { validBucketName }] = await Promise.all([import('../../server/s3/access-keys.ts'), import('../../server/s3/s3-buckets.ts')]);
        if (flags.bucket !== undefined && !validBucketName(flags.bucket)) throw new UsageError(`--bucket ${JSON.stringify(flags.bucket)} is not a valid S3 bucket name (3-63 lower-case letters, digits, "." and "-")`);
        const vault = await SecretVault.open(locateRepository(flags.repo, state.io.env, state.io.cwd), state.io.env, true);
        const key = await createAccessKey(repo, vault, {
          ...(flags.readOnly ? { readOnly: true } : {}),
          ...(flags.bucket !== undefined ? { bucket: flags.bucket } : {}),
          ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
        });
        if (flags.json) {
          printJson(state, { id: key.id, secret: key.secret, readOnly: key.readOnly, bucket: key.bucket ?? null, prefix: key.prefix ?? null, createdAt: new Date(key.createdAt).toISOString() });
          return;
        }
        writeLine(state.io.stdout, `access key id:     ${key.id}`);
        writeLine(state.io.stdout, `secret access key: ${key.secret}`);
        writeLine(state.io.stdout, `grant:             ${grantText(key)}`);
        writeLine(state.io.stdout, 'The secret is shown only now: store it in your S3 client.');
      });
    });
  keys
    .command('list')
    .description('list access keys (never their secrets)')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--json', 'print the keys as JSON')
    .action(async (flags: KeysFlags) => {
      await withRepository(state, { ...flags, unlock: 'on-use' }, async (repo) => {
        const all = await repo.s3.listAccessKeys();
        if (flags.json) {
          printJson(
            state,
            all.map((k) => ({ id: k.id, readOnly: k.readOnly, bucket: k.bucket ?? null, prefix: k.prefix ?? null, createdAt: new Date(k.createdAt).toISOString(), revokedAt: k.revokedAt === undefined ? null : new Date(k.revokedAt).toISOString() })),
          );
          return;
        }
        if (all.length === 0) {
          writeLine(state.io.stdout, "no access keys (create one with 'dcs keys create')");
          return;
        }
        const rows = [['ID', 'GRANT', 'CREATED', 'STATE'], ...all.map((k) => [k.id, grantText(k), formatDate(k.createdAt), k.revokedAt === undefined ? 'active' : `revoked ${formatDate(k.revokedAt)}`])];
        writeLine(state.io.stdout, table(rows));
      });
    });
  keys
    .command('revoke')
    .description('revoke an access key: requests signed with it are refused from now on')
    .argument('<id>', 'access key id')
    .option('--repo <dir>', REPO_OPTION_HELP)
    .option('--json', 'print the result as JSON')
    .action(async (id: string, flags: KeysFlags) => {
      await withRepository(state, { ...flags, unlock: 'on-use' }, async (repo) => {
        const revoked = await repo.s3.revokeAccessKey(id);
        if (!revoked) throw new UsageError(`no active access key ${JSON.stringify(id)} (see 'dcs keys list')`);
        if (flags.json) printJson(state, { id, revoked: true });
        else writeLine(state.io.stdout, `revoked ${id}`);
      });
    });
}

function grantText(k: { readOnly: boolean; bucket?: string; prefix?: string }): string {
  const scope = k.bucket === undefined ? 'every bucket' : `bucket ${k.bucket}${k.prefix === undefined ? '' : `, keys ${k.prefix}*`}`;
  return `${k.readOnly ? 'read' : 'read-write'}, ${scope}`;
}
