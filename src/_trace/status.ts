/**
 * The outcome of an attempt in one word, as the trace and the report show
 * it: each has a colour and a pattern of its own in the report.
 *
 * @module
 */

/** Every outcome, in the order of the report's legend. */
export const STATUSES = ["success", "failure", "timeout", "cancelled"] as const;

/** One outcome: success, failure (exit code, signal, error), timeout or cancelled. */
export type Status = typeof STATUSES[number];

/** The outcome of a result's (or a record's) attempt: a timeout and a cancellation are not failures here. */
export function statusOf(
  outcome: { success: boolean; timeout: boolean; cancelled: boolean },
): Status {
  if (outcome.success) return "success";
  if (outcome.timeout) return "timeout";
  if (outcome.cancelled) return "cancelled";
  return "failure";
}
