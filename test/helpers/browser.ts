/**
 * Debian's chromium for browser tests, driven by playwright-core. On a machine without it the tests
 * skip with a message; under CI=true a missing browser is a failure (.ci/run installs it).
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export function chromiumPath(): string | undefined {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  return candidates.find((path): path is string => path !== undefined && path !== "" && existsSync(path));
}

/** Why browser tests cannot run here, or undefined when they can; throws under CI. */
export function browserSkip(): string | undefined {
  if (chromiumPath() !== undefined) return undefined;
  const reason =
    "no chromium (install Debian's chromium package, or set CHROMIUM_PATH): browser tests skipped";
  if (process.env.CI === "true") throw new Error(`CI=true: ${reason}`);
  return reason;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath() as string,
    headless: true,
    // As root in a container chromium needs --no-sandbox; the others keep it off the (closed) network.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
