/**
 * Journal counts by state for the routes that poll them (/v1/overview, /metrics): a store of a
 * million journals takes 60-170 ms to count them, and the dashboard asks every 2 s. Counts are served
 * from a cache at most `maxAgeMs` old; an older entry is still served while one refresh runs in the
 * background, so a poll never waits on a count once the first has been made. The bound: counts are
 * never older than `maxAgeMs` plus one count's duration.
 */
import type { OutboxStore } from "../outbox/store.js";

interface Entry {
  value: Record<string, number>;
  at: number;
  refreshing?: Promise<void> | undefined;
}

export class StateCounts {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: Pick<OutboxStore, "countByState">,
    private readonly now: () => number,
    readonly maxAgeMs = 2000,
  ) {}

  async get(companies?: readonly string[] | null): Promise<Record<string, number>> {
    const id = companies === undefined || companies === null ? "*" : [...companies].sort().join(",");
    const entry = this.entries.get(id);
    if (entry === undefined) {
      const value = await this.store.countByState(companies);
      this.entries.set(id, { value, at: this.now() });
      return value;
    }
    if (this.now() - entry.at >= this.maxAgeMs && entry.refreshing === undefined) {
      const started = this.now();
      entry.refreshing = this.store
        .countByState(companies)
        .then(
          (value) => {
            entry.value = value;
            entry.at = started;
          },
          // A failed refresh keeps the last counts; the next poll tries again.
          () => undefined,
        )
        .finally(() => {
          entry.refreshing = undefined;
        });
    }
    return entry.value;
  }
}
