/**
 * The asynchronous engine: commands through `Deno.Command` (src/_process/),
 * functions called on the main thread.
 *
 * @module
 */
import { callFunction, type FunctionCall } from "./_call_function.ts";
import type { AttemptDone, Engine } from "./_engine.ts";
import type { OutputHook, Program, ResolvedOptions } from "./_options.ts";
import { recordOutcome } from "./_record.ts";
import {
  commandSpec,
  type CommandTemplate,
  commandTemplate,
  runCommand,
} from "./_process/run_command.ts";
import { epochNow } from "./_util.ts";
import type { ProcResult } from "./result.ts";

/** Hands out job slot numbers from 1, the lowest free one first. */
export class SlotNumbers {
  #free: number[] = [];
  #next = 1;

  take(): number {
    return this.#free.pop() ?? this.#next++;
  }

  give(slot: number): void {
    // Kept sorted high to low, so that pop() returns the lowest.
    let i = this.#free.length;
    while (i > 0 && this.#free[i - 1]! < slot) i--;
    this.#free.splice(i, 0, slot);
  }
}

/** Runs each attempt on this thread: a command in its own process group, or a function call. */
export class AsyncEngine implements Engine {
  readonly capacity: number;
  #command: CommandTemplate | undefined;
  #fn: { call: FunctionCall; args: unknown[] } | undefined;
  #timeoutMs: number;
  #controller = new AbortController();
  #slots = new SlotNumbers();
  #slotMark: string | undefined;
  #timeoutFor: (() => number) | undefined;
  #outputHook: OutputHook | undefined;

  constructor(program: Program, options: ResolvedOptions) {
    this.capacity = options.numWorkers;
    this.#timeoutMs = options.timeoutMs;
    this.#slotMark = options.slotMark;
    this.#timeoutFor = options.timeoutFor;
    this.#outputHook = options.outputHook;
    if (program.kind === "command") this.#command = commandTemplate(program, options);
    else {
      const call = { fn: program.fn, signal: this.#controller.signal, timeoutMs: this.#timeoutMs };
      this.#fn = { call, args: program.args };
    }
  }

  start(): void {}

  submit(result: ProcResult, done: AttemptDone): void {
    const slot = this.#slots.take();
    const start = epochNow();
    const signal = this.#controller.signal;
    if (this.#command) {
      const spec = commandSpec(this.#command, result.arg, signal);
      if (this.#timeoutFor) spec.timeoutMs = this.#timeoutFor();
      const hook = this.#outputHook;
      if (hook) spec.onChunk = (stream, chunk) => hook(result, stream, chunk);
      const timeoutMs = spec.timeoutMs;
      const mark = this.#slotMark;
      if (mark !== undefined) {
        const fill = (word: string) => word.replaceAll(mark, String(slot));
        if (typeof spec.command === "string") spec.command = fill(spec.command);
        spec.args = spec.args.map(fill);
      }
      runCommand(spec).then((outcome) => {
        recordOutcome(result, outcome, timeoutMs, signal.reason);
        this.#end(result, done, start, slot);
      });
      return;
    }
    const { call, args } = this.#fn!;
    const pending = callFunction(call, [...args, result.arg], result);
    // No closure for a function that returned synchronously: most tasks of a fast run.
    if (!pending) this.#end(result, done, start, slot);
    else pending.then(() => this.#end(result, done, start, slot));
  }

  abort(reason: unknown): void {
    this.#controller.abort(reason);
  }

  stopStarting(): void {
    // Every attempt starts as it is submitted: none is waiting here.
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  #end(result: ProcResult, done: AttemptDone, start: number, slot: number): void {
    this.#slots.give(slot);
    done(result, { start, end: epochNow(), slot, host: null });
  }
}
