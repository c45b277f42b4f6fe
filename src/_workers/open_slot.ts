/**
 * Starts one worker of the workers engine, a thread or a process as the run
 * asks, with the watchdog of a worker thread (a worker process has its own,
 * in process_host.ts).
 *
 * @module
 */
import { importOwn } from "../_util.ts";
import type { ProcessSpec, ProcessTransport } from "./process_transport.ts";
import type { WorkerProgram } from "./protocol.ts";
import { type SlotEvents, WorkerSlot } from "./slot.ts";
import { ThreadTransport } from "./thread_transport.ts";
import type { Isolation } from "./transport.ts";
import { Watchdog } from "./watchdog.ts";

/**
 * A worker sends its reports at least this often (ms) while it works, and at
 * once when its queue runs dry; more often with a timeout, since the tasks a
 * worker finished but had not reported when it is terminated run again.
 */
const FLUSH_MS = 50;
const FLUSH_MS_WITH_TIMEOUT = 10;

/**
 * The transport of worker processes, once loaded: it brings `node:v8` (about
 * 8 ms at start-up), which a run of threads does not need.
 */
let processTransport: typeof ProcessTransport | undefined;

/** Loads the transport of worker processes (the engine's prepare(), before any slot opens). */
export async function loadProcessTransport(): Promise<void> {
  processTransport ??= (await importOwn<typeof import("./process_transport.ts")>(
    new URL("./process_transport.ts", import.meta.url),
  )).ProcessTransport;
}

/** What the workers engine runs, and how. */
export interface WorkersConfig {
  program: WorkerProgram;
  /** Workers at most. */
  numWorkers: number;
  /** 0 for no timeout. */
  timeoutMs: number;
  killGraceMs: number;
  /** A thread's permissions (Worker `deno.permissions`), if set. */
  permissions: Deno.PermissionOptions | undefined;
  isolation: Isolation;
  /** How a worker process starts (its flags hold its permissions), for isolation "process". */
  process?: ProcessSpec;
}

/**
 * Starts the worker of job slot `id`.
 *
 * @param base The run's time base (epoch ms).
 * @param now Milliseconds since `base`, now.
 */
export function openSlot(
  id: number,
  config: WorkersConfig,
  base: number,
  events: SlotEvents,
  now: () => number,
): WorkerSlot {
  const { program, timeoutMs, killGraceMs } = config;
  const flushMs = timeoutMs > 0 ? FLUSH_MS_WITH_TIMEOUT : FLUSH_MS;
  if (config.isolation === "process") {
    const init = { type: "init", program, base, flushMs, timeoutMs, killGraceMs } as const;
    const Transport = processTransport;
    if (Transport === undefined) {
      throw new Error("openSlot: loadProcessTransport() was not awaited");
    }
    return new WorkerSlot(id, (on) => new Transport(init, config.process!, on), events);
  }
  const slot = new WorkerSlot(
    id,
    (on) =>
      new ThreadTransport(
        `procrun-worker-${id}`,
        { program, base, flushMs },
        config.permissions,
        on,
      ),
    events,
  );
  if (program.kind === "function" && timeoutMs > 0) {
    slot.watchdog = new Watchdog(timeoutMs, now, {
      busy: () => !slot.dead && slot.jobs.size > 0,
      running: () => {
        const index = slot.current;
        return index >= 0 ? { index, start: slot.startedAt } : undefined;
      },
    }, (index, start) => events.timeout(slot, index, start));
  }
  return slot;
}
