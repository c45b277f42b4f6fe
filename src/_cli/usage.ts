/**
 * The error of a mistaken command line.
 *
 * @module
 */

/** A mistake in the command line: reported in one line, with a hint to `--help`. */
export class UsageError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
