/**
 * The comparison suite: runs each workload of issue 5 for procrun and for every
 * peer installed on this machine, as whole processes, interleaved (A B C A B C
 * ...), several runs each, and prints one table of medians and ratios per
 * workload, the targets met or not, and a machine-readable JSON file.
 *
 * Peers that are missing are reported as skipped, with the reason; figures
 * that were not measured here (pyconcurrent: PyPI is unreachable) are shown
 * only as "reference (not measured here)".
 *
 * usage: deno run -A bench/compare.ts [--runs N] [--only a,b] [--json FILE]
 *                                      [--save] [--smoke] [--no-install]
 *
 * @module
 */
import { parseArgs } from "@std/cli/parse-args";

const HERE = new URL(".", import.meta.url);
const ROOT = new URL("../", HERE);
const path = (relative: string) => new URL(relative, ROOT).pathname;

// `deno task bench -- --save` passes the "--" on: options follow it here.
const flags = parseArgs(Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args, {
  string: ["runs", "only", "json"],
  boolean: ["save", "smoke", "no-install", "help"],
});
if (flags.help) {
  console.log(
    "usage: deno run -A bench/compare.ts [--runs N] [--only ids] [--json FILE] [--save] [--smoke] [--no-install]\n" +
      "  --runs N      measured runs of each variant (default 5; 1 with --smoke)\n" +
      "  --only ids    comma-separated workload ids: spawn4,spawn8,functions,cpu,cpu_long,memory,stream,e2e\n" +
      "  --json FILE   where to write the JSON (default bench/results/latest.json)\n" +
      "  --save        also write the table to bench/RESULTS.md\n" +
      "  --smoke       tiny sizes, one run, no warm-up, no peer installs: proves the suite starts\n" +
      "  --no-install  do not npm-install the piscina peer when it is missing",
  );
  Deno.exit(0);
}
const SMOKE = flags.smoke;
const RUNS = Number(flags.runs ?? (SMOKE ? 1 : 5));
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error(`compare.ts: --runs must be a positive integer: current value is ${flags.runs}`);
  Deno.exit(2);
}
const ONLY = flags.only ? new Set(flags.only.split(",")) : undefined;
const JSON_PATH = flags.json ?? path("bench/results/latest.json");

// ---------------------------------------------------------------- the machine

async function which(name: string): Promise<string | null> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    const file = `${dir}/${name}`;
    try {
      const info = await Deno.stat(file);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111)) return file;
    } catch {
      // Not there.
    }
  }
  return null;
}

async function textOf(argv: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(argv[0]!, { args: argv.slice(1), stdin: "null" })
      .output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return null;
  }
}

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return info.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

const tools = {
  cc: await which("cc"),
  xargs: await which("xargs"),
  parallel: await which("parallel"),
  node: await which("node"),
  npm: await which("npm"),
  setsid: await which("setsid"),
};
const deno = Deno.execPath();
const machine = {
  date: new Date().toISOString(),
  cpu: cpuModel(),
  cores: navigator.hardwareConcurrency,
  os: `${Deno.build.os} ${Deno.osRelease()}`,
  deno: Deno.version.deno,
  node: tools.node ? await textOf([tools.node, "--version"]) : null,
  parallel: tools.parallel
    ? (await textOf([tools.parallel, "--version"]))?.split("\n")[0] ?? null
    : null,
  loadStart: Deno.loadavg(),
  loadEnd: [] as number[],
};

// ---------------------------------------------------------------- the peers

const tmp = await Deno.makeTempDir({ prefix: "procrun-bench-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(tmp, { recursive: true });
  } catch {
    // Already gone.
  }
});

/** The C posix_spawn floor, compiled now, or why not. */
async function buildFloor(): Promise<string | { skip: string }> {
  if (!tools.cc) return { skip: "no C compiler (cc) on PATH" };
  const exe = `${tmp}/posix_spawn_floor`;
  const out = await new Deno.Command(tools.cc, {
    args: ["-O2", "-o", exe, path("bench/peers/posix_spawn_floor.c")],
  }).output();
  if (!out.success) return { skip: `cc failed: ${new TextDecoder().decode(out.stderr).trim()}` };
  return exe;
}

