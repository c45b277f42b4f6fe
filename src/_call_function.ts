/**
 * Calling a task function on this thread, with a timeout, for the async
 * engine.
 *
 * @module
 */
import { recordCancel, recordError, recordReturn, recordTimeout } from "./_record.ts";
import { isThenable, setLongTimeout } from "./_util.ts";
import type { ProcResult } from "./result.ts";
import type { TaskFunction } from "./types.ts";

/** How a run calls its task function: the same for every task. */
export interface FunctionCall {
  fn: TaskFunction;
  /** Aborted when the run is cancelled. */
  signal: AbortSignal;
  /** 0 for no timeout. */
  timeoutMs: number;
}

/**
 * Calls a task function with `args` (`[...pargs.slice(1), arg]`) and fills in `result`. Returns nothing when the
 * function returned or threw synchronously (no timer, listener or promise is
 * made for it: a timer could not interrupt it anyway), else a promise that
 * settles at the function's end, at its deadline or on cancellation, even if
 * the function never settles.
 */
export function callFunction(
  call: FunctionCall,
  args: unknown[],
  result: ProcResult,
): Promise<void> | undefined {
  const { fn, signal, timeoutMs } = call;
  const t0 = timeoutMs > 0 ? performance.now() : 0;
  const deadline = timeoutMs > 0 ? new AbortController() : undefined;
  const taskSignal = deadline ? AbortSignal.any([signal, deadline.signal]) : signal;
  let value;
  try {
    value = fn(result.key, args, taskSignal);
  } catch (error) {
    if (signal.aborted && error === signal.reason) recordCancel(result, error, "running");
    else recordError(result, error);
    return;
  }
  if (!isThenable(value)) {
    // A synchronous function cannot be interrupted, but one that ran past its
    // deadline did time out: its answer is dropped, as a late one would be.
    if (timeoutMs > 0 && performance.now() - t0 > timeoutMs) recordTimeout(result, timeoutMs);
    else recordReturn(result, value);
    return;
  }
  // The deadline counts from the call, including its synchronous part.
  const timer = deadline
    ? setLongTimeout(
      () =>
        deadline.abort(
          new DOMException(`timed out after ${timeoutMs / 1000} s`, "TimeoutError"),
        ),
      Math.max(0, timeoutMs - (performance.now() - t0)),
    )
    : undefined;
  return settle(value, result, call, taskSignal, deadline?.signal).finally(() => timer?.());
}

/** The rest of {@linkcode callFunction} for a function that returned a promise. */
async function settle(
  value: PromiseLike<unknown>,
  result: ProcResult,
  { signal, timeoutMs }: FunctionCall,
  taskSignal: AbortSignal,
  deadline: AbortSignal | undefined,
): Promise<void> {
  let onAbort: (() => void) | undefined;
  try {
    const call = Promise.resolve(value);
    call.catch(() => {}); // It may reject after the deadline, unobserved.
    const stopped = new Promise<never>((_, reject) => {
      onAbort = () => reject(taskSignal.reason);
      if (taskSignal.aborted) onAbort();
      else taskSignal.addEventListener("abort", onAbort, { once: true });
    });
    recordReturn(result, await Promise.race([call, stopped]));
  } catch (error) {
    if (deadline?.aborted && error === deadline.reason) {
      recordTimeout(result, timeoutMs);
    } else if (signal.aborted && error === signal.reason) {
      recordCancel(result, error, "running");
    } else {
      recordError(result, error);
    }
  } finally {
    if (onAbort) taskSignal.removeEventListener("abort", onAbort);
  }
}
