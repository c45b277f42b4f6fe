/**
 * Quoting for a POSIX shell: the CLI's command lines for people, and the
 * command line ssh hands a remote shell.
 *
 * @module
 */

/** Quotes one word for a POSIX shell; plain words are left as they are. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Quotes every word and joins them with spaces. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(" ");
}