/** The piscina peer, installed with npm into bench/peers/piscina if needed. */
async function preparePiscina(): Promise<string | { skip: string }> {
  if (!tools.node) return { skip: "node is not installed" };
  const dir = path("bench/peers/piscina");
  if (SMOKE) return { skip: "not run by --smoke" };
  try {
    await Deno.stat(`${dir}/node_modules/piscina/package.json`);
    return `${dir}/run.mjs`;
  } catch {
    // Not installed yet.
  }
  if (flags["no-install"]) {
    return { skip: "piscina is not installed (npm ci in bench/peers/piscina)" };
  }
  if (!tools.npm) return { skip: "npm is not installed" };
  console.error("compare.ts: installing piscina into bench/peers/piscina ...");
  const out = await new Deno.Command(tools.npm, {
    args: ["ci", "--no-audit", "--no-fund", "--silent"],
    cwd: dir,
    stdin: "null",
  }).output();
  if (!out.success) {
    return { skip: `npm ci failed: ${new TextDecoder().decode(out.stderr).trim().slice(0, 200)}` };
  }
  return `${dir}/run.mjs`;
}

const floor = await buildFloor();
const piscina = ONLY && !ONLY.has("functions") && !ONLY.has("memory") && !ONLY.has("cpu")
  ? { skip: "not needed" }
  : await preparePiscina();

// ---------------------------------------------------------------- workloads

/** One program to time, or why it cannot run here. */
interface Command {
  argv: string[];
  /** Fed to standard input. */
  stdin?: string;
}

interface Variant {
  id: string;
  label: string;
  /** The command, or why it is skipped. */
  command: Command | { skip: string };
  /** A figure quoted from the issue, never measured here. */
  reference?: string;
  /** CPU workload: the id of the single-loop variant this one is compared with. */
  single?: string;
  /** CPU workload: how many workers this variant uses. */
  workers?: number;
}

interface Measure {
  /** Whole-process wall time, seconds. */
  wall: number;
  /** The script's own JSON line, when it printed one. */
  report: Record<string, unknown> | null;
}

type Kind = "rate" | "latency" | "rss";

interface Workload {
  id: string;
  title: string;
  /** Tasks per run (for rates). */
  tasks: number;
  kind: Kind;
  variants: Variant[];
  /** Runs of each variant (defaults to RUNS). */
  runs?: number;
  /** The procrun variant the ratios are taken against (default procrun_async). */
  lead?: string;
}

const denoRun = (script: string, ...args: (string | number)[]) => [
  deno,
  "run",
  "-A",
  "--quiet",
  path(script),
  ...args.map(String),
];

const skipOr = <T>(value: T | { skip: string }, make: (value: T) => Command) =>
  typeof value === "object" && value !== null && "skip" in value ? value : make(value as T);

async function exists(relative: string): Promise<boolean> {
  try {
    await Deno.stat(path(relative));
    return true;
  } catch {
    return false;
  }
}

const lines = (n: number) => Array.from({ length: n }, (_, i) => `${i}\n`).join("");
const NOT_MEASURED = "pyconcurrent is not installable here (PyPI is unreachable)";

/** A pyconcurrent row: never measured here, only its figure quoted from issue 5. */
function unmeasured(id: string, label: string, reference: string | undefined): Variant {
  return { id, label, command: { skip: NOT_MEASURED }, reference };
}

