/**
 * Makes docs/report.png, the README's picture of `procrun report`: a real
 * run of the CLI (48 shell tasks, 4 at a time, with failures, a timeout and
 * retries) recorded with --trace, its report built, and a screenshot of the
 * page in headless Chromium.
 *
 * usage: deno run -A docs/report_png.ts
 *
 * @module
 */
import { headless } from "../tests/_report/chromium.ts";

const root = new URL("../", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "procrun_picture_" });
const cli = (args: string[]) =>
  new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", `${root}deno.json`, `${root}src/cli.ts`, ...args],
    cwd: dir,
    stdout: "null",
    stderr: "inherit",
  }).output();
try {
  // Sleeps of 0 to 0.9 s; those of 3 fail after 0.4 s (and again), "stuck" outlives its timeout.
  const values = Array.from({ length: 48 }, (_, i) => i === 21 ? "stuck" : String((i * 7) % 10));
  await cli([
    "--quiet",
    "--trace",
    "build.json",
    "-j",
    "4",
    "--timeout",
    "2",
    "--retries",
    "2",
    "--shell",
    "--",
    'case "$1" in stuck) sleep 9;; 3) sleep 0.4; exit 1;; *) sleep "0.$1";; esac',
    ":::",
    ...values,
  ]);
  const made = await cli([
    "report",
    "--title",
    "48 tasks, 4 at a time",
    "--out",
    "build.html",
    "build.json",
  ]);
  if (!made.success) throw new Error("procrun report failed");
  await headless(`file://${dir}/build.html`, {
    screenshot: `${root}docs/report.png`,
    size: [1100, 860],
  });
  console.log(`${root}docs/report.png written`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
