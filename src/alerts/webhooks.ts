/**
 * Webhooks: alerts POSTed as JSON to the URLs in LEDGER_BRIDGE_WEBHOOK_URL, each signed with
 * HMAC-SHA256 over `<timestamp>.<body>` with LEDGER_BRIDGE_WEBHOOK_SECRET (docs/deployment.md#alerts
 * shows how a receiver checks it). A receiver that fails (a network error, 408, 429, a 5xx) gets the
 * alert again with growing waits; any other answer ends it. Alerts wait in memory: one that is still
 * being retried when the process stops is lost, the journal's state in the store is not.
 *
 * The body carries only what the dashboard shows (keys, companies, states, error codes and
 * messages), never a secret, a token or an amount.
 */
import { createHmac, randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { type Clock, realSleepFn, type Sleep, systemClock } from "../common/time.js";

export type AlertType = "journal.dead" | "journal.in_doubt" | "delivery.paused" | "delivery.resumed";

export interface Alert {
  readonly type: AlertType;
  readonly data: Record<string, string | number | boolean | null>;
}

export interface WebhookOptions {
  readonly urls: readonly string[];
  readonly secret: string;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  /** Waits before each retry (default 1 s, 5 s, 30 s, 2 min, 10 min, 30 min); then it gives up. */
  readonly retryDelaysMs?: readonly number[];
  /** How long one attempt may take (default 10 s). */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
}

export const RETRY_DELAYS_MS: readonly number[] = [1_000, 5_000, 30_000, 120_000, 600_000, 1_800_000];

/** Headers of every alert: the signature is `sha256=` and the hex HMAC of `<timestamp>.<body>`. */
export const SIGNATURE_HEADER = "x-ledger-bridge-signature";
export const TIMESTAMP_HEADER = "x-ledger-bridge-timestamp";
export const EVENT_HEADER = "x-ledger-bridge-event";
export const DELIVERY_HEADER = "x-ledger-bridge-delivery";

export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** Whether an answer (or its absence: status 0) is worth another attempt. */
function retryable(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

export class Webhooks {
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly delays: readonly number[];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly options: WebhookOptions) {
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? realSleepFn;
    this.delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  }

  /** Sends the alert to every URL in the background; never throws. */
  send(alert: Alert): void {
    const id = randomUUID();
    const body = JSON.stringify({
      id,
      type: alert.type,
      at: new Date(this.clock.now()).toISOString(),
      data: alert.data,
    });
    for (const url of this.options.urls) {
      const delivery = this.deliver(url, id, alert.type, body).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  /** Waits for alerts in flight (up to `waitMs`), then gives up their retries. */
  async close(waitMs = 5_000): Promise<void> {
    const settled = Promise.allSettled([...this.inFlight]);
    const timer = this.sleep(waitMs, this.stopping.signal).catch(() => undefined);
    await Promise.race([settled, timer]);
    this.stopping.abort();
    await settled;
  }

  private async deliver(url: string, id: string, type: AlertType, body: string): Promise<void> {
    const { logger } = this.options;
    // Only the receiver's origin is logged: a URL may carry a token in its path or query.
    const where = new URL(url).origin;
    for (let attempt = 0; ; attempt++) {
      const timestamp = String(Math.floor(this.clock.now() / 1000));
      let status = 0;
      try {
        const answer = await fetch(url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            [EVENT_HEADER]: type,
            [DELIVERY_HEADER]: id,
            [TIMESTAMP_HEADER]: timestamp,
            [SIGNATURE_HEADER]: signature(this.options.secret, timestamp, body),
          },
          body,
          signal: AbortSignal.any([
            AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
            this.stopping.signal,
          ]),
        });
        status = answer.status;
        await answer.body?.cancel();
      } catch {
        status = 0;
      }
      if (status >= 200 && status < 300) return;
      const wait = this.delays[attempt];
      if (!retryable(status) || wait === undefined || this.stopping.signal.aborted) {
        logger?.error(
          { receiver: where, type, status, attempts: attempt + 1 },
          "webhook alert not delivered",
        );
        return;
      }
      logger?.warn({ receiver: where, type, status, retryInMs: wait }, "webhook alert failed; retrying");
      try {
        await this.sleep(wait, this.stopping.signal);
      } catch {
        logger?.error({ receiver: where, type, attempts: attempt + 1 }, "webhook alert dropped at shutdown");
        return;
      }
    }
  }
}
