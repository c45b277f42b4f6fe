/**
 * Real OpenSSH servers on loopback for the tests: each with its own host key,
 * port and authorized client key, in a temporary folder. Nothing touches the
 * machine's own ssh configuration. .ci/run installs openssh-server when sshd
 * is missing.
 */

export interface Sshd {
  port: number;
  /** `user@127.0.0.1:port`, an sshlogin for it. */
  login: string;
  /** The ssh command that reaches it (the client key, no known_hosts). */
  ssh: string[];
  stop(): Promise<void>;
  /**
   * The host dies: sshd and every connection it serves are killed at once
   * (SIGKILL), as when a machine goes down.
   */
  crash(): Promise<void>;
  /** Starts it again on the same port, after stop(). */
  restart(): Promise<void>;
}

/** Every process as `ps` shows it: pid, parent pid, command name and command line. */
export async function processTable(): Promise<
  { pid: number; ppid: number; comm: string; args: string }[]
> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-A", "-o", "pid=,ppid=,comm=,args="],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(stdout).trim().split("\n").map((line) => {
    const [pid, ppid, comm, ...args] = line.trim().split(/\s+/);
    return { pid: Number(pid), ppid: Number(ppid), comm: comm!, args: args.join(" ") };
  });
}

/**
 * The command lines of the processes on the "remote" side that hold
 * `marker`: those not run by ssh or deno here (the local ssh has the remote
 * command line in its own, the test its marker).
 */
export async function remoteProcesses(marker: string): Promise<string[]> {
  return (await processTable())
    .filter((p) => p.args.includes(marker) && p.comm !== "ssh" && p.comm !== "deno")
    .map((p) => `${p.pid} ${p.comm}: ${p.args}`);
}

import { exists, waitFor } from "../_helpers.ts";

const SSHD = "/usr/sbin/sshd";

async function run(command: string, args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!success) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
  }
  return new TextDecoder().decode(stdout).trim();
}

/**
 * Starts an sshd on 127.0.0.1 that accepts the client key made in `dir`, on
 * a random port (another one if that is taken). The tests run without
 * --allow-net: sshd's pid file says it listens.
 */
export async function startSshd(dir: string): Promise<Sshd> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const sshd = await tryStart(dir, 20000 + Math.floor(Math.random() * 40000));
    if (sshd) return sshd;
  }
  throw new Error("sshd did not start on any of 10 ports");
}

async function tryStart(dir: string, port: number): Promise<Sshd | undefined> {
  const here = `${dir}/sshd-${port}`;
  await Deno.mkdir(here, { recursive: true });
  // sshd needs its privilege separation directory.
  await Deno.mkdir("/run/sshd", { recursive: true }).catch(() => {});
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${here}/host_key`]);
  const client = `${dir}/client_key`;
  try {
    await Deno.stat(client);
  } catch {
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", client]);
  }
  await Deno.copyFile(`${client}.pub`, `${here}/authorized_keys`);
  await Deno.chmod(`${here}/authorized_keys`, 0o600);
  await Deno.writeTextFile(
    `${here}/sshd_config`,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${here}/host_key`,
      `AuthorizedKeysFile ${here}/authorized_keys`,
      `PidFile ${here}/sshd.pid`,
      "UsePAM no",
      "StrictModes no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin yes",
      "LogLevel ERROR",
      // bash reads ~/.bashrc when sshd starts it at the first shell level: on
      // the build machines that runs pyenv, 60 ms a command. Not for the tests.
      "SetEnv SHLVL=1",
    ].join("\n") + "\n",
  );
  const spawn = async (): Promise<Deno.ChildProcess | undefined> => {
    await Deno.remove(`${here}/sshd.pid`).catch(() => {});
    const child = new Deno.Command(SSHD, {
      args: ["-D", "-e", "-f", `${here}/sshd_config`],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const exited = child.status.then(() => true);
    for (let i = 0; i < 200 && !(await exists(`${here}/sshd.pid`)); i++) {
      if (await Promise.race([exited, new Promise((r) => setTimeout(() => r(false), 25))])) {
        return undefined; // It could not listen there.
      }
    }
    return child;
  };
  let child = await spawn();
  if (!child) return undefined;
  const user = await run("id", ["-un"]);
  return {
    port,
    login: `${user}@127.0.0.1:${port}`,
    ssh: [
      "ssh",
      "-i",
      client,
      "-o",
      "BatchMode=yes",
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "LogLevel=ERROR",
    ],
    stop: async () => {
      try {
        child!.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      await child!.status;
    },
    crash: async () => {
      const procs = await processTable();
      const doomed = [child!.pid];
      for (let i = 0; i < doomed.length; i++) {
        for (const p of procs) if (p.ppid === doomed[i] && p.comm === "sshd") doomed.push(p.pid);
      }
      for (const pid of doomed) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      await child!.status;
    },
    restart: async () => {
      const again = await spawn();
      if (!again) throw new Error(`sshd could not listen on ${port} again`);
      child = again;
    },
  };
}

/** Runs `fn` with `count` sshd servers of its own, in a temporary folder removed after. */
export async function withSshd(count: number, fn: (servers: Sshd[], dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const servers: Sshd[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await startSshd(dir));
    await fn(servers, dir);
  } finally {
    for (const server of servers) await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** The ssh masters (ControlMaster) running with a socket under `dir`. */
export async function masters(dir: string): Promise<number> {
  return (await processTable())
    .filter((p) =>
      p.comm === "ssh" && p.args.includes(`ControlPath=${dir}/`) && / -N /.test(p.args)
    )
    .length;
}

/** Waits until no process with `marker` is left on the "remote" side. */
export async function noneLeft(marker: string): Promise<void> {
  await waitFor(
    async () => (await remoteProcesses(marker)).length === 0,
    5000,
    `the remote processes with ${marker} to die`,
  );
}
