/**
 * The halt policy (GNU parallel's `--halt`): counts the tasks that ended and
 * says when the run must stop early.
 *
 * @module
 */
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
