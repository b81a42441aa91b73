// Bad usage: an unknown flag, a bad value, no command, a missing file. The CLI
// prints the message as one line on stderr and exits 1.

export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Exit code for bad usage and failed starts. */
export const EXIT_USAGE = 1;
