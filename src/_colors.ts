/**
 * ANSI colours decided per call, not by a process-wide switch: std's
 * `setColorEnabled(true)` does nothing while `NO_COLOR` is set, so it cannot
 * honour `--color always` (no-color.org: an explicit flag wins).
 *
 * @module
 */

/** Functions that wrap text in one colour each, or leave it as is. */
export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

function code(open: number, close: number): (text: string) => string {
  return (text) => `\x1b[${open}m${text}\x1b[${close}m`;
}

const plain = (text: string) => text;

const COLORED: Palette = {
  bold: code(1, 22),
  dim: code(2, 22),
  red: code(31, 39),
  green: code(32, 39),
  yellow: code(33, 39),
  cyan: code(36, 39),
};

const PLAIN: Palette = {
  bold: plain,
  dim: plain,
  red: plain,
  green: plain,
  yellow: plain,
  cyan: plain,
};

/** The palette for `enabled`. */
export function palette(enabled: boolean): Palette {
  return enabled ? COLORED : PLAIN;
}

/** Colour by default: `stream` is a terminal and `NO_COLOR` is not set. */
export function colorByDefault(stream: { isTerminal(): boolean }): boolean {
  return !Deno.noColor && stream.isTerminal();
}
