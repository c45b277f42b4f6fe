/**
 * The scheduling decisions of the workers engine, as pure functions over what
 * the engine knows of each worker: how many tasks it holds, how many of those
 * it has not started, and how long its current task has run. The engine
 * (engine.ts) carries them out; the reasons for each number are in
 * bench/README.md ("design notes").
 *
 * @module
 */

/** Most tasks sent to one worker and not yet reported. */
export const MAX_IN_FLIGHT = 1024;
/**
 * Milliseconds of work to keep queued in each worker. Long: a worker runs its
 * queue in one synchronous loop, which keeps a task function on fast code;
 * work stealing keeps long queues from holding tasks up.
 */
export const TARGET_QUEUE_MS = 10_000;
/**
 * Below this many ms of queued work, a worker gets whatever tasks are
 * waiting. More than two report intervals: the count the main thread sees is
 * that old, and the tasks must arrive before the queue runs dry.
 */
export const LOW_QUEUE_MS = 120;
/**
 * Tasks kept in flight per worker until the first reports show how long tasks
 * take: enough that a worker does not wait for a round trip after its first
 * task. Work stealing takes back what a long first task holds up.
 */
export const FIRST_DEPTH = 64;
/** Work (ms) that an idle worker takes back from a busy one. */
export const STEAL_MS = 5;

/** What the scheduler knows of one worker. */
export interface SlotLoad {
  /** Tasks sent and not yet reported. */
  inFlight: number;
  /** Of those, tasks the worker has not started. */
  unstarted: number;
  /** How long its current task has run (ms), 0 between tasks. */
  ranMs: number;
}

/** One batch to send: to `slot` (an index into the loads; a new worker when it is past them). */
export interface Send {
  slot: number;
  count: number;
}

/** Tasks to keep in flight per worker, from the average task time (undefined before any report). */
export function depth(avgMs: number | undefined): number {
  if (avgMs === undefined) return FIRST_DEPTH;
  return Math.max(2, Math.min(MAX_IN_FLIGHT, Math.ceil(TARGET_QUEUE_MS / avgMs)));
}

/** The average task time after a report of `count` tasks that took `totalMs` in all. */
export function nextAverage(avgMs: number | undefined, totalMs: number, count: number): number {
  const sample = Math.max(totalMs / count, 0.0001);
  return avgMs === undefined ? sample : 0.7 * avgMs + 0.3 * sample;
}

/** Whether some worker is idle or could still be started: then tasks go out at once. */
export function starving(loads: readonly SlotLoad[], maxWorkers: number): boolean {
  return loads.length < maxWorkers || loads.some((load) => load.inFlight === 0);
}

/**
 * Which batches to send of `waiting` tasks: each worker gets at most one
 * batch per call, the least loaded first, so the tasks left are shared
 * rather than halved again and again for the same worker. A new worker is
 * started when every worker is full, or when all are busy and too few tasks
 * wait to fill a batch (a task goes to an idle thread first). A worker with
 * work for a while waits for a fuller batch rather than get a few tasks at a
 * time. With few tasks left, they are shared between the workers.
 */
export function planSends(
  loads: readonly SlotLoad[],
  waiting: number,
  maxWorkers: number,
  avgMs: number | undefined,
): Send[] {
  const want = depth(avgMs);
  const inFlight = loads.map((load) => load.inFlight);
  const served = new Set<number>();
  const sends: Send[] = [];
  while (waiting > 0) {
    let best = -1;
    for (let i = 0; i < inFlight.length; i++) {
      if (!served.has(i) && (best < 0 || inFlight[i]! < inFlight[best]!)) best = i;
    }
    const full = best < 0 || inFlight[best]! > want >> 1;
    const busy = !full && inFlight[best]! > 0 && waiting < want - inFlight[best]!;
    let slot: number;
    if ((full || busy) && inFlight.length < maxWorkers) {
      slot = inFlight.length;
      inFlight.push(0);
    } else if (full) {
      break;
    } else {
      slot = best;
    }
    const room = want - inFlight[slot]!;
    if (waiting < room && inFlight[slot]! * (avgMs ?? 0) > LOW_QUEUE_MS) break;
    const share = waiting < room * maxWorkers ? Math.ceil(waiting / maxWorkers) : room;
    const count = Math.min(waiting, Math.max(1, Math.min(room, share)));
    sends.push({ slot, count });
    inFlight[slot]! += count;
    waiting -= count;
    served.add(slot);
  }
  return sends;
}

/** What to do about an idle worker: take back the tasks of `victim`, or look again later. */
export type StealPlan = { victim: number } | { recheckMs: number } | undefined;

/**
 * Whether an idle worker should take back the tasks a busy one has not
 * started: when they are worth more than a few ms by the average, or when the
 * task in front of them has run for a while (the average was wrong). A worker
 * that holds only unstarted tasks is about to start them: taking them back
 * could hand them to this same idle worker, without end; look again soon.
 */
export function planSteal(loads: readonly SlotLoad[], avgMs: number | undefined): StealPlan {
  if (!loads.some((load) => load.inFlight === 0)) return undefined;
  const avg = avgMs ?? 0;
  let victim = -1;
  let most = 0;
  let recheck = Infinity;
  loads.forEach(({ inFlight, unstarted, ranMs }, i) => {
    if (unstarted <= 0) return;
    if (inFlight <= unstarted) {
      recheck = Math.min(recheck, STEAL_MS);
    } else if (unstarted * avg >= STEAL_MS || ranMs >= STEAL_MS) {
      if (unstarted > most) [victim, most] = [i, unstarted];
    } else {
      recheck = Math.min(recheck, STEAL_MS - ranMs);
    }
  });
  if (victim >= 0) return { victim };
  return recheck < Infinity ? { recheckMs: Math.max(1, recheck) } : undefined;
}
