/**
 * What of a request's URL may appear in logs and error messages, by allow-list: a query parameter not
 * named here is replaced, so a new one can never leak a secret by default. (Headers are never logged.)
 */
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
