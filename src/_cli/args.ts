/**
 * The command line of `procrun`: split into options, command and `:::`
 * arguments, parsed with `parseArgs` and checked. Nothing here runs anything.
 *
 * @module
 */
import { parseArgs } from "@std/cli/parse-args";
import type { CliConfig, InputSource, OutputMode } from "./config.ts";
import { ISOLATION_OPTIONS, parseIsolation } from "./isolation.ts";
import {
  checkRemote,
  parseRemote,
  REMOTE_BOOLEANS,
  REMOTE_COLLECT,
  REMOTE_STRINGS,
} from "./remote.ts";
import { UsageError } from "./usage.ts";
import {
  delimiter,
  jobs,
  number,
  oneOf,
  parseHalt,
  refuseShellText,
  regex,
  timeouts,
} from "./values.ts";

export { UsageError };

export type { CliConfig, InputSource, OutputMode };

/** The words that start an input source after the command. */
const MARKERS = [":::", "::::", ":::+", "::::+"];

const STRINGS = [
  "jobs",
  "timeout",
  "engine",
  "kill-grace",
  "max-output-bytes",
  "color",
  "joblog",
  "trace",
  "retries",
  "retry-delay",
  "halt",
  "halt-on-error",
  "colsep",
  "delimiter",
  "max-args",
  "delay",
  "tagstring",
  "results",
  "arg-file",
  ...REMOTE_STRINGS,
  "key-sep",
  "module",
  "export",
  ...ISOLATION_OPTIONS,
];
const BOOLEANS = [
  "keep-order",
  "dry-run",
  "quiet",
  "progress",
  "report",
  "json",
  "jsonl",
  "shell",
  "help",
  "version",
  "resume",
  "resume-failed",
  "link",
  "null",
  "verbose",
  "quote",
  "tag",
  "line-buffer",
  ...REMOTE_BOOLEANS,
];
// GNU parallel's short options: -t prints each command, -q quotes it (see README).
const ALIASES: Record<string, string> = {
  j: "jobs",
  t: "verbose",
  q: "quote",
  h: "help",
  V: "version",
  a: "arg-file",
  S: "sshlogin",
  M: "controlmaster",
  k: "keep-order",
  d: "delimiter",
  N: "max-args",
  "0": "null",
};
const SHORT_WITH_VALUE = new Set(
  Object.entries(ALIASES).filter(([, long]) => STRINGS.includes(long)).map(([s]) => s),
);

/**
 * Splits `args` where procrun's own options end: at `--`, at `:::` or at the
 * first word that is neither an option nor an option's value. The command
 * part is never given to `parseArgs`, so `procrun -q true ::: 1` runs `true`.
 * An option's separate value is joined to it (`--timeout=-1`), so that a value
 * starting with `-` is still its value.
 */
function split(args: string[]): { options: string[]; rest: string[] } {
  const options: string[] = [];
  for (let i = 0; i < args.length; i++) {
    // GNU parallel's -P is -j (a second alias of one name would make parseArgs drop its type).
    const arg = /^-[a-zA-Z0]+/.test(args[i]!) ? args[i]!.replace(/^-(\w*?)P/, "-$1j") : args[i]!;
    if (arg === "--") return { options, rest: args.slice(i + 1) };
    if (MARKERS.includes(arg) || !arg.startsWith("-") || arg === "-") {
      return { options, rest: args.slice(i) };
    }
    const long = /^--([^=]+)$/.exec(arg);
    const short = /^-([a-zA-Z0]+)$/.exec(arg);
    // "--" and ":::" end the options: they are never a value.
    const hasValue = i + 1 < args.length && args[i + 1] !== "--" && !MARKERS.includes(args[i + 1]!);
    if (long && STRINGS.includes(long[1]!) && hasValue) {
      options.push(`${arg}=${args[++i]}`);
    } else if (short && SHORT_WITH_VALUE.has(short[1]!.at(-1)!) && hasValue) {
      const letters = [...short[1]!];
      const last = letters.pop()!;
      for (const letter of letters) options.push(`-${letter}`);
      options.push(`-${last}=${args[++i]}`);
    } else {
      options.push(arg);
    }
  }
  return { options, rest: [] };
}