function spawnWorkload(id: string, tasks: number, parallel: number, cli: boolean): Workload {
  const refs: Record<number, Record<string, string>> = {
    4: {
      floor: "2707 tasks/s",
      xargs: "2264 tasks/s",
      parallel: "421 tasks/s",
      pool: "1996 tasks/s",
      asyncio: "1403 tasks/s",
      mp: "1907 tasks/s",
    },
  };
  const ref = refs[parallel] ?? {};
  return {
    id,
    title: `${tasks} x /bin/true, ${parallel} at a time`,
    tasks,
    kind: "rate",
    variants: [
      {
        id: "procrun_async",
        label: "procrun ProcRunAsync (process groups, timeout armed, output captured)",
        command: {
          argv: denoRun("bench/workloads/async_commands.ts", tasks, parallel, "/bin/true"),
        },
      },
      {
        id: "procrun_cli",
        label: "procrun CLI (stdin lines, -q)",
        command: cli
          ? {
            argv: [
              deno,
              "run",
              "-A",
              "--quiet",
              path("src/cli.ts"),
              "-j",
              String(parallel),
              "-q",
              "--",
              "/bin/true",
            ],
            stdin: lines(tasks),
          }
          : { skip: "not yet: src/cli.ts does not exist" },
      },
      {
        id: "floor",
        label: "C posix_spawn loop (the floor)",
        command: skipOr(
          floor,
          (exe) => ({ argv: [exe, String(tasks), String(parallel), "/bin/true"] }),
        ),
        reference: ref.floor,
      },
      {
        id: "xargs",
        label: `xargs -P ${parallel}`,
        command: skipOr(tools.xargs ?? { skip: "xargs is not installed" }, (xargs) => ({
          argv: [xargs, "-P", String(parallel), "-n", "1", "/bin/true"],
          stdin: lines(tasks),
        })),
        reference: ref.xargs,
      },
      {
        id: "parallel",
        label: `GNU parallel -j ${parallel}`,
        command: skipOr(
          tools.parallel ?? { skip: "GNU parallel is not installed (apt-get install parallel)" },
          (parallelExe) => ({
            argv: [parallelExe, "--will-cite", "-j", String(parallel), "/bin/true"],
            stdin: lines(tasks),
          }),
        ),
        reference: ref.parallel,
      },
      {
        id: "deno_pool",
        label: "hand-written Deno.Command pool (output(), no process group)",
        command: {
          argv: denoRun("bench/peers/deno_command_pool.ts", tasks, parallel, "/bin/true"),
        },
        reference: ref.pool,
      },
      {
        id: "deno_pool_groups",
        label: "hand-written Deno.Command pool with process groups (detached spawn)",
        command: {
          argv: denoRun(
            "bench/peers/deno_command_pool.ts",
            "--groups",
            tasks,
            parallel,
            "/bin/true",
          ),
        },
      },
      {
        id: "deno_pool_setsid",
        label: "hand-written Deno.Command pool with process groups (through setsid, as procrun)",
        command: skipOr(tools.setsid ?? { skip: "setsid is not installed" }, (setsid) => ({
          argv: denoRun(
            "bench/peers/deno_command_pool.ts",
            tasks,
            parallel,
            setsid,
            "--",
            "/bin/true",
          ),
        })),
      },
      unmeasured("pyconcurrent_asyncio", "pyconcurrent asyncio", ref.asyncio),
      unmeasured("pyconcurrent_mp", "pyconcurrent multiprocessing", ref.mp),
    ],
  };
}

async function workerScript(
  name: string,
  ...args: (string | number)[]
): Promise<Command | { skip: string }> {
  const script = `bench/workloads/${name}`;
  return (await exists(script))
    ? { argv: denoRun(script, ...args) }
    : { skip: `not yet: ${script} does not exist` };
}

