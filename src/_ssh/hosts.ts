/**
 * The hosts of an ssh run as the engine keeps them: their job slots, what
 * runs there, whether they answer, and which one takes the next task.
 *
 * @module
 */
import { SlotNumbers } from "../_async_engine.ts";
import type { SshLogin } from "./sshlogin.ts";

/** Where a host is. */
export type HostState = "connecting" | "up" | "down";

/** One host of the run. */
export interface Host {
  login: SshLogin;
  /** Its name in results: the sshlogin without its slots, or null for this machine. */
  name: string | null;
  /** Job slots, once known (asked for when not given). */
  slots: number | undefined;
  /** The host's own slot numbers (which master connection a command uses). */
  numbers: SlotNumbers;
  running: number;
  state: HostState;
  /** No longer in the list of hosts (see `--sshloginfile`): it starts no more tasks. */
  retired: boolean;
  /** Why it went down last, for the error of a task that no host can run. */
  failure: string | undefined;
  /** Connections that failed in a row. */
  downs: number;
}

/** A host as the engine keeps it, before anything is asked of it. */
export function newHost(login: SshLogin): Host {
  const here = login.destination === null;
  return {
    login,
    name: here ? null : `${login.destination}${login.port === undefined ? "" : `:${login.port}`}`,
    slots: login.slots ?? (here ? navigator.hardwareConcurrency : undefined),
    numbers: new SlotNumbers(),
    running: 0,
    state: here ? "up" : "connecting",
    retired: false,
    failure: undefined,
    downs: 0,
  };
}

/**
 * What GNU parallel's `{host}` gives for a host: its name without the user
 * and port (`:` for this machine).
 */
export function hostPart(host: Host): string {
  return host.login.destination?.replace(/^.*@/, "") ?? ":";
}

/** Transport failures (ssh failed, the connection went) one attempt may meet before it fails. */
export const MAX_HOST_FAILURES = 3;

/** Failed connections in a row after which a host no longer holds tasks back. */
const GIVE_UP_DOWNS = 3;

/** Where one attempt has met transport failures. */
export interface Failures {
  on: Set<Host>;
  count: number;
}

/**
 * The up host with a free slot and the most room, preferring those where
 * the attempt has not met a transport failure; one where it has only while
 * it has met fewer than {@linkcode MAX_HOST_FAILURES}. Undefined if none.
 */
export function pickHost(hosts: readonly Host[], failures: Failures): Host | undefined {
  let best: Host | undefined;
  let bestFailed = true;
  for (const host of hosts) {
    const { slots } = host;
    if (host.state !== "up" || host.retired || slots === undefined || host.running >= slots) {
      continue;
    }
    const failed = failures.on.has(host);
    if (failed && failures.count >= MAX_HOST_FAILURES) continue;
    const better = !best || (bestFailed && !failed) ||
      (bestFailed === failed && host.running / slots < best.running / best.slots!);
    if (better) [best, bestFailed] = [host, failed];
  }
  return best;
}

/**
 * Whether an attempt that no host can take now may still get one: a host is
 * up or connecting, or down but not yet given up on (it is asked again).
 */
export function mayGetHost(hosts: readonly Host[], failures: Failures): boolean {
  return hosts.some((host) =>
    !host.retired && (host.state !== "down" || host.downs < GIVE_UP_DOWNS) &&
    (failures.count < MAX_HOST_FAILURES || !failures.on.has(host))
  );
}

/** Why no host can run a task, naming each host's last failure. */
export function noHostMessage(hosts: readonly Host[], failures: Failures): string {
  const why = hosts.filter((host) => host.failure !== undefined)
    .map((host) => `${host.name}: ${host.failure}`).join("; ");
  const what = failures.count >= MAX_HOST_FAILURES
    ? `ssh failed ${failures.count} times for it`
    : "every host is down";
  return `no host is left to run it: ${what}${why ? ` (${why})` : ""}`;
}
