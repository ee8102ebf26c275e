/**
 * The environment URL is both where F&O lives and the audience its tokens must carry, exactly: no
 * trailing slash, no path, lower-case host (F&O 10.0.39 refuses anything else with 401). A configured
 * URL with a path or a slash is accepted and normalised, with a warning naming what was dropped.
 */
import { BridgeError } from "../core/errors/bridge-error.js";

export interface EnvironmentUrl {
  /** e.g. https://contoso.operations.dynamics.com */
  readonly url: string;
  /** e.g. https://contoso.operations.dynamics.com/.default */
  readonly scope: string;
  readonly warnings: readonly string[];
}

export function normalizeEnvironmentUrl(raw: string, setting = "D365_URL"): EnvironmentUrl {
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    throw new BridgeError("CONFIG_INVALID", `${setting} '${raw}' is not a URL.`);
  }
  if (parsed.protocol !== "https:") {
    throw new BridgeError("CONFIG_INVALID", `${setting} must use https://; '${raw}' does not.`);
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw new BridgeError("CONFIG_INVALID", `${setting} must not carry a user name or password.`);
  }
  const url = `https://${parsed.host.toLowerCase()}`;
  const warnings: string[] = [];
  const path = parsed.pathname.replace(/\/+$/, "");
  if (path !== "")
    warnings.push(
      `${setting} had the path '${parsed.pathname}'; it was dropped: the environment URL is ${url}.`,
    );
  else if (parsed.pathname !== "/" || raw.trim().endsWith("/"))
    warnings.push(`${setting} ended with '/'; it was dropped: tokens must name ${url} exactly.`);
  if (parsed.search !== "" || parsed.hash !== "")
    warnings.push(`${setting} had a query or fragment; it was dropped.`);
  if (parsed.host !== parsed.host.toLowerCase() || /[A-Z]/.test(raw.split("/")[2] ?? "")) {
    warnings.push(
      `${setting} had capitals in its host; it was lower-cased: tokens must name ${url} exactly.`,
    );
  }
  return { url, scope: `${url}/.default`, warnings };
}