async function workloads(): Promise<Workload[]> {
  const cli = await exists("src/cli.ts");
  const spawnTasks = SMOKE ? 20 : 2000;
  const fnTasks = SMOKE ? 1000 : 100_000;
  const piscinaTrivial = skipOr(
    piscina,
    (run) => ({ argv: [tools.node!, run, "trivial", String(fnTasks), "2"] }),
  );
  const list: Workload[] = [
    spawnWorkload("spawn4", spawnTasks, 4, cli),
    spawnWorkload("spawn8", spawnTasks, 8, cli),
    {
      id: "functions",
      title: `${fnTasks} trivial function tasks, 2 workers`,
      lead: "procrun_workers",
      tasks: fnTasks,
      kind: "rate",
      variants: [
        {
          id: "procrun_workers",
          label: "procrun ProcRunWorkers, 2 workers",
          command: await workerScript("workers_functions.ts", fnTasks, 2),
        },
        {
          id: "procrun_async",
          label: "procrun ProcRunAsync (main thread)",
          command: { argv: denoRun("bench/workloads/async_functions.ts", fnTasks, 2, "held") },
        },
        {
          id: "pool_one",
          label: "hand-written Worker pool, one message per task",
          command: await workerScript("pool_functions.ts", fnTasks, 2, 1),
          reference: "38906 tasks/s",
        },
        {
          id: "pool_eight",
          label: "hand-written Worker pool, 8 in flight per worker",
          command: await workerScript("pool_functions.ts", fnTasks, 2, 8),
          reference: "112565 tasks/s",
        },
        {
          id: "piscina",
          label: "piscina (Node), 2 threads",
          command: piscinaTrivial,
          reference: "38227 tasks/s",
        },
        unmeasured("pyconcurrent_asyncio", "pyconcurrent asyncio (main thread)", "61542 tasks/s"),
        unmeasured("pyconcurrent_mp", "pyconcurrent multiprocessing", "206424 tasks/s"),
      ],
    },
    {
      id: "memory",
      title: `${fnTasks} function results held in memory: peak RSS`,
      tasks: fnTasks,
      kind: "rss",
      variants: [
        {
          id: "procrun_async",
          label: "procrun ProcRunAsync (main thread), results held",
          command: { argv: denoRun("bench/workloads/async_functions.ts", fnTasks, 2, "held") },
        },
        {
          id: "procrun_workers",
          label: "procrun ProcRunWorkers, 2 workers, results held",
          command: await workerScript("workers_functions.ts", fnTasks, 2),
        },
        {
          id: "piscina",
          label: "piscina (Node), 2 threads, results held",
          command: piscinaTrivial,
          reference: "385 MiB",
        },
        unmeasured("pyconcurrent_asyncio", "pyconcurrent asyncio", "190 MiB"),
        unmeasured("pyconcurrent_mp", "pyconcurrent multiprocessing", "92 MiB"),
      ],
    },
    {
      id: "stream",
      title: "streaming consumer (keepResults: false): peak RSS as tasks grow",
      tasks: 0,
      kind: "rss",
      runs: Math.min(RUNS, 3),
      variants: (SMOKE ? [1000, 3000] : [10_000, 100_000, 1_000_000]).map((n) => ({
        id: `procrun_async_${n}`,
        label: `procrun ProcRunAsync, ${n} tasks streamed`,
        command: { argv: denoRun("bench/workloads/async_functions.ts", n, 2, "stream") },
      })),
    },
    {
      id: "e2e",
      title: "one /bin/true end to end (whole process)",
      tasks: 1,
      kind: "latency",
      runs: SMOKE ? 1 : Math.max(RUNS, 10),
      variants: [
        {
          id: "procrun_cli",
          label: "procrun CLI: procrun -- /bin/true ::: 1",
          command: cli
            ? {
              argv: [
                deno,
                "run",
                "-A",
                "--quiet",
                path("src/cli.ts"),
                "-q",
                "--",
                "/bin/true",
                ":::",
                "1",
              ],
            }
            : { skip: "not yet: src/cli.ts does not exist" },
        },
        {
          id: "procrun_async",
          label: "procrun ProcRunAsync script",
          command: { argv: denoRun("bench/workloads/async_commands.ts", 1, 1, "/bin/true") },
        },
        {
          id: "floor",
          label: "C posix_spawn loop",
          command: skipOr(floor, (exe) => ({ argv: [exe, "1", "1", "/bin/true"] })),
          reference: "1.4 ms",
        },
        {
          id: "xargs",
          label: "xargs",
          command: skipOr(tools.xargs ?? { skip: "xargs is not installed" }, (xargs) => ({
            argv: [xargs, "-n", "1", "/bin/true"],
            stdin: "1\n",
          })),
          reference: "1.6 ms",
        },
        {
          id: "parallel",
          label: "GNU parallel",
          command: skipOr(
            tools.parallel ?? { skip: "GNU parallel is not installed (apt-get install parallel)" },
            (parallelExe) => ({ argv: [parallelExe, "--will-cite", "/bin/true", ":::", "1"] }),
          ),
          reference: "64 ms",
        },
        {
          id: "deno_pool",
          label: "hand-written Deno.Command script",
          command: { argv: denoRun("bench/peers/deno_command_pool.ts", 1, 1, "/bin/true") },
          reference: "19.5 ms",
        },
        unmeasured("pyconcurrent_asyncio", "pyconcurrent asyncio", "51 ms"),
        unmeasured("pyconcurrent_mp", "pyconcurrent multiprocessing", "143 ms"),
      ],
    },
  ];
  if (!SMOKE) {
    const cpuTasks = 2000;
    const withFlag = (flag: string) => (script: Command | { skip: string }) =>
      "skip" in script ? script : {
        argv: [deno, "run", "-A", "--quiet", `--v8-flags=${flag}`, ...script.argv.slice(4)],
      };
    const longTasks = 2 * cpuTasks;
    const scripts = async (tasks: number, oneWorker: boolean) => ({
      w2: await workerScript("workers_cpu.ts", tasks, 2),
      w1: oneWorker ? await workerScript("workers_cpu.ts", tasks, 1) : undefined,
      w0: await workerScript("workers_cpu.ts", tasks, 0),
      split: await workerScript("workers_cpu.ts", tasks, 2, 1_000_000, "split"),
    });
    const short = await scripts(cpuTasks, true);
    const long = await scripts(longTasks, false);
    // The same rows for each V8 flag set: ProcRunWorkers on 2 workers (and 1
    // for the shorter batch), the single loop each is measured against, and
    // the split.
    const flagSet = (
      { w2, w1, w0, split }: typeof short,
      suffix: string,
      flag?: string,
    ): Variant[] => {
      const run = flag ? withFlag(flag) : (script: Command | { skip: string }) => script;
      const note = flag ? `, ${flag}` : "";
      const single = `single${suffix}`;
      return [
        {
          id: `procrun_workers${suffix}`,
          label: `procrun ProcRunWorkers, 2 workers${note}`,
          command: run(w2),
          single,
          workers: 2,
        },
        ...(w1 === undefined ? [] : [{
          id: `procrun_workers_1${suffix}`,
          label: `procrun ProcRunWorkers, 1 worker${note}`,
          command: run(w1),
          single,
          workers: 1,
        }]),
        {
          id: single,
          label: flag ? `one plain loop (Deno)${note}` : "one plain loop on the main thread (Deno)",
          command: run(w0),
        },
        {
          id: `split${suffix}`,
          label: flag
            ? `hand-written split${note}`
            : "hand-written split: 2 plain workers, one message each",
          command: run(split),
          single,
          workers: 2,
        },
      ];
    };
    list.splice(3, 0, {
      id: "cpu",
      title: `${cpuTasks} CPU tasks of ~1.3 ms, 2 workers, vs the 2-core limit (single loop / 2)`,
      tasks: cpuTasks,
      kind: "rate",
      runs: RUNS,
      variants: [
        ...flagSet(short, ""),
        ...flagSet(short, "_nomaglev", "--no-maglev"),
        // Keeps Maglev, without the inlining that makes the task function slow
        // (bench/README.md, "The CPU workload and V8's Maglev").
        ...flagSet(short, "_noinlining", "--no-maglev-inlining"),
        {
          id: "piscina",
          label: "piscina (Node), 2 threads",
          command: skipOr(piscina, (run) => ({
            argv: [tools.node!, run, "cpu", String(cpuTasks), "2", "1000000"],
          })),
          single: "node_single",
          workers: 2,
          reference: "1.11x the 2-core limit",
        },
        {
          id: "node_single",
          label: "one plain loop (Node)",
          command: skipOr(piscina, (run) => ({
            argv: [tools.node!, run, "single", String(cpuTasks), "1", "1000000"],
          })),
        },
        unmeasured("pyconcurrent_mp", "pyconcurrent multiprocessing", "1.03x the 2-core limit"),
      ],
    });
    // The same tasks, twice as many: starting two workers (one after the
    // other, ~20 ms each on Deno 2.9.6) weighs half as much.
    list.splice(4, 0, {
      id: "cpu_long",
      title: `${longTasks} CPU tasks of ~1.3 ms, 2 workers, vs the 2-core limit (single loop / 2)`,
      tasks: longTasks,
      kind: "rate",
      runs: RUNS,
      variants: [
        ...flagSet(long, "_nomaglev", "--no-maglev"),
        ...flagSet(long, "_noinlining", "--no-maglev-inlining"),
      ],
    });
  }
  return ONLY ? list.filter((w) => ONLY.has(w.id)) : list;
}

