/**
 * The workloads: each one the data it is run and judged by, `{ id, kind,
 * title, tasks, variants, targets }`. A variant carries the command it times
 * (or why it is skipped); a target names the variants it is computed from by
 * their ids, and its goal.
 *
 * To add a workload, add an entry to {@linkcode WORKLOADS}: nothing else needs
 * to know about it.
 *
 * @module
 */
import { repoPath, type Tools } from "./machine.ts";
import { measure } from "./measure.ts";
import { isSkip, type Peers, type Skip } from "./peers.ts";

/**
 * How a workload's rows are measured and shown (bench/compare/render.ts):
 * tasks per second; CPU tasks against the core limit; peak memory; the
 * latency of one task.
 */
export type Kind = "rate" | "cpu" | "rss" | "latency";

/** One program to time. */
export interface Command {
  argv: string[];
  /** Fed to standard input. */
  stdin?: string;
  /** Variables set on top of the bench's own. */
  env?: Record<string, string>;
}

/** One row of a workload: procrun or a peer. */
export interface Variant {
  id: string;
  label: string;
  /** The command, or why it is skipped. */
  command: Command | Skip;
  /** A figure quoted from the targets' source, never measured here. */
  reference?: string;
  /** CPU workload: the id of the single-loop variant this one is compared with. */
  single?: string;
  /** CPU workload: how many workers this variant uses. */
  workers?: number;
}

/** The figure of a measured row a target reads (bench/compare/targets.ts). */
export type Metric = "rate" | "wallMs" | "peakRssMiB" | "inner" | "vsLimit";

type Op = ">=" | "<=" | "<";

/**
 * A target's goal, shown as written: `"<= 1.10"`, `"<= 1.25 (flat)"`, or
 * `"none: why"` for a figure shown without being judged.
 */
export type Goal = `${Op} ${number}` | `${Op} ${number} (${string})` | `none: ${string}`;

/** A target of a workload: the value of `a`'s metric (divided by `b`'s, when given), and its goal. */
export interface Target {
  /** What is measured; shown after the workload's id. */
  what: string;
  metric: Metric;
  /** The id of a variant of the same workload. */
  a: string;
  /** The id of a variant of the same workload: the value is then a / b. */
  b?: string;
  goal: Goal;
}

/** A workload: its variants, interleaved, and the targets computed from them. */
export interface Workload {
  id: string;
  kind: Kind;
  title: string;
  /** Tasks per run (for rates). */
  tasks: number;
  variants: Variant[];
  targets: Target[];
  /** Runs of each variant (defaults to --runs). */
  runs?: number;
  /** The procrun variant the ratios are taken against (default procrun_async). */
  lead?: string;
  /** Called once its runs are over: removes what the workload made. */
  cleanup?: () => Promise<void>;
}

/** What the workloads are built from. */
export interface Context {
  /** The Deno executable that runs the scripts. */
  deno: string;
  tools: Tools;
  peers: Peers;
  /** --smoke: tiny sizes, and the CPU workloads left out. */
  smoke: boolean;
  /** --runs. */
  runs: number;
}

type Definition = (
  ctx: Context,
) => Omit<Workload, "id"> | null | Promise<Omit<Workload, "id"> | null>;

