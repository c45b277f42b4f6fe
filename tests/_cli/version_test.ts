import { assertMatch } from "@std/assert";
import denoJson from "../../deno.json" with { type: "json" };
import { versionText } from "../../src/_cli/version.ts";
import { spawnPath } from "../../src/_process/spawn.ts";

Deno.test("versionText() gives deno.json's version and the spawn path in use", () => {
  const { path } = spawnPath();
  assertMatch(
    versionText(),
    new RegExp(
      `^procrun ${denoJson.version.replaceAll(".", "\\.")}\ncommands start by: ${path} \\(.+\\)$`,
    ),
  );
});