// ---------------------------------------------------------------- measuring

async function measure(command: Command): Promise<Measure> {
  const t0 = performance.now();
  const child = new Deno.Command(command.argv[0]!, {
    args: command.argv.slice(1),
    stdin: command.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (command.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(command.stdin));
    await writer.close();
  }
  const out = await child.output();
  const wall = (performance.now() - t0) / 1000;
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `${command.argv.join(" ")} exited with ${out.code}: ${
        new TextDecoder().decode(out.stderr).trim().slice(0, 500)
      }`,
    );
  }
  let report: Record<string, unknown> | null = null;
  const last = stdout.trim().split("\n").at(-1) ?? "";
  if (last.startsWith("{")) {
    try {
      report = JSON.parse(last);
    } catch {
      report = null;
    }
  }
  if (report && typeof report.failed === "number" && report.failed > 0) {
    throw new Error(`${command.argv.join(" ")} reported ${report.failed} failed tasks`);
  }
  return { wall, report };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Row {
  id: string;
  label: string;
  status: "measured" | "skipped" | "failed";
  reason?: string;
  reference?: string;
  runs: number[];
  /** Median whole-process wall time, seconds. */
  wall?: number;
  /** Median of the script's own time, seconds, when it reported one. */
  inner?: number;
  /** Tasks per second (whole process), for rate workloads. */
  rate?: number;
  /** Median peak RSS in MiB, for rss workloads. */
  peakRssMiB?: number;
  /** CPU workload: the single-loop time / this run time (own times, not whole-process). */
  speedup?: number;
  /** CPU workload: this run time / (single-loop time / workers): 1.00 is the core limit. */
  vsLimit?: number;
}

interface WorkloadResult {
  id: string;
  /** The procrun variant the ratios are taken against. */
  lead: string;
  title: string;
  kind: Kind;
  tasks: number;
  rows: Row[];
}

