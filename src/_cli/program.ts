/**
 * What the CLI runs for each task: the command (with `{}` or the argument
 * appended), the `sh -c` form of `--shell`, or a function from `--module`.
 *
 * @module
 */
import type { CliConfig } from "./args.ts";
import { commandArgs } from "../_process/command_args.ts";
import type { Pargs, TaskFunction } from "../types.ts";

/** Quotes one word for a POSIX shell; plain words are left as they are. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Quotes every word and joins them with spaces. */
export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(" ");
}

/** The placeholder replaced by each task's argument. */
export const PLACEHOLDER = "{}";

/** What to run, ready for a runner. */
export interface CliProgram {
  pargs: Pargs;
  /** Passed to the runner as its `placeholder` option. */
  placeholder: string | undefined;
  /** Whether tasks are commands (else functions). */
  isCommand: boolean;
  /** The command line (or function call) a task with `arg` runs, for people. */
  describe: (arg: unknown) => string;
}

/** A `--module` path or URL as a URL, relative paths resolved from the current directory. */
export function moduleUrl(file: string): URL {
  if (/^[a-z][a-z0-9+.-]+:/i.test(file)) return new URL(file);
  const url = new URL("file:///");
  url.pathname = file.startsWith("/") ? file : `${Deno.cwd()}/${file}`;
  return url;
}

/**
 * Builds the program for `config`; with `--module` on the async engine the
 * module is imported now, so that a bad module fails before anything runs.
 *
 * @throws {Error} If the module cannot be loaded or its export is not a function.
 */
export async function buildProgram(config: CliConfig): Promise<CliProgram> {
  const words = config.command;
  if (config.module !== undefined) {
    const url = moduleUrl(config.module);
    const name = config.exportName;
    const describe = (arg: unknown) =>
      `${config.module}#${name}(${JSON.stringify([...words, String(arg)]).slice(1, -1)})`;
    let mod: Record<string, unknown>;
    try {
      mod = await import(url.href);
    } catch (error) {
      throw new Error(
        `cannot load --module ${JSON.stringify(config.module)}: ${
          error instanceof Error ? error.message.split("\n")[0] : String(error)
        }`,
      );
    }
    const fn = mod[name];
    if (typeof fn !== "function") {
      throw new Error(
        `--module ${JSON.stringify(config.module)} has no function export ${
          JSON.stringify(name)
        } (exports: ${Object.keys(mod).join(", ") || "none"})`,
      );
    }
    if (config.engine === "workers") {
      // Checked above on this thread; each worker imports the module by its URL.
      const { workerFunction } = await import("../worker_function.ts");
      return {
        pargs: [workerFunction(url, name), ...words],
        placeholder: undefined,
        isCommand: false,
        describe,
      };
    }
    return {
      pargs: [fn as TaskFunction, ...words],
      placeholder: undefined,
      isCommand: false,
      describe,
    };
  }
  if (config.shell) {
    // The argument is "$1", never part of the script's text.
    const script = shellScript(words.join(" "));
    const pargs = ["sh", "-c", script, "procrun"] as const;
    return {
      pargs,
      placeholder: undefined,
      isCommand: true,
      describe: (arg) => shellJoin([...pargs, String(arg)]),
    };
  }
  const [command, ...args] = words as [string, ...string[]];
  return {
    pargs: [command, ...args],
    placeholder: PLACEHOLDER,
    isCommand: true,
    describe: (arg) => shellJoin(commandArgs([command, ...args], arg, PLACEHOLDER)),
  };
}

/**
 * The `sh -c` script for `--shell`: each `{}` becomes a reference to `$1`,
 * quoted for where it stands, so the argument is always one word, never
 * split, globbed or read as script text. Outside quotes `{}` becomes `"$1"`;
 * inside double quotes, `$1`; inside single quotes, where nothing expands,
 * the quote is closed around `"$1"` (`'a {} b'` becomes `'a '"$1"' b'`).
 */
export function shellScript(text: string): string {
  let out = "";
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith(PLACEHOLDER, i)) {
      out += quote === "'" ? `'"$1"'` : quote === '"' ? "$1" : '"$1"';
      i += PLACEHOLDER.length - 1;
      continue;
    }
    const c = text[i]!;
    out += c;
    if (c === "\\" && quote !== "'" && i + 1 < text.length) {
      out += text[++i]; // an escaped character neither quotes nor ends a quote
    } else if (quote === undefined && (c === "'" || c === '"')) quote = c;
    else if (c === quote) quote = undefined;
  }
  return out;
}
