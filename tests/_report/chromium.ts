/**
 * Real headless Chromium (Debian's `chromium`, installed by .ci/run): loads
 * a file:// page, returns the DOM its scripts built and, if asked, a
 * screenshot. No network: background networking, updates and sync are off,
 * and each launch gets a fresh profile.
 *
 * @module
 */

/** The browser, or undefined if it is not installed. */
export const CHROMIUM: string | undefined = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
  .find((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });

/**
 * Whether the browser tests are ignored: only when Chromium is missing and
 * CI (PROCRUN_WITH_CHROMIUM, set by .ci/run) does not require it.
 */
export const NO_CHROMIUM = CHROMIUM === undefined && !Deno.env.get("PROCRUN_WITH_CHROMIUM");

/** Options of {@linkcode headless}. */
export interface HeadlessOptions {
  /** Where to write a PNG screenshot of the window, if anywhere. */
  screenshot?: string;
  /** The window's size. */
  size?: [number, number];
  /** Killed after this long. */
  timeoutMs?: number;
}

/** Opens `url` in headless Chromium; returns the DOM after its scripts ran. */
export async function headless(url: string, options: HeadlessOptions = {}): Promise<string> {
  if (!CHROMIUM) throw new Error("Chromium is not installed (apt-get install chromium)");
  const profile = await Deno.makeTempDir({ prefix: "procrun_chromium_" });
  const [width, height] = options.size ?? [1280, 1000];
  try {
    const child = new Deno.Command(CHROMIUM, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        `--user-data-dir=${profile}`,
        `--window-size=${width},${height}`,
        ...(options.screenshot ? [`--screenshot=${options.screenshot}`] : []),
        "--dump-dom",
        url,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
    const { code, stdout, stderr } = await child.output();
    clearTimeout(timer);
    const dom = new TextDecoder().decode(stdout);
    if (code !== 0 || !dom.includes("</html>")) {
      throw new Error(`chromium exited ${code}: ${new TextDecoder().decode(stderr).slice(-2000)}`);
    }
    return dom;
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** The `data-` attributes of the first element whose tag opening matches `opening` in `dom`. */
export function dataOf(dom: string, opening: RegExp): Record<string, string> {
  const tag = opening.exec(dom)?.[0];
  if (!tag) throw new Error(`no ${opening} in the DOM`);
  return Object.fromEntries(
    [...tag.matchAll(/data-([\w-]+)="([^"]*)"/g)].map(([, name, value]) => [name!, value!]),
  );
}