async function runWorkload(workload: Workload): Promise<WorkloadResult> {
  const runs = workload.runs ?? RUNS;
  const live = workload.variants.filter((v) => !("skip" in v.command));
  const walls = new Map<string, number[]>(live.map((v) => [v.id, []]));
  const inners = new Map<string, number[]>(live.map((v) => [v.id, []]));
  const rss = new Map<string, number[]>(live.map((v) => [v.id, []]));
  const failures = new Map<string, string>();
  console.error(`\n${workload.id}: ${workload.title} (${runs} runs each, interleaved)`);
  const rounds = SMOKE ? runs : runs + 1; // The first round warms caches and is not kept.
  for (let round = 0; round < rounds; round++) {
    const warmup = !SMOKE && round === 0;
    for (const variant of live) {
      if (failures.has(variant.id)) continue;
      try {
        const m = await measure(variant.command as Command);
        if (warmup) continue;
        walls.get(variant.id)!.push(m.wall);
        if (typeof m.report?.seconds === "number") inners.get(variant.id)!.push(m.report.seconds);
        if (typeof m.report?.peakRssMiB === "number") {
          rss.get(variant.id)!.push(m.report.peakRssMiB);
        }
      } catch (error) {
        failures.set(variant.id, (error as Error).message);
      }
    }
    Deno.stderr.writeSync(
      new TextEncoder().encode(warmup ? " warm-up" : ` ${round + (SMOKE ? 1 : 0)}`),
    );
  }
  Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  const rows: Row[] = workload.variants.map((variant) => {
    const base = { id: variant.id, label: variant.label, reference: variant.reference };
    if ("skip" in variant.command) {
      return { ...base, status: "skipped", reason: variant.command.skip, runs: [] };
    }
    if (failures.has(variant.id)) {
      return {
        ...base,
        status: "failed",
        reason: failures.get(variant.id),
        runs: walls.get(variant.id)!,
      };
    }
    const w = walls.get(variant.id)!;
    const row: Row = { ...base, status: "measured", runs: w, wall: median(w) };
    const inner = inners.get(variant.id)!;
    if (inner.length) row.inner = median(inner);
    if (workload.kind === "rate" && workload.tasks > 0) row.rate = workload.tasks / row.wall!;
    const r = rss.get(variant.id)!;
    if (r.length) row.peakRssMiB = median(r);
    return row;
  });
  for (const variant of workload.variants) {
    const r = rows.find((x) => x.id === variant.id)!;
    const single = rows.find((x) => x.id === variant.single);
    if (
      !variant.single || !variant.workers || r.inner === undefined || single?.inner === undefined
    ) {
      continue;
    }
    r.speedup = single.inner / r.inner;
    r.vsLimit = r.inner / (single.inner / variant.workers);
  }
  return {
    id: workload.id,
    title: workload.title,
    kind: workload.kind,
    tasks: workload.tasks,
    lead: workload.lead ?? "procrun_async",
    rows,
  };
}

// ---------------------------------------------------------------- targets

interface Target {
  what: string;
  value: number | null;
  goal: string;
  /** Null when not measured; absent when the row is shown without a goal. */
  met?: boolean | null;
}

function row(results: WorkloadResult[], workload: string, id: string): Row | undefined {
  const r = results.find((w) => w.id === workload)?.rows.find((x) => x.id === id);
  return r?.status === "measured" ? r : undefined;
}