/** Every workload, by id, in the order they run. A definition returns null to be left out. */
export const WORKLOADS: Record<string, Definition> = {
  spawn4: (ctx) => spawn(ctx, 4, SPAWN4_REFERENCES),
  spawn8: (ctx) => spawn(ctx, 8, {}),
  functions: async (ctx) => {
    const tasks = functionTasks(ctx);
    return {
      kind: "rate",
      title: `${tasks} trivial function tasks, 2 workers`,
      tasks,
      lead: "procrun_workers",
      variants: [
        {
          id: "procrun_workers",
          label: "procrun ProcRunWorkers, 2 workers",
          command: script(ctx, "bench/workloads/workers_functions.ts", tasks, 2),
        },
        {
          id: "procrun_workers_process",
          label: "procrun ProcRunWorkers, 2 worker processes",
          command: script(ctx, "bench/workloads/workers_functions.ts", tasks, 2, "process"),
        },
        {
          id: "procrun_async",
          label: "procrun ProcRunAsync (main thread)",
          command: script(ctx, "bench/workloads/async_functions.ts", tasks, 2, "held"),
        },
        {
          id: "pool_one",
          label: "hand-written Worker pool, one message per task",
          command: script(ctx, "bench/workloads/pool_functions.ts", tasks, 2, 1),
          reference: "38906 tasks/s",
        },
        {
          id: "pool_eight",
          label: "hand-written Worker pool, 8 in flight per worker",
          command: script(ctx, "bench/workloads/pool_functions.ts", tasks, 2, 8),
          reference: "112565 tasks/s",
        },
        {
          id: "piscina",
          label: "piscina (Node), 2 threads",
          command: await piscina(ctx, "trivial", tasks, 2),
          reference: "38227 tasks/s",
        },
        unmeasured("pyconcurrent_asyncio", "pyconcurrent asyncio (main thread)", "61542 tasks/s"),
        unmeasured("pyconcurrent_mp", "pyconcurrent multiprocessing", "206424 tasks/s"),
      ],
      targets: [{
        what: "ProcRunWorkers tasks/s, 2 workers",
        metric: "rate",
        a: "procrun_workers",
        goal: ">= 250000",
      }, {
        what: "ProcRunWorkers, 2 worker processes ÷ 2 worker threads",
        metric: "rate",
        a: "procrun_workers_process",
        b: "procrun_workers",
        goal: ">= 0.5",
      }],
    };
  },
  isolation_cpu: isolationCpu,
  isolation_start: isolationStart,
  cpu: async (ctx) => {
    if (ctx.smoke) return null;
    const tasks = CPU_TASKS;
    const sets = [DEFAULT_FLAGS, NO_MAGLEV, NO_INLINING].map((set) =>
      cpuFlagSet(ctx, tasks, set, true)
    );
    return {
      kind: "cpu",
      title: `${tasks} CPU tasks of ~1.3 ms, 2 workers, vs the 2-core limit (single loop / 2)`,
      tasks,
      variants: [
        ...sets.flatMap((set) => set.variants),
        {
          id: "piscina",
          label: "piscina (Node), 2 threads",
          command: await piscina(ctx, "cpu", tasks, 2, 1_000_000),
          single: "node_single",
          workers: 2,
          reference: "1.11x the 2-core limit",
        },
        {
          id: "node_single",
          label: "one plain loop (Node)",
          command: await piscina(ctx, "single", tasks, 1, 1_000_000),
        },
        unmeasured("pyconcurrent_mp", "pyconcurrent multiprocessing", "1.03x the 2-core limit"),
      ],
      targets: sets.flatMap((set) => set.targets),
    };
  },
  // The same tasks, twice as many: starting the two workers, one after the
  // other, weighs half as much (bench/README.md, "What limits ProcRunWorkers").
  cpu_long: (ctx) => {
    if (ctx.smoke) return null;
    const tasks = 2 * CPU_TASKS;
    const sets = [NO_MAGLEV, NO_INLINING].map((set) => cpuFlagSet(ctx, tasks, set, false));
    return {
      kind: "cpu",
      title: `${tasks} CPU tasks of ~1.3 ms, 2 workers, vs the 2-core limit (single loop / 2)`,
      tasks,
      variants: sets.flatMap((set) => set.variants),
      targets: sets.flatMap((set) => set.targets),
    };
  },
  memory: async (ctx) => {
    const tasks = functionTasks(ctx);
    return {
      kind: "rss",
      title: `${tasks} function results held in memory: peak RSS`,
      tasks,
      variants: [
        {
          id: "procrun_async",
          label: "procrun ProcRunAsync (main thread), results held",
          command: script(ctx, "bench/workloads/async_functions.ts", tasks, 2, "held"),
        },
        {
          id: "procrun_workers",
          label: "procrun ProcRunWorkers, 2 workers, results held",
          command: script(ctx, "bench/workloads/workers_functions.ts", tasks, 2),
        },
        {
          id: "piscina",
          label: "piscina (Node), 2 threads, results held",
          command: await piscina(ctx, "trivial", tasks, 2),
          reference: "385 MiB",
        },
        unmeasured("pyconcurrent_asyncio", "pyconcurrent asyncio", "190 MiB"),
        unmeasured("pyconcurrent_mp", "pyconcurrent multiprocessing", "92 MiB"),
      ],
      targets: [{
        what: "ProcRunAsync, results held, peak RSS MiB",
        metric: "peakRssMiB",
        a: "procrun_async",
        goal: "<= 100",
      }],
    };
  },
  stream: (ctx) => {
    const sizes = ctx.smoke ? [1000, 3000] : [10_000, 100_000, 1_000_000];
    const variants: Variant[] = sizes.map((n) => ({
      id: `procrun_async_${n}`,
      label: `procrun ProcRunAsync, ${n} tasks streamed`,
      command: script(ctx, "bench/workloads/async_functions.ts", n, 2, "stream"),
    }));
    return {
      kind: "rss",
      title: "streaming consumer (keepResults: false): peak RSS as tasks grow",
      tasks: 0,
      runs: Math.min(ctx.runs, 3),
      variants,
      targets: [{
        what: "peak RSS at the most tasks / at the fewest",
        metric: "peakRssMiB",
        a: variants.at(-1)!.id,
        b: variants[0]!.id,
        goal: "<= 1.25 (flat)",
      }],
    };
  },
  e2e: async (ctx) => ({
    kind: "latency",
    title: "one /bin/true end to end (whole process)",
    tasks: 1,
    runs: ctx.smoke ? 1 : Math.max(ctx.runs, 10),
    variants: [
      {
        id: "procrun_cli",
        label: "procrun CLI: procrun -- /bin/true ::: 1",
        command: script(ctx, "src/cli.ts", "--quiet", "--", "/bin/true", ":::", "1"),
      },
      {
        id: "procrun_async",
        label: "procrun ProcRunAsync script",
        command: script(ctx, "bench/workloads/async_commands.ts", 1, 1, "/bin/true"),
      },
      {
        id: "floor",
        label: "C posix_spawn loop",
        command: orSkip(await ctx.peers.floor(), (exe) => ({ argv: [exe, "1", "1", "/bin/true"] })),
        reference: "1.4 ms",
      },
      {
        id: "xargs",
        label: "xargs",
        command: orSkip(ctx.tools.xargs ?? XARGS_MISSING, (xargs) => ({
          argv: [xargs, "-n", "1", "/bin/true"],
          stdin: "1\n",
        })),
        reference: "1.6 ms",
      },
      {
        id: "parallel",
        label: "GNU parallel",
        command: orSkip(
          ctx.tools.parallel ?? PARALLEL_MISSING,
          (parallel) => ({ argv: [parallel, "--will-cite", "/bin/true", ":::", "1"] }),
        ),
        reference: "64 ms",
      },
      {
        id: "deno_pool",
        label: "hand-written Deno.Command script",
        command: script(ctx, "bench/peers/deno_command_pool.ts", 1, 1, "/bin/true"),
        reference: "19.5 ms",
      },
      unmeasured("pyconcurrent_asyncio", "pyconcurrent asyncio", "51 ms"),
      unmeasured("pyconcurrent_mp", "pyconcurrent multiprocessing", "143 ms"),
    ],
    targets: [{
      what: "procrun CLI, one true, ms",
      metric: "wallMs",
      a: "procrun_cli",
      goal: "< 40",
    }],
  }),
  report: reportWorkload,
};

