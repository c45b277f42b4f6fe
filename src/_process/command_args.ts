/**
 * The arguments of one task's command, with the `placeholder` option applied.
 * Shared by the engines (and the worker side of ProcRunWorkers).
 *
 * @module
 */

/**
 * A command's arguments for one task: `args` with every `placeholder` replaced
 * by the task's argument, or, when none holds it (or there is no placeholder),
 * `args` followed by the argument.
 */
export function commandArgs(
  args: readonly string[],
  arg: unknown,
  placeholder: string | undefined,
): string[] {
  const text = String(arg);
  if (placeholder !== undefined && args.some((a) => a.includes(placeholder))) {
    return args.map((a) => a.replaceAll(placeholder, () => text));
  }
  return [...args, text];
}
