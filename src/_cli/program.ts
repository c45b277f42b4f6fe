/**
 * What the CLI runs for each task: the command (with `{}` or the argument
 * appended), the `sh -c` form of `--shell`, or a function from `--module`.
 *
 * @module
 */
import type { CliConfig } from "./args.ts";
import { expandWord, fillPlace, hasReplacement, HOST, shellTemplate, SSHLOGIN } from "./replace.ts";
import type { Pargs, TaskFunction } from "../types.ts";

import { shellJoin, shellQuote } from "../_quote.ts";
import { importOwn } from "../_util.ts";

export { shellJoin, shellQuote };

/** The runner's placeholder: a command's pargs are this word alone, and each task's arg is its words. */
export const PLACEHOLDER = "{}";

/** What to run, ready for a runner. */
export interface CliProgram {
  pargs: Pargs;
  /** Passed to the runner as its `placeholder` option. */
  placeholder: string | undefined;
  /** Whether tasks are commands (else functions). */
  isCommand: boolean;
  /** What the runner gets as the arg of the task with these input values. */
  toArg: (values: string[], seq: number) => unknown;
  /**
   * The command line (or function call) a task with this input runs, for
   * people; `{%}`, `{host}` and `{sshlogin}` stay as they are unless the
   * task's `slot` and `host` (null for this machine) are given.
   */
  describe: (input: unknown, seq: number, slot?: number | null, host?: string | null) => string;
}

/** The words with the job slot and the host filled in where they are known. */
function withPlace(
  words: string[],
  slot: number | null | undefined,
  host: string | null | undefined,
): string[] {
  return words.map((word) => fillPlace(word, slot, host));
}

/** Without hosts, `{host}` and `{sshlogin}` are `:` as in GNU parallel; else the ssh engine fills them in. */
function hereOrThere(config: CliConfig, words: string[]): string[] {
  if (config.hosts !== undefined || config.sshloginfile !== undefined) return words;
  return words.map((word) => word.replaceAll(HOST, ":").replaceAll(SSHLOGIN, ":"));
}

/** A task's input (one value or several) as its list of values. */
export function valuesOf(input: unknown): string[] {
  return Array.isArray(input) ? input.map(String) : [String(input)];
}

/** A --module function's arg: its one input value, or the list of them. */
function functionArg(values: string[]): unknown {
  return values.length === 1 ? values[0] : values;
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
    const describe = (input: unknown) =>
      `${config.module}#${name}(${JSON.stringify([...words, input]).slice(1, -1)})`;
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
      const { workerFunction } = await importOwn<typeof import("../worker_function.ts")>(
        new URL("../worker_function.ts", import.meta.url),
      );
      return {
        pargs: [workerFunction(url, name), ...words],
        placeholder: undefined,
        isCommand: false,
        toArg: functionArg,
        describe,
      };
    }
    return {
      pargs: [fn as TaskFunction, ...words],
      placeholder: undefined,
      isCommand: false,
      toArg: functionArg,
      describe,
    };
  }
  if (config.shell) {
    // Each replacement string is a positional parameter, never part of the script's text.
    // -q (GNU parallel's --quote): each word stays one word of the script.
    const template = shellTemplate(config.quote ? shellJoin(words) : words.join(" "));
    const pargs = ["sh", "-c", template.script, "procrun"] as const;
    return {
      pargs,
      placeholder: undefined,
      isCommand: true,
      toArg: (values, seq) => hereOrThere(config, template.args(values, seq)),
      describe: (input, seq, slot, host) =>
        shellJoin([...pargs, ...withPlace(template.args(valuesOf(input), seq), slot, host)]),
    };
  }
  // Without a replacement string the values are appended, as GNU parallel appends {}.
  const replaces = words.some(hasReplacement);
  const argv = (values: string[], seq: number) =>
    replaces ? words.flatMap((word) => expandWord(word, values, seq)) : [...words, ...values];
  return {
    pargs: [PLACEHOLDER],
    placeholder: PLACEHOLDER,
    isCommand: true,
    toArg: (values, seq) => hereOrThere(config, argv(values, seq)),
    describe: (input, seq, slot, host) =>
      shellJoin(withPlace(argv(valuesOf(input), seq), slot, host)),
  };
}
