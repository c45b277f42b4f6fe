/**
 * The targets of a workload (bench/compare/workloads.ts), evaluated against
 * its measured rows.
 *
 * A target that names a variant its workload does not have is a programming
 * error and throws, so that renaming a variant cannot silently turn a target
 * into "not measured": that is only said of a variant that exists but was
 * skipped or failed.
 *
 * @module
 */
import type { WorkloadResult } from "./measure.ts";
import type { Goal, Metric, Workload } from "./workloads.ts";

/** A target, evaluated. */
export interface TargetResult {
  /** The workload's id, then what is measured. */
  what: string;
  value: number | null;
  goal: string;
  /** Null when not measured; absent when the row is shown without a goal. */
  met?: boolean | null;
}

/**
 * Throws unless every variant id that `workload` names is one of its
 * variants: those its targets read, its lead and the single loops its CPU
 * variants are compared with (a wrong one would leave their figures, and so
 * the targets, "not measured").
 */
export function checkTargets(workload: Workload): void {
  const ids = new Set(workload.variants.map((v) => v.id));
  const check = (id: string | undefined, where: string) => {
    if (id !== undefined && !ids.has(id)) {
      throw new Error(
        `bench/compare: ${where} of the workload ${workload.id} names the variant "${id}", ` +
          `which ${workload.id} does not have`,
      );
    }
  };
  for (const target of workload.targets) {
    check(target.a, `the target "${target.what}"`);
    check(target.b, `the target "${target.what}"`);
    parseGoal(target.goal);
  }
  check(workload.lead, "the lead");
  for (const variant of workload.variants) check(variant.single, `the variant ${variant.id}`);
}

/** The targets of `workload`, evaluated against `result`, its measured rows. */
export function evaluateTargets(workload: Workload, result: WorkloadResult): TargetResult[] {
  checkTargets(workload);
  return workload.targets.map((target): TargetResult => {
    const a = valueOf(result, target.a, target.metric);
    const b = target.b === undefined ? undefined : valueOf(result, target.b, target.metric);
    const value = target.b === undefined ? a ?? null : a && b ? a / b : null;
    const what = `${workload.id}: ${target.what}`;
    const goal = parseGoal(target.goal);
    if (goal === null) return { what, value, goal: target.goal };
    return { what, value, goal: target.goal, met: value === null ? null : goal(value) };
  });
}

/** The metric of the variant `id`, or undefined when it was not measured. */
function valueOf(result: WorkloadResult, id: string, metric: Metric): number | undefined {
  const row = result.rows.find((r) => r.id === id);
  if (row?.status !== "measured") return undefined;
  return metric === "wallMs" ? row.wall! * 1000 : row[metric];
}

/** The test a goal puts a value to, or null for a goal of "none: ...". */
function parseGoal(goal: Goal): ((value: number) => boolean) | null {
  if (goal.startsWith("none: ")) return null;
  const match = goal.match(/^(>=|<=|<) (\S+)( \(.+\))?$/);
  const bound = Number(match?.[2]);
  if (!match || !Number.isFinite(bound)) throw new Error(`bench/compare: bad goal "${goal}"`);
  switch (match[1]) {
    case ">=":
      return (value) => value >= bound;
    case "<=":
      return (value) => value <= bound;
    default:
      return (value) => value < bound;
  }
}
