/**
 * What `serve` alerts on, from what it already sees: a journal settled dead (the engine's events), a
 * journal in doubt longer than the threshold (the store, looked at every `checkEveryMs`), delivery
 * paused and resumed (the worker's health reports). Each journal is alerted once per state it enters.
 */
import type { Clock } from "../common/time.js";
import type { EngineEvent, WorkerHealth } from "../delivery/engine.js";
import type { PauseReport } from "../delivery/pause.js";
import type { OutboxStore } from "../outbox/store.js";
import type { Alert } from "./webhooks.js";

export interface DeliveryAlertOptions {
  readonly store: OutboxStore;
  readonly send: (alert: Alert) => void;
  readonly clock: Clock;
  /** In doubt this long (as seen by this process) is alerted. */
  readonly inDoubtAfterMs: number;
}

/** In-doubt journals looked at per check; more than that are alerted over the following checks. */
const IN_DOUBT_PAGE = 1000;

export class DeliveryAlerts {
  private paused: PauseReport | undefined;
  /** In-doubt journals seen, with when first seen and whether alerted. */
  private readonly inDoubt = new Map<string, { since: number; alerted: boolean }>();

  constructor(private readonly options: DeliveryAlertOptions) {}

  /** An engine event: a journal settled dead is alerted with its error. */
  async onEvent(event: EngineEvent): Promise<void> {
    if (event.type !== "settled" || event.state !== "dead") return;
    const journal = await this.options.store.get(event.key);
    this.options.send({
      type: "journal.dead",
      data: {
        key: event.key,
        company: journal?.company ?? null,
        journalName: journal?.journalName ?? null,
        lines: event.lines,
        attempt: journal?.attempt ?? null,
        errorCode: journal?.lastErrorCode ?? null,
        error: journal?.lastError ?? null,
      },
    });
  }

  /** The worker's latest health report: a pause that began or ended is alerted. */
  onHealth(health: WorkerHealth | undefined): void {
    const now = health?.paused;
    if (now !== undefined && this.paused === undefined)
      this.options.send({ type: "delivery.paused", data: pauseData(now) });
    else if (now === undefined && this.paused !== undefined && health !== undefined)
      this.options.send({
        type: "delivery.resumed",
        data: { ...pauseData(this.paused), pausedForMs: this.options.clock.now() - this.paused.since },
      });
    if (health !== undefined) this.paused = now;
  }

  /** Looks at the journals in doubt: those in doubt longer than the threshold are alerted once. */
  async checkInDoubt(): Promise<void> {
    const now = this.options.clock.now();
    const current = await this.options.store.list({ state: "in_doubt", limit: IN_DOUBT_PAGE });
    const keys = new Set(current.map((journal) => journal.key));
    for (const key of this.inDoubt.keys()) if (!keys.has(key)) this.inDoubt.delete(key);
    for (const journal of current) {
      // First seen: since its last change (when it went in doubt, unless an attempt touched it since).
      const seen = this.inDoubt.get(journal.key) ?? {
        since: Math.min(now, journal.updatedAt),
        alerted: false,
      };
      this.inDoubt.set(journal.key, seen);
      if (seen.alerted || now - seen.since < this.options.inDoubtAfterMs) continue;
      seen.alerted = true;
      this.options.send({
        type: "journal.in_doubt",
        data: {
          key: journal.key,
          company: journal.company,
          journalName: journal.journalName,
          attempt: journal.attempt,
          inDoubtForMs: now - seen.since,
          errorCode: journal.lastErrorCode,
          error: journal.lastError,
        },
      });
    }
  }
}

function pauseData(pause: PauseReport): Alert["data"] {
  return {
    code: pause.code,
    message: pause.message,
    since: new Date(pause.since).toISOString(),
    nextProbeAt: new Date(pause.nextProbeAt).toISOString(),
  };
}
