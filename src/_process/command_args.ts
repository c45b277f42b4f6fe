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
 *
 * An array argument is several words: appended one after the other, or put
 * in the place of a word that is the placeholder alone; inside a longer word
 * the placeholder becomes them joined by spaces (as `xargs -I` joins).
 */
export function commandArgs(
  args: readonly string[],
  arg: unknown,
  placeholder: string | undefined,
): string[] {
  const words = Array.isArray(arg) ? arg.map(String) : [String(arg)];
  if (placeholder !== undefined && args.some((a) => a.includes(placeholder))) {
    const text = words.join(" ");
    return args.flatMap((a) => a === placeholder ? words : [a.replaceAll(placeholder, () => text)]);
  }
  return [...args, ...words];
}
