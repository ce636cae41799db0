// Exit codes shared by every command (documented in `dcs --help` and the README).
export const EXIT_OK = 0;
/** A problem reported in one line: missing file, wrong passphrase, dead backend, … */
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
/** The command ran but found problems (verify) or could not fix all of them (repair). */
export const EXIT_PROBLEMS = 3;
/** An internal error: a bug, printed with its stack. */
export const EXIT_BUG = 70;
