/**
 * The one place that reads how long a server wants us to wait. F&O sends `Retry-After` in seconds on
 * 429 (Microsoft's service-protection docs); the HTTP spec also allows an HTTP date, and Azure services
 * send `retry-after-ms` / `x-ms-retry-after-ms`. A date in the past means "now". Anything unreadable is
 * treated as absent, so the caller's default applies.
 */
export function retryAfterMs(
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): number | undefined {
  const first = (name: string) => {
    const value = headers[name];
    return (Array.isArray(value) ? value[0] : value)?.trim();
  };
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const value = first(name);
    if (value !== undefined && /^\d+$/.test(value)) return Number(value);
  }
  const value = first("retry-after");
  if (value === undefined || value === "") return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP date has letters and a comma or a GMT; a bare number with a sign or a dot is garbage.
  if (!/[A-Za-z]/.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
