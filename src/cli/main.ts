// `dcs` entry: builds the command tree, runs one command, and turns failures into exit codes:
// 0 ok; 1 a problem dcs reports in one line (missing file, wrong passphrase, dead backend…);
// 2 bad usage; 3 the command ran but found problems (verify, repair); 70 an internal error (bug).
import { Command, CommanderError } from 'commander';
import { DcsError, errnoCode, UsageError } from '../core/errors.ts';
import type { CommandDefinition, RunState } from './command.ts';
import { processIO, writeLine, type CliIO } from './io.ts';
import { EXIT_BUG, EXIT_ERROR, EXIT_OK, EXIT_USAGE } from './exit-codes.ts';
import { VERSION } from './version.ts';
/**
 * Every command, in the order the help lists them, each loaded only when it runs: a command's
 * module graph (put's uploader, serve's server…) costs start-up that `dcs get` or `dcs ls` should
 * not pay. The full help, `dcs help` and unknown commands load them all.
 */
const COMMANDS: Readonly<Record<string, () => Promise<CommandDefinition>>> = {
  init: async () => (await import('./commands/init.ts')).defineInit,
  put: async () => (await import('./commands/put.ts')).definePut,
  get: async () => (await import('./commands/get.ts')).defineGet,
  ls: async () => (await import('./commands/ls.ts')).defineLs,
  stat: async () => (await import('./commands/stat.ts')).defineStat,
  rm: async () => (await import('./commands/rm.ts')).defineRm,
  verify: async () => (await import('./commands/verify.ts')).defineVerify,
  repair: async () => (await import('./commands/repair.ts')).defineRepair,
  gc: async () => (await import('./commands/gc.ts')).defineGc,
  stats: async () => (await import('./commands/stats.ts')).defineStats,
  rebalance: async () => (await import('./commands/rebalance.ts')).defineRebalance,
  serve: async () => (await import('./commands/serve.ts')).defineServe,
  start: async () => (await import('./commands/start.ts')).defineStart,
  cluster: async () => (await import('./commands/cluster.ts')).defineCluster,
  keys: async () => (await import('./commands/keys.ts')).defineKeys,
};

/** The definitions argv needs: its command's alone (dcs takes no options of its own but -V and -h). */
async function definitionsFor(argv: readonly string[]): Promise<CommandDefinition[]> {
  const name = argv.find((a) => !a.startsWith('-'));
  const loaders = name !== undefined && Object.hasOwn(COMMANDS, name) ? [COMMANDS[name]!] : Object.values(COMMANDS);
  return Promise.all(loaders.map((load) => load()));
}

function buildProgram(state: RunState, commands: readonly CommandDefinition[]): Command {
  const { io } = state;
  const program = new Command('dcs')
    .description('dcs — a deduplicating, compressing, encrypting file store over several storage backends')
    .version(VERSION, '-V, --version')
    // Options before the command belong to dcs, after it to the command (get --version N).
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s),
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  dcs init                              create ./.dcs with one local backend
  dcs init --repo /srv/r --backend fs:/disk1/dcs --backend fs:/disk2/dcs --replicate 2 --encrypt
  dcs put big.iso --codec zstd          store a file (prints size, stored size, ratio)
  cat app.log | dcs put - --name logs/app.log --codec auto
  dcs get big.iso -o copy.iso           restore byte for byte ('-o -' writes to stdout)
  dcs ls logs/ ; dcs stat big.iso       list files; show chunks, codecs, copies and health
  dcs verify --deep ; dcs repair        check every copy; rewrite missing or corrupt ones
  dcs rm big.iso ; dcs gc               delete, then reclaim space no longer referenced

The repository is --repo DIR, else $DCS_REPO, else ./.dcs. Encrypted repositories read the
passphrase from $DCS_PASSPHRASE or ask on the terminal.`,
    );
  for (const define of commands) define(program, state);
  // Subcommands inherit the output and error handling.
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
    cmd.showHelpAfterError('(run with --help for usage)');
  }
  return program;
}

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const state: RunState = { io, exitCode: EXIT_OK };
  const program = buildProgram(state, await definitionsFor(argv));
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT_USAGE;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (or the help/version text).
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (err instanceof UsageError) {
      writeLine(io.stderr, `dcs: ${err.message}`);
      return EXIT_USAGE;
    }
    if (err instanceof DcsError) {
      writeLine(io.stderr, `dcs: ${err.message.split('\n')[0]}`);
      return EXIT_ERROR;
    }
    if (err instanceof Error && errnoCode(err) !== undefined && 'syscall' in err) {
      // An operating-system error on a user-supplied path (missing input file, unwritable output).
      writeLine(io.stderr, `dcs: ${err.message}`);
      return EXIT_ERROR;
    }
    writeLine(io.stderr, `dcs: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return EXIT_BUG;
  }
}
