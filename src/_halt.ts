/**
 * The halt policy (GNU parallel's `--halt`): counts the tasks that ended and
 * says when the run must stop early.
 *
 * @module
 */
import { invalid } from "./_invalid.ts";
import type { ProcResult } from "./result.ts";

/** The halt option after validation. */
export interface ResolvedHalt {
  when: "soon" | "now";
  /** What is counted. */
  on: "fail" | "success" | "done";
  /** A number of tasks, or a percentage (0 to 100) of the tasks started so far. */
  threshold: { count: number } | { percent: number };
  /** The policy as GNU parallel writes it, `now,fail=1`, for messages. */
  text: string;
}

/** Counts a run's tasks against its halt policy. */
export class HaltCounter {
  readonly policy: ResolvedHalt;
  /** Tasks started so far (first attempts). */
  started = 0;
  /** Tasks ended after their last attempt (cancelled ones are not counted). */
  ended = 0;
  failed = 0;
  #reached = false;

  constructor(policy: ResolvedHalt) {
    this.policy = policy;
  }

  /**
   * Counts a task that has ended for good; returns why the run halts when
   * this one reaches the threshold (once), else null.
   */
  end(result: ProcResult): string | null {
    if (result.cancelled || this.#reached) return null;
    this.ended++;
    if (!result.success) this.failed++;
    const { on, threshold, text } = this.policy;
    const count = on === "fail"
      ? this.failed
      : on === "success"
      ? this.ended - this.failed
      : this.ended;
    const limit = "count" in threshold ? threshold.count : threshold.percent / 100 * this.started;
    if (count < limit) return null;
    this.#reached = true;
    const what = on === "fail" ? "failed" : on === "success" ? "succeeded" : "ended";
    return `${count} ${count === 1 ? "task" : "tasks"} ${what} (halt ${text})`;
  }
}

const HALT_ON = ["fail", "success", "done"] as const;

/** Checks the `halt` option: `when` and exactly one threshold. */
export function resolveHalt(owner: string, halt: unknown): ResolvedHalt | undefined {
  if (halt === undefined) return undefined;
  const expected = `an object such as { when: "now", fail: 1 }`;
  if (halt === null || typeof halt !== "object") {
    throw new TypeError(invalid(owner, "halt", expected, halt));
  }
  for (const name of Object.keys(halt)) {
    if (name !== "when" && !(HALT_ON as readonly string[]).includes(name)) {
      throw new TypeError(
        `Cannot create ${owner} as 'halt.${name}' is not an option: the options are when, ${
          HALT_ON.join(", ")
        }`,
      );
    }
  }
  const policy = halt as Record<string, unknown>;
  if (policy.when !== "soon" && policy.when !== "now") {
    throw new TypeError(invalid(owner, "halt.when", `"soon" or "now"`, policy.when));
  }
  const given = HALT_ON.filter((name) => policy[name] !== undefined);
  if (given.length !== 1) {
    throw new TypeError(
      invalid(owner, "halt", "given exactly one of fail, success and done", halt),
    );
  }
  const on = given[0]!;
  const value = policy[on];
  const what = `halt.${on}`;
  const accepted =
    `a whole number of tasks >= 1 or a percentage such as "20%" (over 0, at most 100)`;
  let threshold: ResolvedHalt["threshold"];
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(invalid(owner, what, accepted, value));
    }
    threshold = { count: value };
  } else if (typeof value === "string" && /^\d+(\.\d+)?%$/.test(value)) {
    const percent = Number(value.slice(0, -1));
    if (!(percent > 0 && percent <= 100)) {
      throw new RangeError(invalid(owner, what, accepted, value));
    }
    threshold = { percent };
  } else {
    throw new TypeError(invalid(owner, what, accepted, value));
  }
  return { when: policy.when, on, threshold, text: `${policy.when},${on}=${value}` };
}
