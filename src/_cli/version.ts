/**
 * What `procrun --version` prints: the version in deno.json, and how
 * commands are started here (PROCRUN_SPAWN chooses it).
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };
import { spawnPath } from "../_process/spawn.ts";
import { errorText } from "../_util.ts";

/** The lines of `procrun --version`. */
export function versionText(): string {
  let spawning: string;
  try {
    const { path, why } = spawnPath();
    spawning = `commands start by: ${path} (${why})`;
  } catch (error) {
    spawning = `commands cannot start: ${errorText(error)}`;
  }
  return `procrun ${denoJson.version}\n${spawning}`;
}