function targets(results: WorkloadResult[]): Target[] {
  const out: Target[] = [];
  const ratio = (what: string, workload: string, a: string, b: string, min: number) => {
    const ra = row(results, workload, a)?.rate;
    const rb = row(results, workload, b)?.rate;
    const value = ra && rb ? ra / rb : null;
    out.push({ what, value, goal: `>= ${min}`, met: value === null ? null : value >= min });
  };
  for (const w of ["spawn4", "spawn8"]) {
    if (!results.some((r) => r.id === w)) continue;
    ratio(
      `${w}: ProcRunAsync / hand-written Deno.Command pool`,
      w,
      "procrun_async",
      "deno_pool",
      0.95,
    );
    ratio(`${w}: ProcRunAsync / C posix_spawn floor`, w, "procrun_async", "floor", 0.80);
    ratio(
      `${w}: ProcRunAsync / hand-written pool with process groups (the same job)`,
      w,
      "procrun_async",
      "deno_pool_groups",
      1.0,
    );
    ratio(
      `${w}: ProcRunAsync / hand-written pool through setsid (the same job, the same spawn)`,
      w,
      "procrun_async",
      "deno_pool_setsid",
      0.95,
    );
  }
  if (results.some((r) => r.id === "functions")) {
    const v = row(results, "functions", "procrun_workers")?.rate ?? null;
    out.push({
      what: "functions: ProcRunWorkers tasks/s, 2 workers",
      value: v,
      goal: ">= 250000",
      met: v === null ? null : v >= 250_000,
    });
  }
  if (results.some((r) => r.id === "cpu")) {
    const notes: Record<string, string> = {
      "": " (default flags)",
      "_nomaglev": " (--no-maglev)",
      "_noinlining": " (--no-maglev-inlining)",
    };
    for (const [suffix, flagsNote] of Object.entries(notes)) {
      const two = row(results, "cpu", `procrun_workers${suffix}`);
      const one = row(results, "cpu", `procrun_workers_1${suffix}`);
      const floor = row(results, "cpu", `split${suffix}`)?.vsLimit ?? null;
      const limit = two?.vsLimit ?? null;
      const speedup = one?.inner && two?.inner ? one.inner / two.inner : null;
      if (suffix === "") {
        // With default flags, each thread's speed depends on when V8 tiers up
        // the task function (bench/README.md): shown, not judged.
        const goal = "none: V8 tier-up timing (bench/README.md)";
        out.push({ what: `cpu: 2 workers ÷ the 2-core limit${flagsNote}`, value: limit, goal });
        out.push({ what: `cpu: 1 worker ÷ 2 workers${flagsNote}`, value: speedup, goal });
        continue;
      }
      out.push({
        what: `cpu: ProcRunWorkers, 2 workers ÷ the 2-core limit${flagsNote}`,
        value: limit,
        goal: "<= 1.10",
        met: limit === null ? null : limit <= 1.10,
      });
      out.push({
        what: `cpu: hand-written split ÷ the 2-core limit${flagsNote}`,
        value: floor,
        goal: "none: what this machine allows any pool",
      });
      out.push({
        what: `cpu: 1 worker ÷ 2 workers${flagsNote}`,
        value: speedup,
        goal: ">= 1.8",
        met: speedup === null ? null : speedup >= 1.8,
      });
    }
  }
  if (results.some((r) => r.id === "cpu_long")) {
    for (
      const [suffix, flag] of [["_nomaglev", "--no-maglev"], [
        "_noinlining",
        "--no-maglev-inlining",
      ]]
    ) {
      const limit = row(results, "cpu_long", `procrun_workers${suffix}`)?.vsLimit ?? null;
      out.push({
        what: `cpu_long: ProcRunWorkers, 2 workers ÷ the 2-core limit (${flag})`,
        value: limit,
        goal: "<= 1.10",
        met: limit === null ? null : limit <= 1.10,
      });
      out.push({
        what: `cpu_long: hand-written split ÷ the 2-core limit (${flag})`,
        value: row(results, "cpu_long", `split${suffix}`)?.vsLimit ?? null,
        goal: "none: what this machine allows any pool",
      });
    }
  }
  if (results.some((r) => r.id === "memory")) {
    const v = row(results, "memory", "procrun_async")?.peakRssMiB ?? null;
    out.push({
      what: "memory: ProcRunAsync, results held, peak RSS MiB",
      value: v,
      goal: "<= 100",
      met: v === null ? null : v <= 100,
    });
  }
  const stream = results.find((r) => r.id === "stream");
  if (stream) {
    const measured = stream.rows.filter((r) => r.peakRssMiB !== undefined);
    const first = measured[0]?.peakRssMiB;
    const last = measured.at(-1)?.peakRssMiB;
    const v = first && last && measured.length > 1 ? last / first : null;
    out.push({
      what: "stream: peak RSS at the most tasks / at the fewest",
      value: v,
      goal: "<= 1.25 (flat)",
      met: v === null ? null : v <= 1.25,
    });
  }
  if (results.some((r) => r.id === "e2e")) {
    const v = row(results, "e2e", "procrun_cli")?.wall;
    out.push({
      what: "e2e: procrun CLI, one true, ms",
      value: v === undefined ? null : v * 1000,
      goal: "< 40",
      met: v === undefined ? null : v * 1000 < 40,
    });
  }
  return out;
}

