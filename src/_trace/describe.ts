/**
 * A task's command line as a library run's trace shows it (the CLI gives its
 * own, with its replacement strings filled in).
 *
 * @module
 */
import type { Program } from "../_options.ts";
import { commandArgs } from "../_process/command_args.ts";
import { shellJoin } from "../_quote.ts";
import { isWorkerFunction } from "../worker_function.ts";
import type { TaskInfo } from "./tracer.ts";

/**
 * Each task's arg and what it runs: a command's words as a shell would take
 * them (`sleep 0.1`), or a function's name (`module#export` for a worker
 * function), its values being the task's arg.
 */
export function describeTask(program: Program, placeholder: string | undefined): TaskInfo {
  if (program.kind === "function") {
    const fn = program.fn;
    const name = isWorkerFunction(fn)
      ? `${fn.moduleUrl}#${fn.exportName}`
      : fn.name || "(anonymous function)";
    return (result) => ({ arg: result.arg, command: name });
  }
  const { command, args } = program;
  return (result) => {
    // As the engines build it: the placeholder may be the command word itself, unless a URL.
    const words = typeof command === "string"
      ? commandArgs([command, ...args], result.arg, placeholder)
      : [command.href, ...commandArgs(args, result.arg, placeholder)];
    return { arg: result.arg, command: shellJoin(words) };
  };
}
