/**
 * The `procrun` command line: run a command (or a function) once per argument,
 * many at once, as `xargs -P` and GNU parallel do, with procrun's guarantees
 * (one result per task, timeouts that kill the whole process tree, nothing
 * left running).
 *
 * ```sh
 * deno run -A jsr:@procrun/procrun/cli -j 4 -- sleep ::: 1 7 2 2 1
 * find . -name '*.log' | deno run -A jsr:@procrun/procrun/cli --jsonl -- gzip -k {} | jq .success
 * ```
 *
 * This module only maps the command line to a runner's options and renders
 * its results; run `procrun --help` for every option.
 *
 * @module
 */
import { type CliConfig, parseCli, UsageError } from "./_cli/args.ts";
import { rawArgs } from "./_cli/argv.ts";
import { isolationOptions } from "./_cli/isolation.ts";
import type { TaskFeed } from "./_cli/input.ts";
import { openInput } from "./_cli/sources.ts";
import { expandWord, fillPlace, SLOT } from "./_cli/replace.ts";
import { OUTPUT_HOOK, SLOT_MARK, TIMEOUT_FOR } from "./_options.ts";
import type { LineBuffer } from "./_cli/line_buffer.ts";
import { exitCodeFor, haltExitCode, haltText, resumeSkip, retryOption } from "./_cli/batch.ts";
import type { MedianRun } from "./_cli/median.ts";
import { remoteOptions } from "./_cli/remote.ts";
import type { JobLog } from "./_cli/joblog.ts";
import type { TraceFileWriter } from "./_cli/trace_file.ts";
import { OutputQueue } from "./_cli/output.ts";
import { buildProgram, type CliProgram, valuesOf } from "./_cli/program.ts";
import type { ProgressBar } from "./_cli/progress.ts";
import { Renderer } from "./_cli/render.ts";
import type { ProcRun } from "./proc_run.ts";
import { ProcRunAsync } from "./proc_run_async.ts";
import type { ProcRunOptions, Tasks } from "./types.ts";
import { EXIT_STATUS } from "./_process/signals.ts";
import { errorText, importOwn } from "./_util.ts";
import { SPOOL_BYTES } from "./_spool.ts";

/** Bytes of a task's stream held in memory before the rest goes to a temporary file. */
const SPOOL_THRESHOLD = 1024 * 1024;

/** Exit status for errors other than failed tasks (usage errors included). */
const EXIT_ERROR = 255;
/** A closed output pipe (`| head -1`): the status of a program ended by SIGPIPE. */
const EXIT_PIPE = 141;

function say(text: string): void {
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));
  } catch {
    // Nowhere to say it.
  }
}

function useColor(config: CliConfig, stream: { isTerminal(): boolean }): boolean {
  if (config.color !== "auto") return config.color === "always";
  return !Deno.noColor && stream.isTerminal();
}

/** One of procrun's modules, loaded when a run needs it (see importOwn). */
const own = <T>(path: string) => importOwn<T>(new URL(path, import.meta.url));

async function createRunner(
  config: CliConfig,
  program: CliProgram,
  tasks: Tasks,
  options: ProcRunOptions,
): Promise<ProcRun> {
  if (config.engine === "workers") {
    // Loaded only when asked for, to keep the CLI's start fast.
    const [{ ProcRunWorkers }, { silenceStuckWarning }] = await Promise.all([
      own<typeof import("./proc_run_workers.ts")>("./proc_run_workers.ts"),
      own<typeof import("./_workers/watchdog.ts")>("./_workers/watchdog.ts"),
    ]);
    // Its advice ("end the script with Deno.exit()") is for scripts: the CLI exits by itself.
    silenceStuckWarning();
    return new ProcRunWorkers(program.pargs, tasks, { ...options, ...isolationOptions(config) });
  }
  return new ProcRunAsync(program.pargs, tasks, options);
}