/**
 * Parses and checks procrun's command line.
 *
 * @throws {UsageError} For an unknown option, a bad value or a contradiction.
 */
export function parseCli(args: string[]): CliConfig {
  const { options, rest } = split(args);
  let unknown: string | undefined;
  const flags = parseArgs(options, {
    string: STRINGS,
    boolean: BOOLEANS,
    negatable: ["progress", "controlmaster"],
    collect: ["arg-file", ...REMOTE_COLLECT],
    alias: ALIASES,
    unknown: (arg: string, key?: string) => {
      if (key !== undefined) unknown ??= arg;
      return false;
    },
  }) as Record<string, unknown>;
  if (unknown !== undefined) {
    throw new UsageError(`unknown option '${unknown.replace(/=.*/s, "")}'`);
  }
  const str = (name: string) => {
    const value = flags[name];
    // A repeated option gives an array: the last one wins.
    const last = Array.isArray(value) ? String(value.at(-1)) : value as string | undefined;
    if (last === "") throw new UsageError(`--${name} needs a value`);
    return last;
  };
  const bool = (name: string) => flags[name] === true;
  // Every value of a repeatable option, in order.
  const strings = (name: string) => {
    const value = flags[name];
    const all = value === undefined
      ? []
      : Array.isArray(value)
      ? value.map(String)
      : [String(value)];
    if (all.includes("")) throw new UsageError(`--${name} needs a value`);
    return all;
  };

  const marker = rest.findIndex((word) => MARKERS.includes(word));
  const command = marker === -1 ? rest : rest.slice(0, marker);
  const sources: InputSource[] = [];
  for (let i = marker; i !== -1 && i < rest.length;) {
    const kind = rest[i]!;
    let end = rest.findIndex((word, at) => at > i && MARKERS.includes(word));
    if (end === -1) end = rest.length;
    const words = rest.slice(i + 1, end);
    const linked = kind.endsWith("+") && sources.length > 0;
    if (kind.startsWith("::::")) {
      if (words.length === 0) throw new UsageError(`${kind} needs a file name`);
      for (const file of words) sources.push({ file, linked: linked && file === words[0] });
    } else sources.push({ values: words, linked });
    i = end;
  }
  const argFiles = strings("arg-file");
  if (argFiles.length > 1) {
    if (sources.length > 0) throw new UsageError("':::' and --arg-file cannot be used together");
    for (const file of argFiles) sources.push({ file, linked: false });
  }

  const modes = (["report", "json", "jsonl"] as const).filter(bool);
  if (modes.length > 1) {
    throw new UsageError(`--${modes[0]} and --${modes[1]} cannot be used together`);
  }
  const engine = oneOf("--engine", str("engine"), ["async", "workers"]) ?? "async";
  const config: CliConfig = {
    help: bool("help"),
    version: bool("version"),
    command,
    sources: sources.length > 0 ? sources : undefined,
    argFile: argFiles.length === 1 ? argFiles[0] : undefined,
    link: bool("link"),
    colsep: regex("--colsep", str("colsep")),
    delimiter: bool("null") ? 0 : delimiter(str("delimiter")),
    maxArgs: number(
      "--max-args",
      str("max-args"),
      "a whole number of values >= 1",
      (n) => Number.isSafeInteger(n) && n >= 1,
    ),
    delay: number(
      "--delay",
      str("delay"),
      "a number of seconds >= 0",
      (n) => Number.isFinite(n) && n >= 0,
    ) ?? 0,
    tag: str("tagstring") ?? (bool("tag") ? "{}" : undefined),
    results: str("results"),
    lineBuffer: bool("line-buffer"),
    ...parseRemote(
      { str, strings, bool, negated: (name) => options.includes(`--no-${name}`) },
      str("jobs") === undefined ? undefined : jobs(str("jobs")),
    ),
    keySep: str("key-sep"),
    shell: bool("shell"),
    module: str("module"),
    exportName: str("export") ?? "default",
    jobs: jobs(str("jobs")),
    ...timeouts(str("timeout")),
    killGrace: number(
      "--kill-grace",
      str("kill-grace"),
      "a number of seconds >= 0",
      (n) => Number.isFinite(n) && n >= 0,
    ),
    maxOutputBytes: number(
      "--max-output-bytes",
      str("max-output-bytes"),
      "a whole number of bytes >= 0",
      (n) => Number.isSafeInteger(n) && n >= 0,
    ),
    engine,
    ...parseIsolation(str, engine),
    keepOrder: bool("keep-order"),
    dryRun: bool("dry-run"),
    color: oneOf("--color", str("color"), ["auto", "always", "never"]) ?? "auto",
    quiet: bool("quiet"),
    verbose: bool("verbose"),
    quote: bool("quote"),
    joblog: str("joblog")?.replace(/^\+/, ""),
    joblogAppend: str("joblog")?.startsWith("+") ?? false,
    trace: str("trace"),
    resume: bool("resume-failed") ? "failed" : bool("resume") ? "all" : "no",
    retries: number(
      "--retries",
      str("retries"),
      "a whole number of attempts >= 0 (0 for no limit)",
      (n) => Number.isSafeInteger(n) && n >= 0,
    ),
    retryDelay: number(
      "--retry-delay",
      str("retry-delay"),
      "a number of seconds >= 0",
      (n) => Number.isFinite(n) && n >= 0,
    ),
    halt: parseHalt(str("halt") ?? str("halt-on-error")),
    progress: options.includes("--no-progress") ? false : bool("progress") || undefined,
    output: modes[0] ?? "default",
  };
  if (config.help || config.version) return config;
  if (config.module === undefined && command.length === 0) {
    throw new UsageError("no command given (put it after '--', or use --module FILE)");
  }
  if (config.module === undefined && !config.shell) refuseShellText(command);
  checkRemote(config);
  if (config.lineBuffer) {
    if (config.engine !== "async") {
      throw new UsageError("--line-buffer needs --engine async, the default");
    }
    if (config.keepOrder) {
      throw new UsageError("--line-buffer and --keep-order cannot be used together");
    }
    if (config.output !== "default") {
      throw new UsageError(`--line-buffer and --${config.output} cannot be used together`);
    }
  }
  if (config.timeoutPercent !== undefined && (config.engine !== "async" || config.module)) {
    throw new UsageError("--timeout P% needs a command on --engine async, the default");
  }
  if (config.engine === "workers" && command.some((word) => word.includes("{%}"))) {
    throw new UsageError("{%} (the job slot) needs --engine async, the default");
  }
  if (config.module !== undefined && config.shell) {
    throw new UsageError("--shell and --module cannot be used together");
  }
  if (config.module === undefined && str("export") !== undefined) {
    throw new UsageError("--export needs --module");
  }
  if (config.joblog === "") throw new UsageError("--joblog +FILE needs a file name");
  if (config.trace === "-") {
    throw new UsageError("--trace needs a file name (standard output carries the tasks' output)");
  }
  if (config.resume !== "no" && (config.joblog === undefined || config.joblog === "-")) {
    throw new UsageError(
      `--${config.resume === "failed" ? "resume-failed" : "resume"} needs --joblog FILE`,
    );
  }
  if (bool("resume") && bool("resume-failed")) {
    throw new UsageError("--resume and --resume-failed cannot be used together");
  }
  if (config.retryDelay !== undefined && config.retries === undefined) {
    throw new UsageError("--retry-delay needs --retries");
  }
  if (config.results !== undefined && /\.(csv|tsv|json)$/.test(config.results)) {
    throw new UsageError(
      `--results ${config.results}: GNU parallel's CSV, TSV and JSON forms are not supported yet (give a directory)`,
    );
  }
  if (config.maxArgs !== undefined && config.keySep !== undefined) {
    throw new UsageError("--max-args and --key-sep cannot be used together");
  }
  if (config.sources !== undefined && config.keySep !== undefined && config.sources.length > 1) {
    throw new UsageError("--key-sep needs a single input source");
  }
  if (sources.length > 0 && config.argFile !== undefined) {
    throw new UsageError("':::' and --arg-file cannot be used together");
  }
  return config;
}
