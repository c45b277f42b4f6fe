/**
 * Retries: whether a failed attempt is tried again, after how long, and the
 * record it leaves in its result. The runner (src/proc_run.ts) resubmits.
 *
 * @module
 */
import type { AttemptRecord, ProcResult } from "./result.ts";
import { resultTimes } from "./result.ts";

/** The retry option after validation (times in milliseconds). */
export interface ResolvedRetry {
  maxAttempts: number;
  minTimeout: number;
  multiplier: number;
  maxTimeout: number;
  jitter: number;
  isRetriable: ((result: ProcResult) => boolean) | undefined;
}

/**
 * Whether the attempt that just ended is to be tried again: it failed, was
 * not cancelled, has attempts left, and `isRetriable` (if given) agrees.
 */
export function wantsRetry(retry: ResolvedRetry, result: ProcResult): boolean {
  if (result.success || result.cancelled || result.attempts >= retry.maxAttempts) return false;
  return retry.isRetriable?.(result) ?? true;
}

/**
 * Milliseconds to wait before trying again after failed attempt `attempt`
 * (from 1): @std/async's exponential backoff with jitter.
 */
export function retryDelay(retry: ResolvedRetry, attempt: number): number {
  const { minTimeout, multiplier, maxTimeout, jitter } = retry;
  if (minTimeout === 0) return 0;
  const exp = Math.min(maxTimeout, minTimeout * multiplier ** (attempt - 1));
  return (1 - jitter * Math.random()) * exp;
}

/** Adds the attempt that just ended to `result.earlierAttempts`. */
export function recordAttempt(result: ProcResult): void {
  const start = resultTimes.start(result);
  const end = resultTimes.end(result);
  const attempt: AttemptRecord = {
    timeStart: start === null ? null : new Date(start),
    timeEnd: start === null || end === null ? null : new Date(end),
    returncode: result.returncode,
    signal: result.signal,
    timeout: result.timeout,
    exception: result.exception,
    error: result.error,
  };
  result.earlierAttempts = [...result.earlierAttempts, attempt];
}