/**
 * Runs the `procrun` command line and returns its exit status: 0 when every
 * task succeeded, 1 to 100 the number of failed tasks, 101 when more than 100
 * failed, 130 or 143 when stopped by SIGINT or SIGTERM, 255 for usage and
 * other errors (a usage error prints one line and runs nothing).
 *
 * While it runs, SIGINT, SIGTERM and SIGHUP cancel the run (every command's process
 * tree is killed), the results so far are rendered, and it returns 130, 143
 * or 129; a second signal exits the process at once.
 *
 * @param args The command line, without the program name (`Deno.args`).
 * @returns The exit status.
 *
 * @example Run two commands quietly
 * ```ts
 * import { main } from "@procrun/procrun/cli";
 * import { assertEquals } from "@std/assert";
 *
 * assertEquals(await main(["--quiet", "--", "true", ":::", "a", "b"]), 0);
 * assertEquals(await main(["--quiet", "--", "false", ":::", "a", "b"]), 2);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  // What a run does not use is loaded only when asked for, to keep the CLI's start fast.
  if (args[0] === "report") {
    return await (await own<typeof import("./_cli/report_command.ts")>("./_cli/report_command.ts"))
      .reportMain(args.slice(1));
  }
  let config: CliConfig;
  try {
    config = parseCli(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(`procrun: ${error.message}. Try 'procrun --help'.`);
    return EXIT_ERROR;
  }
  if (config.help) {
    console.log((await own<typeof import("./_cli/help.ts")>("./_cli/help.ts")).HELP);
    return 0;
  }
  if (config.version) {
    console.log((await own<typeof import("./_cli/version.ts")>("./_cli/version.ts")).versionText());
    return 0;
  }

  const controller = new AbortController();
  let feed: TaskFeed;
  let program: CliProgram;
  // Notes said while tasks are read; through the output queue once it exists.
  let note = say;
  let trace = say;
  const joblogs = config.joblog !== undefined || config.resume !== "no"
    ? await own<typeof import("./_cli/joblog.ts")>("./_cli/joblog.ts")
    : undefined;
  try {
    program = await buildProgram(config);
    let skip: ((seq: number, values: string[]) => boolean) | undefined;
    if (config.resume !== "no") {
      const logged = joblogs!.readJobLog(config.joblog!);
      skip = resumeSkip(config, program, logged, (text) => note(text));
    }
    // -t (GNU parallel's --verbose): each command line on stderr as its task starts.
    const toArg = config.verbose
      ? (values: string[], seq: number) => {
        trace(program.describe(values, seq));
        return program.toArg(values, seq);
      }
      : program.toArg;
    feed = openInput(config, controller.signal, { skip, toArg });
  } catch (error) {
    say(`procrun: ${errorText(error)}`);
    return EXIT_ERROR;
  }

  if (config.dryRun) {
    const out = new OutputQueue(() => controller.abort());
    try {
      for await (const [key] of feed) {
        const { seq, input } = feed.take(key);
        out.push("stdout", program.describe(input, seq) + "\n");
      }
    } catch (error) {
      await out.drain();
      say(`procrun: ${errorText(error)}`);
      return EXIT_ERROR;
    }
    await out.drain();
    if (feed.error !== undefined) {
      say(`procrun: ${feed.error}`);
      return EXIT_ERROR;
    }
    return 0;
  }

  let joblog: JobLog | undefined;
  try {
    // "-" is standard output, as in GNU parallel: opened below, in the output queue.
    if (config.joblog !== undefined && config.joblog !== "-") {
      // --resume adds to the joblog it read, as GNU parallel does.
      joblog = joblogs!.JobLog.open(config.joblog, config.joblogAppend || config.resume !== "no");
    }
  } catch (error) {
    say(`procrun: cannot write --joblog ${JSON.stringify(config.joblog)}: ${errorText(error)}`);
    return EXIT_ERROR;
  }
  let traceFile: TraceFileWriter | undefined;
  try {
    if (config.trace !== undefined) {
      const { openTraceFile } = await own<typeof import("./_cli/trace_file.ts")>(
        "./_cli/trace_file.ts",
      );
      traceFile = openTraceFile(config.trace, feed, program);
    }
  } catch (error) {
    joblog?.close();
    say(`procrun: cannot write --trace ${JSON.stringify(config.trace)}: ${errorText(error)}`);
    return EXIT_ERROR;
  }

  let stoppedBy: Deno.Signal | undefined;
  const onSignal = (signal: Deno.Signal) => {
    // A second signal: exit now. The library's exit hook kills the remaining process groups.
    if (stoppedBy) Deno.exit(EXIT_STATUS[signal]);
    stoppedBy = signal;
    if (!config.quiet) say(`procrun: ${signal} received, stopping every task (again to exit now)`);
    controller.abort(new DOMException(`cancelled: received ${signal}`, "AbortError"));
  };
  // SIGHUP: the terminal, tmux pane or ssh session is gone; treated as SIGTERM.
  const listeners = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map((signal) => {
    const listener = () => onSignal(signal);
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });

  let outputClosed = false;
  const stderrIsTerminal = Deno.stderr.isTerminal();
  const showProgress = config.progress ?? (!config.quiet && stderrIsTerminal);
  const progress: ProgressBar | undefined = showProgress
    ? new (await own<typeof import("./_cli/progress.ts")>("./_cli/progress.ts")).ProgressBar(
      () => ({
        done: renderer.done,
        failed: renderer.failed,
        read: feed.read,
        total: feed.total,
      }),
      config.jobs === 0 ? Infinity : config.jobs,
      stderrIsTerminal,
    )
    : undefined;
  const out = new OutputQueue(
    () => {
      outputClosed = true;
      controller.abort(new DOMException("output closed", "AbortError"));
    },
    () => progress?.pause(),
    () => progress?.resume(),
  );
  if (config.joblog === "-") joblog = new joblogs!.JobLog((text) => out.push("stdout", text));
  trace = (text) => out.push("stderr", text + "\n");
  if (!config.quiet) note = trace;
  else note = () => {};
  // {host} and {sshlogin} in a tag: where the task ran (the ssh engine names it as it starts).
  const tagOf = config.tag === undefined
    ? undefined
    : (input: unknown, seq: number, slot: number | null, host: string | null) =>
      expandWord(config.tag!, valuesOf(input), seq).map((word) => fillPlace(word, slot, host))
        .join(" ");
  const lineBuffer: LineBuffer | undefined = config.lineBuffer && program.isCommand
    ? new (await own<typeof import("./_cli/line_buffer.ts")>("./_cli/line_buffer.ts")).LineBuffer(
      out,
      (result) => {
        const origin = feed.peek(result.key);
        return tagOf && origin
          ? new TextEncoder().encode(
            tagOf(origin.input, origin.seq, result.slot, result.host) + "\t",
          )
          : undefined;
      },
    )
    : undefined;
  const renderer: Renderer = new Renderer(
    out,
    feed,
    {
      mode: config.output,
      keepOrder: config.keepOrder,
      quiet: config.quiet,
      colorOut: useColor(config, Deno.stdout),
      colorErr: useColor(config, Deno.stderr),
      isCommand: program.isCommand,
      describe: program.describe,
      maxOutputBytes: config.maxOutputBytes,
      results: config.results,
      tag: tagOf,
      streamed: lineBuffer !== undefined,
    },
    joblog,
    progress,
  );

  // A --module function on this thread may throw from a timer or leave a
  // rejection unhandled, outside any task: say so and go on, rather than let
  // Deno end the process and lose every result.
  let strayErrors = 0;
  const onStray = (event: ErrorEvent | PromiseRejectionEvent) => {
    event.preventDefault();
    strayErrors++;
    const error = "error" in event ? event.error : event.reason;
    say(
      `procrun: --module ${config.module} raised an error outside its tasks: ${errorText(error)}`,
    );
  };
  const watchStrays = config.module !== undefined && config.engine === "async";
  if (watchStrays) {
    globalThis.addEventListener("error", onStray);
    globalThis.addEventListener("unhandledrejection", onStray);
  }

  const median: MedianRun | undefined = config.timeoutPercent === undefined
    ? undefined
    : new (await own<typeof import("./_cli/median.ts")>("./_cli/median.ts")).MedianRun();
  let status = 0;
  try {
    const run = await createRunner(config, program, feed, {
      numWorkers: config.jobs,
      timeout: config.timeout,
      killGrace: config.killGrace,
      signal: controller.signal,
      handleSignals: false,
      placeholder: program.placeholder,
      keepResults: config.output === "json" || config.output === "report",
      // The default output passes bytes through; JSON and the report are text.
      encoding: config.output === "default" ? "buffer" : "utf8",
      // No cap unless asked for; the default output holds big outputs on disk.
      maxOutputBytes: config.maxOutputBytes ?? Number.MAX_SAFE_INTEGER,
      ...(config.output === "default" ? { [SPOOL_BYTES]: SPOOL_THRESHOLD } : {}),
      // {%}: the async engine writes each task's job slot in its words.
      ...({ [SLOT_MARK]: SLOT } as object),
      ...(lineBuffer ? { [OUTPUT_HOOK]: lineBuffer.add.bind(lineBuffer) } : {}),
      ...(config.timeoutPercent === undefined
        ? {}
        : { [TIMEOUT_FOR]: median!.timeoutFor(config.timeoutPercent) }),
      onResult: (result) => {
        median?.add(result);
        lineBuffer?.end(result);
        renderer.add(result);
      },
      retry: retryOption(config),
      // -S, --sshloginfile: the ssh engine (ProcRunAsync's hosts option).
      ...remoteOptions(config, feed),
      halt: config.halt,
      trace: traceFile?.recorder,
    });
    progress?.start();
    let failure: { error: unknown } | undefined;
    try {
      await run.runAll();
    } catch (error) {
      failure = { error };
    }
    await renderer.finish(run, stoppedBy);
    if (feed.error !== undefined && !stoppedBy) {
      say(`procrun: ${feed.error}`);
      status = EXIT_ERROR;
    } else if (stoppedBy) status = EXIT_STATUS[stoppedBy]!;
    else if (outputClosed) status = EXIT_PIPE;
    else if (failure) {
      say(`procrun: ${errorText(failure.error)}`);
      status = EXIT_ERROR;
    } else if (run.haltedBy && config.halt) {
      const failed = renderer.failed - renderer.cancelled;
      status = haltExitCode(config.halt, run.haltedBy, failed, renderer.done - renderer.cancelled);
      if (!config.quiet) {
        const stopped = config.halt.when === "now" ? ", and the running ones were stopped" : "";
        say(
          `procrun: halted (--halt ${haltText(config.halt)}) after task ${
            String(run.haltedBy.key)
          }: no more tasks were started${stopped}`,
        );
      }
    } else status = exitCodeFor(renderer.failed);
    // Every task may have succeeded, yet the module failed: not a clean run.
    if (status === 0 && strayErrors > 0) status = 1;
    if (traceFile?.recorder.error !== undefined) {
      say(`procrun: --trace stopped: ${errorText(traceFile.recorder.error)}`);
      if (status === 0) status = EXIT_ERROR;
    }
  } catch (error) {
    // The runner refused its options: nothing ran.
    say(`procrun: ${errorText(error)}`);
    status = EXIT_ERROR;
  } finally {
    progress?.stop();
    joblog?.close();
    traceFile?.close();
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    if (watchStrays) {
      globalThis.removeEventListener("error", onStray);
      globalThis.removeEventListener("unhandledrejection", onStray);
    }
  }
  return status;
}

if (import.meta.main) Deno.exit(await main(rawArgs()));
