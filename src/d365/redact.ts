/**
 * What may appear in logs and error messages about a request, by allow-list: anything not named here
 * is replaced, so a new header or parameter can never leak a secret by default.
 */
const LOGGED_HEADERS = new Set([
  "accept",
  "content-type",
  "content-length",
  "odata-version",
  "odata-maxversion",
  "prefer",
  "x-ms-client-request-id",
  "retry-after",
  "x-ms-request-id",
  "ms-dyn-aid",
  "location",
]);
const LOGGED_QUERY = new Set([
  "$filter",
  "$select",
  "$top",
  "$skip",
  "$orderby",
  "$count",
  "$format",
  "cross-company",
]);

export const REDACTED = "REDACTED";

export function redactUrl(url: URL): string {
  const copy = new URL(url.toString());
  copy.username = "";
  copy.password = "";
  for (const name of [...copy.searchParams.keys()]) {
    if (!LOGGED_QUERY.has(name)) copy.searchParams.set(name, REDACTED);
  }
  return copy.toString();
}

export function redactHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = LOGGED_HEADERS.has(name.toLowerCase())
      ? Array.isArray(value)
        ? value.join(", ")
        : value
      : REDACTED;
  }
  return out;
}
