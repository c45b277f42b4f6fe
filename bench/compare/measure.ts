/**
 * Measuring: one whole-process run of a command, and a workload's variants
 * run interleaved (A B C A B C ...) into one row of medians each.
 *
 * @module
 */
import type { Command, Kind, Workload } from "./workloads.ts";

/** One run of a command. */
export interface Measure {
  /** Whole-process wall time, seconds. */
  wall: number;
  /** The script's own JSON line, when it printed one. */
  report: Record<string, unknown> | null;
  /** User + system CPU seconds of the process and its children, when /usr/bin/time is there. */
  cpu?: number;
}

/** The figures of one variant of a workload. */
export interface Row {
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
  /** Tasks per second (whole process), for rate and cpu workloads. */
  rate?: number;
  /** Median CPU seconds (user + system, the commands included) per 1,000 tasks. */
  cpuPer1000?: number;
  /** Median peak RSS in MiB, for rss workloads. */
  peakRssMiB?: number;
  /** CPU workload: the single-loop time / this run time (own times, not whole-process). */
  speedup?: number;
  /** CPU workload: this run time / (single-loop time / workers): 1.00 is the core limit. */
  vsLimit?: number;
}

/** A workload's rows, one per variant, in the workload's order. */
export interface WorkloadResult {
  id: string;
  /** The procrun variant the ratios are taken against. */
  lead: string;
  title: string;
  kind: Kind;
  tasks: number;
  rows: Row[];
}

/** How {@linkcode runWorkload} runs. */
export interface RunOptions {
  /** Runs of each variant, unless the workload says otherwise. */
  runs: number;
  /** --smoke: no warm-up round. */
  smoke: boolean;
}

/** The kinds whose rows get a rate (tasks / median wall time). */
const RATE_KINDS: readonly Kind[] = ["rate", "cpu"];

/**
 * Runs `command` once, as a whole process: its wall time and the JSON line it
 * printed last. Throws when it fails or reports failed tasks.
 */
export async function measure(command: Command): Promise<Measure> {
  const times = TIME ? await Deno.makeTempFile({ prefix: "procrun_bench_cpu_" }) : undefined;
  const argv = times ? [TIME!, "-f", "%U %S", "-o", times, ...command.argv] : command.argv;
  const t0 = performance.now();
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    env: command.env,
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
  let cpu: number | undefined;
  if (times) {
    const [user, system] = (await Deno.readTextFile(times)).trim().split("\n").at(-1)!
      .split(" ").map(Number);
    await Deno.remove(times);
    if (Number.isFinite(user) && Number.isFinite(system)) cpu = user! + system!;
  }
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
  return { wall, report, cpu };
}

/** GNU time, for the CPU of each run (Debian's package `time`), or null. */
const TIME = (() => {
  try {
    return Deno.statSync("/usr/bin/time").isFile ? "/usr/bin/time" : null;
  } catch {
    return null;
  }
})();

/** The median of a non-empty list. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Runs every variant of `workload` that is not skipped, interleaved, one
 * warm-up round first (none with --smoke), and gives one row per variant. A
 * variant that fails once is not run again, and its row says why.
 */
export async function runWorkload(
  workload: Workload,
  options: RunOptions,
): Promise<WorkloadResult> {
  const { smoke } = options;
  const runs = workload.runs ?? options.runs;
  const live = workload.variants.filter((v) => !("skip" in v.command));
  const walls = new Map<string, number[]>(live.map((v) => [v.id, []]));
  const inners = new Map<string, number[]>(live.map((v) => [v.id, []]));
  const rss = new Map<string, number[]>(live.map((v) => [v.id, []]));
  const cpus = new Map<string, number[]>(live.map((v) => [v.id, []]));
  const failures = new Map<string, string>();
  console.error(`\n${workload.id}: ${workload.title} (${runs} runs each, interleaved)`);
  const rounds = smoke ? runs : runs + 1; // The first round warms caches and is not kept.
  for (let round = 0; round < rounds; round++) {
    const warmup = !smoke && round === 0;
    for (const variant of live) {
      if (failures.has(variant.id)) continue;
      try {
        const m = await measure(variant.command as Command);
        if (warmup) continue;
        walls.get(variant.id)!.push(m.wall);
        if (m.cpu !== undefined) cpus.get(variant.id)!.push(m.cpu);
        if (typeof m.report?.seconds === "number") inners.get(variant.id)!.push(m.report.seconds);
        if (typeof m.report?.peakRssMiB === "number") {
          rss.get(variant.id)!.push(m.report.peakRssMiB);
        }
      } catch (error) {
        failures.set(variant.id, (error as Error).message);
      }
    }
    Deno.stderr.writeSync(
      new TextEncoder().encode(warmup ? " warm-up" : ` ${round + (smoke ? 1 : 0)}`),
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
    if (RATE_KINDS.includes(workload.kind) && workload.tasks > 0) {
      row.rate = workload.tasks / row.wall!;
    }
    const r = rss.get(variant.id)!;
    if (r.length) row.peakRssMiB = median(r);
    const cpu = cpus.get(variant.id)!;
    if (cpu.length && workload.tasks > 0) row.cpuPer1000 = (median(cpu) / workload.tasks) * 1000;
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
