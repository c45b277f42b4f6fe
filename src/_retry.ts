/**
 * Retries: whether a failed attempt is tried again, after how long, and the
 * record it leaves in its result. The runner (src/proc_run.ts) resubmits.
 *
 * @module
 */
import { invalid } from "./_invalid.ts";
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
    slot: start === null ? null : result.slot,
    host: start === null ? null : result.host,
  };
  result.earlierAttempts = [...result.earlierAttempts, attempt];
}

const RETRY_NAMES = [
  "maxAttempts",
  "minTimeout",
  "multiplier",
  "maxTimeout",
  "jitter",
  "isRetriable",
];

/** Checks the `retry` option, with @std/async's `retry` rules for its numbers. */
export function resolveRetry(owner: string, retry: unknown): ResolvedRetry | undefined {
  if (retry === undefined) return undefined;
  if (retry === null || typeof retry !== "object") {
    throw new TypeError(invalid(owner, "retry", "an object", retry));
  }
  for (const name of Object.keys(retry)) {
    if (!RETRY_NAMES.includes(name)) {
      throw new TypeError(
        `Cannot create ${owner} as 'retry.${name}' is not an option: the options are ${
          RETRY_NAMES.join(", ")
        }`,
      );
    }
  }
  const {
    maxAttempts = 1,
    minTimeout = 0,
    multiplier = 2,
    maxTimeout = 60000,
    jitter = 1,
    isRetriable,
  } = retry as Record<string, unknown>;
  const number = (name: string, value: unknown, expected: string, ok: (n: number) => boolean) => {
    if (typeof value !== "number") {
      throw new TypeError(invalid(owner, `retry.${name}`, expected, value));
    }
    if (!ok(value)) throw new RangeError(invalid(owner, `retry.${name}`, expected, value));
    return value;
  };
  const resolved: ResolvedRetry = {
    maxAttempts: number("maxAttempts", maxAttempts, "a positive integer", Number.isSafeInteger),
    minTimeout: number("minTimeout", minTimeout, "a number of milliseconds >= 0", (n) => n >= 0),
    multiplier: number("multiplier", multiplier, "a finite number >= 1", (n) => n >= 1),
    maxTimeout: number("maxTimeout", maxTimeout, "a number of milliseconds > 0", (n) => n > 0),
    jitter: number("jitter", jitter, "a number from 0 to 1", (n) => n >= 0 && n <= 1),
    isRetriable: undefined,
  };
  if (resolved.maxAttempts < 1) {
    throw new RangeError(invalid(owner, "retry.maxAttempts", "a positive integer", maxAttempts));
  }
  if (!Number.isFinite(resolved.multiplier)) {
    throw new RangeError(invalid(owner, "retry.multiplier", "a finite number >= 1", multiplier));
  }
  if (resolved.minTimeout > resolved.maxTimeout) {
    throw new RangeError(
      invalid(
        owner,
        "retry.minTimeout",
        `<= retry.maxTimeout (${resolved.maxTimeout})`,
        minTimeout,
      ),
    );
  }
  if (isRetriable !== undefined && typeof isRetriable !== "function") {
    throw new TypeError(invalid(owner, "retry.isRetriable", "a function", isRetriable));
  }
  resolved.isRetriable = isRetriable as ResolvedRetry["isRetriable"];
  return resolved;
}
