/** How `laurel` ends: exit codes, and the error that means "you called it wrong". */

/** Process exit codes; scripts rely on them, so they are public API. */
export const EXIT = {
  /** The credential verified (or help was asked for and printed). */
  ok: 0,
  /** The credential did not verify, or its content could not be read as a credential. */
  notVerified: 1,
  /** The command line is wrong: unknown command or flag, missing argument, no such file, refused URL. */
  usage: 2,
  /** A bug in Laurel: an unexpected exception. */
  internal: 3,
} as const;

/** A problem with the command line itself (exit 2), as opposed to a problem with the credential (exit 1). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