// ---------------------------------------------------------------- rendering

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function render(results: WorkloadResult[], goals: Target[]): string {
  const out: string[] = [];
  out.push(
    `Measured ${machine.date} on ${machine.cpu}, ${machine.cores} cores, ${machine.os}; ` +
      `Deno ${machine.deno}, Node ${machine.node ?? "-"}, ${
        machine.parallel ?? "no GNU parallel"
      }. ` +
      `Load average at start ${machine.loadStart.map((x) => x.toFixed(2)).join(" ")}, ` +
      `at end ${machine.loadEnd.map((x) => x.toFixed(2)).join(" ")}. ` +
      `Whole-process wall time, medians of ${RUNS} interleaved runs (after one warm-up round).`,
  );
  for (const w of results) {
    out.push("", `### ${w.id}: ${w.title}`, "");
    const procrun = w.rows.find((r) => r.id === w.lead && r.status === "measured");
    if (w.id.startsWith("cpu")) {
      out.push(
        "| variant | median wall s | own time s | speedup vs its single loop | ÷ core limit | reference (issue, not measured here) |",
      );
      out.push("|---|---:|---:|---:|---:|---|");
    } else if (w.kind === "rate") {
      out.push(
        `| variant | median wall s | tasks/s | ${w.lead} rate ÷ this | reference (issue, not measured here) |`,
      );
      out.push("|---|---:|---:|---:|---|");
    } else if (w.kind === "rss") {
      out.push("| variant | median wall s | peak RSS MiB | reference (issue, not measured here) |");
      out.push("|---|---:|---:|---|");
    } else {
      out.push("| variant | median wall ms | reference (issue, not measured here) |");
      out.push("|---|---:|---|");
    }
    for (const r of w.rows) {
      const ref = r.reference ?? "";
      if (r.status !== "measured") {
        const cells = w.id.startsWith("cpu") ? 4 : w.kind === "rate" ? 3 : w.kind === "rss" ? 2 : 1;
        out.push(`| ${r.label} | ${r.status}: ${r.reason}${" | ".repeat(cells)}${ref} |`);
        continue;
      }
      if (w.id.startsWith("cpu")) {
        out.push(
          `| ${r.label} | ${fmt(r.wall!, 3)} | ${r.inner === undefined ? "-" : fmt(r.inner, 3)} | ${
            r.speedup === undefined ? "" : fmt(r.speedup, 2)
          } | ${r.vsLimit === undefined ? "" : fmt(r.vsLimit, 2)} | ${ref} |`,
        );
      } else if (w.kind === "rate") {
        const ratio = procrun?.rate && r.rate ? fmt(procrun.rate / r.rate, 2) : "";
        out.push(`| ${r.label} | ${fmt(r.wall!, 3)} | ${fmt(r.rate!)} | ${ratio} | ${ref} |`);
      } else if (w.kind === "rss") {
        out.push(
          `| ${r.label} | ${fmt(r.wall!, 3)} | ${
            r.peakRssMiB === undefined ? "-" : fmt(r.peakRssMiB, 1)
          } | ${ref} |`,
        );
      } else {
        out.push(`| ${r.label} | ${fmt(r.wall! * 1000, 1)} | ${ref} |`);
      }
    }
  }
  out.push("", "### Targets", "", "| target | measured | goal | met |", "|---|---:|---|---|");
  for (const t of goals) {
    out.push(
      `| ${t.what} | ${
        t.value === null ? "-" : fmt(t.value, t.value >= 100 ? 0 : 2)
      } | ${t.goal} | ${
        t.met === undefined ? "-" : t.met === null ? "not measured" : t.met ? "yes" : "NO"
      } |`,
    );
  }
  return out.join("\n");
}

// ---------------------------------------------------------------- main

const results: WorkloadResult[] = [];
for (const workload of await workloads()) results.push(await runWorkload(workload));
machine.loadEnd = Deno.loadavg();
const goals = targets(results);
const table = render(results, goals);
console.log(table);
await Deno.mkdir(new URL(".", `file://${JSON_PATH}`), { recursive: true }).catch(() => {});
await Deno.writeTextFile(
  JSON_PATH,
  JSON.stringify(
    { machine, runs: RUNS, smoke: SMOKE, workloads: results, targets: goals },
    null,
    2,
  ) + "\n",
);
console.error(`\nJSON written to ${JSON_PATH}`);
if (flags.save) {
  const md = path("bench/RESULTS.md");
  await Deno.writeTextFile(
    md,
    `# Benchmark results\n\nThe latest full run of \`deno task bench\` (bench/compare.ts); see bench/README.md for how to read it.\n\n${table}\n`,
  );
  // The repository's `deno fmt --check` covers Markdown: align the tables.
  await new Deno.Command(deno, { args: ["fmt", "--quiet", md] }).output();
  console.error(`Table written to ${md}`);
}
if (results.some((w) => w.rows.some((r) => r.status === "failed"))) Deno.exitCode = 1;