/**
 * The report of a 100,000-task run: its inputs are made once (a real run,
 * recorded as a trace and as JSON Lines), then each variant is timed.
 */
async function reportWorkload(ctx: Context): Promise<Omit<Workload, "id">> {
  const tasks = ctx.smoke ? 2000 : 100_000;
  const dir = await Deno.makeTempDir({ prefix: "procrun_bench_report_" });
  const made = await measure(script(ctx, "bench/workloads/report_run.ts", tasks, dir));
  const attempts = made.report?.attempts as number;
  const report = (log: string, html: string) =>
    script(ctx, "src/cli.ts", "report", "--out", `${dir}/${html}`, `${dir}/${log}`);
  return {
    kind: "latency",
    title: `procrun report of a ${tasks}-task run (${attempts} attempts, 8 slots)`,
    tasks,
    lead: "report_trace",
    variants: [
      {
        id: "report_trace",
        label: "procrun report of its trace (--trace), to HTML",
        command: report("run.trace.json", "trace.html"),
      },
      {
        id: "report_jsonl",
        label: "procrun report of its JSON Lines (--jsonl), to HTML",
        command: report("run.jsonl", "jsonl.html"),
      },
      {
        id: "open_trace",
        label: "the trace's report opened in headless Chromium, until drawn",
        command: ctx.tools.chromium
          ? script(ctx, "bench/workloads/report_open.ts", `${dir}/trace.html`, attempts)
          : { skip: "Chromium is not installed (apt-get install chromium)" },
      },
    ],
    targets: [
      {
        what: "report of the trace built, ms",
        metric: "wallMs",
        a: "report_trace",
        goal: "< 10000",
      },
      {
        what: "report of the JSON Lines built, ms",
        metric: "wallMs",
        a: "report_jsonl",
        goal: "< 10000",
      },
      {
        what: "report opened in headless Chromium, ms",
        metric: "wallMs",
        a: "open_trace",
        goal: "< 10000",
      },
    ],
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

// ---------------------------------------------------------------- isolation_cpu, isolation_start

/**
 * About 3 ms of work per task. Every row runs under `DENO_V8_FLAGS=--no-maglev`,
 * which worker processes inherit as every process does (they do not inherit a
 * `--v8-flags` of the command line), so that V8's tier-up timing
 * (bench/README.md) weighs on no row more than on another.
 */
const ISOLATION_LOOPS = 2_500_000;
const ISOLATION_ENV = { DENO_V8_FLAGS: "--no-maglev" };

function isolationCpu(ctx: Context): Omit<Workload, "id"> {
  const tasks = ctx.smoke ? 50 : 1000;
  const run = (mode: string): Command => ({
    argv: denoRun(ctx, undefined, "bench/workloads/workers_cpu.ts", [
      tasks,
      2,
      ISOLATION_LOOPS,
      mode,
    ]),
    env: ISOLATION_ENV,
  });
  return {
    kind: "rate",
    title:
      `${tasks} CPU tasks of ~3 ms on 2 workers: processes against threads and hand-written splits`,
    tasks,
    lead: "procrun_workers_process",
    variants: [
      {
        id: "procrun_workers_process",
        label: "procrun ProcRunWorkers, 2 worker processes",
        command: run("process"),
      },
      {
        id: "procrun_workers",
        label: "procrun ProcRunWorkers, 2 worker threads",
        command: run("thread"),
      },
      {
        id: "split_process",
        label: "hand-written split: 2 Deno processes, one range each",
        command: run("split-process"),
      },
      {
        id: "split",
        label: "hand-written split: 2 plain workers, one message each",
        command: run("split"),
      },
    ],
    targets: [{
      what: "2 worker processes ÷ hand-written 2-process split",
      metric: "rate",
      a: "procrun_workers_process",
      b: "split_process",
      goal: ">= 0.95",
    }, {
      what: "2 worker processes ÷ hand-written 2-thread split",
      metric: "rate",
      a: "procrun_workers_process",
      b: "split",
      goal: "none: the thread split starts no process",
    }],
  };
}

function isolationStart(ctx: Context): Omit<Workload, "id"> {
  const two = (isolation: string) =>
    script(ctx, "bench/workloads/workers_functions.ts", 2, 2, isolation);
  return {
    kind: "latency",
    title: "start-up: a script that runs 2 trivial tasks on 2 workers (whole process)",
    tasks: 2,
    runs: ctx.smoke ? 1 : Math.max(ctx.runs, 10),
    lead: "procrun_workers_process",
    variants: [
      {
        id: "procrun_workers_process",
        label: "procrun ProcRunWorkers, 2 worker processes",
        command: two("process"),
      },
      {
        id: "procrun_workers",
        label: "procrun ProcRunWorkers, 2 worker threads",
        command: two("thread"),
      },
      {
        id: "deno",
        label: "deno run of a module that runs nothing (Deno's own start)",
        command: script(ctx, "bench/workloads/_report.ts"),
      },
    ],
    targets: [{
      what: "2 worker processes, ms",
      metric: "wallMs",
      a: "procrun_workers_process",
      goal: "none: reported",
    }, {
      what: "2 worker processes ÷ 2 worker threads, wall",
      metric: "wallMs",
      a: "procrun_workers_process",
      b: "procrun_workers",
      goal: "none: reported",
    }],
  };
}

/** The workloads of {@linkcode WORKLOADS} to run: all, or those whose id is in `only`. */
export async function workloads(ctx: Context, only?: ReadonlySet<string>): Promise<Workload[]> {
  const list: Workload[] = [];
  for (const [id, define] of Object.entries(WORKLOADS)) {
    if (only && !only.has(id)) continue;
    const workload = await define(ctx);
    if (workload) list.push({ id, ...workload });
  }
  return list;
}

// ---------------------------------------------------------------- commands

const XARGS_MISSING = { skip: "xargs is not installed" };
const PARALLEL_MISSING = { skip: "GNU parallel is not installed (apt-get install parallel)" };
const NOT_MEASURED = "pyconcurrent is not installable here (PyPI is unreachable)";

const functionTasks = (ctx: Context) => ctx.smoke ? 1000 : 100_000;
const lines = (n: number) => Array.from({ length: n }, (_, i) => `${i}\n`).join("");

/** `deno run -A --quiet [--v8-flags=...] <script> args...`, the script relative to the repository. */
function denoRun(ctx: Context, v8Flags: string | undefined, file: string, args: unknown[]) {
  return [
    ctx.deno,
    "run",
    "-A",
    "--quiet",
    ...(v8Flags ? [`--v8-flags=${v8Flags}`] : []),
    repoPath(file),
    ...args.map(String),
  ];
}

/** A Deno script of the repository, with default V8 flags. */
function script(ctx: Context, file: string, ...args: unknown[]): Command {
  return { argv: denoRun(ctx, undefined, file, args) };
}

/** The command made from a peer or tool, or why it is skipped. */
function orSkip<T>(value: T | Skip, make: (value: T) => Command): Command | Skip {
  return isSkip(value) ? value : make(value);
}

/** A piscina run (bench/peers/piscina/run.mjs MODE args...). */
async function piscina(ctx: Context, mode: string, ...args: unknown[]): Promise<Command | Skip> {
  return orSkip(await ctx.peers.piscina(), (run) => ({
    argv: [ctx.tools.node!, run, mode, ...args.map(String)],
  }));
}

/** A pyconcurrent row: never measured here, only its published figure quoted. */
function unmeasured(id: string, label: string, reference: string | undefined): Variant {
  return { id, label, command: { skip: NOT_MEASURED }, reference };
}

// ---------------------------------------------------------------- spawn4, spawn8

/** Figures quoted for the peers at 4 at a time. */
const SPAWN4_REFERENCES: SpawnReferences = {
  floor: "2707 tasks/s",
  xargs: "2264 tasks/s",
  parallel: "421 tasks/s",
  pool: "1996 tasks/s",
  asyncio: "1403 tasks/s",
  mp: "1907 tasks/s",
};

type SpawnReferences = Partial<
  Record<"floor" | "xargs" | "parallel" | "pool" | "asyncio" | "mp", string>
>;

async function spawn(
  ctx: Context,
  parallel: number,
  ref: SpawnReferences,
): Promise<Omit<Workload, "id">> {
  const tasks = ctx.smoke ? 20 : 2000;
  const pool = "bench/peers/deno_command_pool.ts";
  return {
    kind: "rate",
    title: `${tasks} x /bin/true, ${parallel} at a time`,
    tasks,
    variants: [
      {
        id: "procrun_async",
        label: "procrun ProcRunAsync (process groups, timeout armed, output captured)",
        command: script(ctx, "bench/workloads/async_commands.ts", tasks, parallel, "/bin/true"),
      },
      {
        id: "procrun_async_setsid",
        label: "procrun ProcRunAsync on the setsid path (PROCRUN_SPAWN=setsid)",
        command: {
          ...script(ctx, "bench/workloads/async_commands.ts", tasks, parallel, "/bin/true"),
          env: { PROCRUN_SPAWN: "setsid" },
        },
      },
      {
        id: "procrun_workers",
        label: "procrun ProcRunWorkers commands (the same defaults)",
        command: script(
          ctx,
          "bench/workloads/async_commands.ts",
          "--workers",
          tasks,
          parallel,
          "/bin/true",
        ),
      },
      {
        id: "procrun_cli",
        label: "procrun CLI (stdin lines, --quiet)",
        command: {
          ...script(ctx, "src/cli.ts", "-j", parallel, "--quiet", "--", "/bin/true"),
          stdin: lines(tasks),
        },
      },
      {
        id: "posix_spawn_pool",
        label: "hand-written pool on procrun's posix_spawn path (same spawn, no task loop)",
        command: script(ctx, "bench/peers/posix_spawn_pool.ts", tasks, parallel, "/bin/true"),
      },
      {
        id: "deno_spawn_pool",
        label: "hand-written Deno.Command pool (spawn() then output(), no process group)",
        command: script(ctx, pool, "--spawn", tasks, parallel, "/bin/true"),
      },
      {
        id: "floor",
        label: "C posix_spawn loop (the floor)",
        command: orSkip(
          await ctx.peers.floor(),
          (exe) => ({ argv: [exe, String(tasks), String(parallel), "/bin/true"] }),
        ),
        reference: ref.floor,
      },
      {
        id: "xargs",
        label: `xargs -P ${parallel}`,
        command: orSkip(ctx.tools.xargs ?? XARGS_MISSING, (xargs) => ({
          argv: [xargs, "-P", String(parallel), "-n", "1", "/bin/true"],
          stdin: lines(tasks),
        })),
        reference: ref.xargs,
      },
      {
        id: "parallel",
        label: `GNU parallel -j ${parallel}`,
        command: orSkip(ctx.tools.parallel ?? PARALLEL_MISSING, (exe) => ({
          argv: [exe, "--will-cite", "-j", String(parallel), "/bin/true"],
          stdin: lines(tasks),
        })),
        reference: ref.parallel,
      },
      {
        id: "deno_pool",
        label: "hand-written Deno.Command pool (output(), no process group)",
        command: script(ctx, pool, tasks, parallel, "/bin/true"),
        reference: ref.pool,
      },
      {
        id: "deno_pool_groups",
        label: "hand-written Deno.Command pool with process groups (detached spawn)",
        command: script(ctx, pool, "--groups", tasks, parallel, "/bin/true"),
      },
      {
        id: "deno_pool_setsid",
        label: "hand-written Deno.Command pool with process groups (through setsid, as procrun)",
        command: orSkip(
          ctx.tools.setsid ?? { skip: "setsid is not installed" },
          (setsid) => script(ctx, pool, tasks, parallel, setsid, "--", "/bin/true"),
        ),
      },
      unmeasured("pyconcurrent_asyncio", "pyconcurrent asyncio", ref.asyncio),
      unmeasured("pyconcurrent_mp", "pyconcurrent multiprocessing", ref.mp),
    ],
    targets: [
      ...["procrun_async", "procrun_workers", "procrun_cli"].flatMap((a) => [
        ratio("hand-written Deno.Command spawn() pool", "deno_spawn_pool", ">= 0.95", a),
        ratio("C posix_spawn floor", "floor", ">= 0.8", a),
      ]),
      ratio("hand-written pool on the same spawn path", "posix_spawn_pool", ">= 0.95"),
      ratio("hand-written Deno.Command output() pool", "deno_pool", ">= 0.95"),
      ratio("hand-written pool with process groups (the same job)", "deno_pool_groups", ">= 1"),
      ratio(
        "hand-written pool through setsid (the same job, the same spawn)",
        "deno_pool_setsid",
        ">= 0.95",
      ),
    ],
  };
}

/** A spawn target: the rate of `a` (ProcRunAsync's by default) divided by that of `b`. */
function ratio(what: string, b: string, goal: Goal, a = "procrun_async"): Target {
  const name = { procrun_async: "ProcRunAsync", procrun_workers: "ProcRunWorkers" }[a] ?? a;
  return { what: `${name} / ${what}`, metric: "rate", a, b, goal };
}

// ---------------------------------------------------------------- cpu, cpu_long

const CPU_TASKS = 2000;

/** A set of V8 flags the CPU workloads run under; `suffix` ends its variants' ids. */
interface FlagSet {
  flag?: string;
  suffix: string;
}

/**
 * Default flags: each thread's speed then depends on when V8 tiers up the task
 * function (bench/README.md), so its figures are shown, not judged.
 */
const DEFAULT_FLAGS: FlagSet = { suffix: "" };
const NO_MAGLEV: FlagSet = { flag: "--no-maglev", suffix: "_nomaglev" };
/**
 * Keeps Maglev, without the inlining that makes the task function slow
 * (bench/README.md, "The CPU workload and V8's Maglev").
 */
const NO_INLINING: FlagSet = { flag: "--no-maglev-inlining", suffix: "_noinlining" };

/**
 * The rows of one V8 flag set, and its targets: ProcRunWorkers on 2 workers
 * (and on 1 when `oneWorker`), the single loop each is measured against, and
 * the hand-written split.
 */
function cpuFlagSet(
  ctx: Context,
  tasks: number,
  set: FlagSet,
  oneWorker: boolean,
): Pick<Workload, "variants" | "targets"> {
  const run = (...args: unknown[]): Command => ({
    argv: denoRun(ctx, set.flag, "bench/workloads/workers_cpu.ts", [tasks, ...args]),
  });
  const note = set.flag ? `, ${set.flag}` : "";
  const two = `procrun_workers${set.suffix}`;
  const one = `procrun_workers_1${set.suffix}`;
  const single = `single${set.suffix}`;
  const split = `split${set.suffix}`;
  const variants: Variant[] = [
    {
      id: two,
      label: `procrun ProcRunWorkers, 2 workers${note}`,
      command: run(2),
      single,
      workers: 2,
    },
  ];
  if (oneWorker) {
    variants.push({
      id: one,
      label: `procrun ProcRunWorkers, 1 worker${note}`,
      command: run(1),
      single,
      workers: 1,
    });
  }
  variants.push(
    {
      id: single,
      label: set.flag ? `one plain loop (Deno)${note}` : "one plain loop on the main thread (Deno)",
      command: run(0),
    },
    {
      id: split,
      label: set.flag
        ? `hand-written split${note}`
        : "hand-written split: 2 plain workers, one message each",
      command: run(2, 1_000_000, "split"),
      single,
      workers: 2,
    },
  );

  const flags = `(${set.flag ?? "default flags"})`;
  const judged = set.flag !== undefined;
  const tierUp: Goal = "none: V8 tier-up timing (bench/README.md)";
  const targets: Target[] = [{
    what: `${judged ? "ProcRunWorkers, " : ""}2 workers ÷ the 2-core limit ${flags}`,
    metric: "vsLimit",
    a: two,
    goal: judged ? "<= 1.10" : tierUp,
  }];
  if (judged) {
    targets.push({
      what: `hand-written split ÷ the 2-core limit ${flags}`,
      metric: "vsLimit",
      a: split,
      goal: "none: what this machine allows any pool",
    });
  }
  if (oneWorker) {
    targets.push({
      what: `1 worker ÷ 2 workers ${flags}`,
      metric: "inner",
      a: one,
      b: two,
      goal: judged ? ">= 1.8" : tierUp,
    });
  }
  return { variants, targets };
}
