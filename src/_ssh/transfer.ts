/**
 * Files sent to a host before a task's command runs there and brought back
 * after it (GNU parallel's `--transferfile`, `--return`, `--cleanup`), over
 * the task's own ssh connection: `cat` at the other end, the bytes streamed
 * through ssh unchanged, nothing needed there but a POSIX sh.
 *
 * Names follow GNU parallel: a relative name is relative to the local
 * working directory here and to the remote working directory (`--workdir`,
 * else the login's home) there; an absolute name is the same path on both
 * sides; in a name with `/./` in it, what follows `/./` is the name there,
 * relative to the remote working directory (`/tmp/./a/b` is `/tmp/a/b` here
 * and `a/b` there).
 *
 * @module
 */
import { stopGroup, trackGroup, untrackGroup } from "../_process/groups.ts";
import { type CommandSpec, runCommand } from "../_process/run_command.ts";
import { type SpawnedChild, spawnGrouped } from "../_process/spawn.ts";
import { shellQuote } from "../_quote.ts";
import { errorText } from "../_util.ts";
import { enterDir } from "./wrapper.ts";

/** How one step went: done, ssh itself failed (the host's fault), or the step failed. */
export type StepResult =
  | { ok: true }
  | { ok: false; transport: boolean; message: string };

/** The spec of ssh running a remote shell line on the task's host. */
export type SshRunner = (line: string) => CommandSpec;

/** The name of `name` here: without its `/./` mark. */
export function localName(name: string): string {
  return name.replace("/./", "/");
}

/** The name of `name` on the host: what follows `/./`, or all of it. */
export function remoteName(name: string): string {
  const at = name.indexOf("/./");
  return at === -1 ? name : name.slice(at + 3);
}

/** What a remote shell line starts with: going to the working directory, if there is one. */
function enter(workdir: string | undefined): string {
  return workdir === undefined ? "" : `${enterDir(workdir)} && `;
}

/** The folder part of a relative or absolute name, or "" for none. */
function folderOf(name: string): string {
  const slash = name.lastIndexOf("/");
  return slash <= 0 ? (slash === 0 ? "/" : "") : name.slice(0, slash);
}

/**
 * Runs ssh with standard input from `input` or standard output to
 * `output`; a cancellation stops it as a command's timeout does.
 */
async function stream(
  spec: CommandSpec,
  signal: AbortSignal,
  input?: Deno.FsFile,
  output?: Deno.FsFile,
): Promise<StepResult> {
  let child: SpawnedChild;
  try {
    child = await spawnGrouped(spec.command, { args: spec.args, stdin: input ? "piped" : "null" });
  } catch (error) {
    input?.close();
    output?.close();
    return { ok: false, transport: true, message: errorText(error) };
  }
  trackGroup(child.pid);
  // Once stopped, the group is forgotten after the grace (see stopGroup).
  const stop = () => stopGroup(child.pid, spec.killGraceMs, child);
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
  try {
    const [status, , message] = await Promise.all([
      child.status,
      output ? child.stdout.pipeTo(output.writable) : child.stdout.cancel(),
      new Response(child.stderr).text(),
      input?.readable.pipeTo(child.stdin).catch(() => {}),
    ]);
    if (status.success) return { ok: true };
    const text = message.trim().split("\n").at(-1) ?? "";
    return {
      ok: false,
      transport: status.code === 255,
      message: signal.aborted ? "cancelled" : text || `exit ${status.code}`,
    };
  } catch (error) {
    return { ok: false, transport: false, message: errorText(error) };
  } finally {
    signal.removeEventListener("abort", stop);
    if (!signal.aborted) untrackGroup(child.pid);
  }
}

/** The path here of a name relative to `cwd` (or the process's). */
function here(name: string, cwd: string | undefined): string {
  const local = localName(name);
  return local.startsWith("/") || cwd === undefined ? local : `${cwd}/${local}`;
}

/** Sends the file `name` to the host, making its folder there. */
export async function sendFile(
  runner: SshRunner,
  name: string,
  workdir: string | undefined,
  cwd: string | undefined,
  signal: AbortSignal,
): Promise<StepResult> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(here(name, cwd));
  } catch (error) {
    return { ok: false, transport: false, message: `cannot read ${name}: ${errorText(error)}` };
  }
  const target = remoteName(name);
  const folder = folderOf(target);
  const make = folder === "" ? "" : `mkdir -p -- ${shellQuote(folder)} && `;
  const result = await stream(
    runner(`${enter(workdir)}${make}cat > ${shellQuote(target)}`),
    signal,
    file,
  );
  return result.ok ? result : { ...result, message: `cannot send ${name}: ${result.message}` };
}

/** Brings the file `name` back from the host, replacing the one here whole or not at all. */
export async function receiveFile(
  runner: SshRunner,
  name: string,
  workdir: string | undefined,
  cwd: string | undefined,
  signal: AbortSignal,
): Promise<StepResult> {
  const target = here(name, cwd);
  const folder = folderOf(target);
  let temp: string;
  let file: Deno.FsFile;
  try {
    if (folder !== "") await Deno.mkdir(folder, { recursive: true });
    // As a new file gets its mode here (the umask's), not makeTempFile's 0600.
    temp = `${folder || "."}/.procrun_return_${crypto.randomUUID()}`;
    file = await Deno.open(temp, { write: true, createNew: true, mode: 0o666 });
  } catch (error) {
    return { ok: false, transport: false, message: `cannot write ${name}: ${errorText(error)}` };
  }
  const result = await stream(
    runner(`${enter(workdir)}cat -- ${shellQuote(remoteName(name))}`),
    signal,
    undefined,
    file,
  );
  try {
    if (result.ok) await Deno.rename(temp, target);
  } catch (error) {
    return { ok: false, transport: false, message: `cannot write ${name}: ${errorText(error)}` };
  } finally {
    await Deno.remove(temp).catch(() => {});
  }
  return result.ok ? result : { ...result, message: `cannot return ${name}: ${result.message}` };
}

/**
 * Removes the files of `names` from the host, and the folders of relative
 * names that are left empty, deepest first (GNU parallel's `--cleanup`).
 */
export async function removeFiles(
  runner: SshRunner,
  names: readonly string[],
  workdir: string | undefined,
): Promise<StepResult> {
  const targets = [...new Set(names.map(remoteName))];
  const folders = new Set<string>();
  for (const target of targets) {
    if (target.startsWith("/")) continue;
    for (let folder = folderOf(target); folder !== ""; folder = folderOf(folder)) {
      folders.add(folder);
    }
  }
  const deepest = [...folders].sort((a, b) => b.split("/").length - a.split("/").length);
  const rmdir = deepest.length ? `; rmdir -- ${deepest.map(shellQuote).join(" ")} 2>/dev/null` : "";
  const line = `${enter(workdir)}rm -f -- ${targets.map(shellQuote).join(" ")}${rmdir}; exit 0`;
  const outcome = await runCommand(runner(line));
  if (outcome.code === 0) return { ok: true };
  return {
    ok: false,
    transport: true,
    message: `cannot clean up: ssh exited with ${outcome.code}`,
  };
}
