/** Looks at an inbox every interval until stopped, taking what waits; a failing look backs off. */
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { Inbox, PickupReport } from "./inbox.js";
import { type PickupOptions, takeWaiting } from "./pickup.js";

export interface PickupLoopOptions extends PickupOptions {
  readonly intervalMs: number;
  readonly onReport?: (report: PickupReport) => void;
  readonly logger?: Logger;
}

/** Resolves once `stop` has resolved and the file being taken (if any) is finished. */
export async function runPickup(
  inbox: Inbox,
  options: PickupLoopOptions,
  stop: Promise<unknown>,
): Promise<void> {
  let stopping = false;
  const stopped = stop.then(() => {
    stopping = true;
  });
  let failures = 0;
  while (!stopping) {
    try {
      for (const report of await takeWaiting(inbox, options)) options.onReport?.(report);
      if (failures > 0) options.logger?.warn({ inbox: inbox.description }, "pickup works again");
      failures = 0;
    } catch (error) {
      // The outbox or the inbox away: the file stays claimed and is taken again once it is back.
      failures++;
      options.logger?.error(
        {
          inbox: inbox.description,
          err: error instanceof Error ? error.message : String(error),
          failingLooks: failures,
        },
        "pickup failed; trying again",
      );
    }
    await Promise.race([sleep(Math.min(options.intervalMs * 2 ** Math.min(failures, 5), 300_000)), stopped]);
  }
}
