// Passphrases come from DCS_PASSPHRASE or, on a terminal, a prompt without echo. Never from argv
// or dcs.yaml (they would end up in shell history, process lists or backups of the config).
import { PassphraseRequiredError, UsageError } from '../core/errors.ts';
import type { CliIO } from './io.ts';

async function prompt(io: CliIO, question: string): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadStream;
  io.stderr.write(question);
  stdin.setRawMode?.(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let answer = '';
      const onData = (data: Buffer): void => {
        for (const ch of data.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            io.stderr.write('\n');
            resolve(answer);
            return;
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            reject(new UsageError('interrupted'));
            return;
          }
          if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
          else answer += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode?.(false);
    stdin.pause();
  }
}

export function passphraseFromEnvOrPrompt(io: CliIO): () => Promise<string> {
  return async () => {
    const env = io.env.DCS_PASSPHRASE;
    if (env !== undefined && env.length > 0) return env;
    if (!io.stdin.isTTY) throw new PassphraseRequiredError();
    return prompt(io, 'Repository passphrase: ');
  };
}

/** A new passphrase for `init --encrypt`: from the environment, or asked twice on a terminal. */
export async function newPassphrase(io: CliIO): Promise<string> {
  const env = io.env.DCS_PASSPHRASE;
  if (env !== undefined && env.length > 0) return env;
  if (!io.stdin.isTTY) throw new PassphraseRequiredError();
  const first = await prompt(io, 'New repository passphrase: ');
  if (first.length < 8) throw new UsageError('passphrase too short (at least 8 characters)');
  const second = await prompt(io, 'Repeat passphrase: ');
  if (first !== second) throw new UsageError('passphrases do not match');
  return first;
}
