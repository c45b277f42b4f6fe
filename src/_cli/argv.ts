/**
 * The command line as it was given, bytes that are not UTF-8 included.
 *
 * Deno decodes its arguments lossily: in `Deno.args` a file name that is not
 * UTF-8 has U+FFFD in place of its bad bytes, and a command run on it would
 * act on another name. On Linux the bytes are still in `/proc/self/cmdline`;
 * there such an argument is decoded as src/_text.ts does, so that its task
 * fails with a clear error instead.
 *
 * @module
 */
import { decodeEscaped } from "../_text.ts";

const lossy = new TextDecoder();

/**
 * `args` (the end of the process's command line, as `Deno.args` is), with each
 * argument that was not UTF-8 decoded with its bad bytes kept as lone
 * surrogates. Unchanged where the command line cannot be read.
 */
export function rawArgs(args: readonly string[] = Deno.args): string[] {
  const copy = [...args];
  if (Deno.build.os !== "linux" || !copy.some((arg) => arg.includes("\uFFFD"))) return copy;
  let cmdline: Uint8Array;
  try {
    cmdline = Deno.readFileSync("/proc/self/cmdline");
  } catch {
    return copy;
  }
  const entries: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < cmdline.length; i++) {
    if (cmdline[i] !== 0) continue;
    entries.push(cmdline.subarray(start, i));
    start = i + 1;
  }
  if (entries.length < copy.length) return copy;
  const tail = entries.slice(entries.length - copy.length);
  copy.forEach((arg, i) => {
    // Only where the bytes are the argument Deno decoded: the same text, lossily.
    if (arg.includes("\uFFFD") && lossy.decode(tail[i]) === arg) copy[i] = decodeEscaped(tail[i]!);
  });
  return copy;
}
