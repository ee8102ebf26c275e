/**
 * What `post` shows while it runs: journals stored, delivered (lines created) and posted, the rate,
 * the time left once the files are read, and F&O's throttling. On a terminal one line redrawn (at
 * most ten times a second); otherwise a plain line every PLAIN_EVERY_MS, so a log shows a long run
 * moving without a line per journal.
 */
import type { ClientEvent } from "../d365/client.js";
import type { EngineEvent } from "../delivery/engine.js";

const REDRAW_EVERY_MS = 100;
export const PLAIN_EVERY_MS = 10_000;

export interface ProgressOutput {
  write(text: string): unknown;
}

export class PostProgress {
  private stored = 0;
  private delivered = 0;
  private posted = 0;
  private lines = 0;
  private throttled = 0;
  private throttledMs = 0;
  private readingDone = false;
  private readonly started: number;
  private lastDrawn: number;

  constructor(
    private readonly out: ProgressOutput,
    private readonly mode: "terminal" | "plain" | "off",
    private readonly post: boolean,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.lastDrawn = this.started;
  }

  storedMore(count: number): void {
    this.stored += count;
    this.draw();
  }

  /** Every file is read: the total is known and the time left can be told. */
  allStored(): void {
    this.readingDone = true;
    this.draw(true);
  }

  engine(event: EngineEvent): void {
    if (event.type !== "settled") return;
    if (event.state === "lines_created") {
      this.delivered++;
      this.lines += event.lines;
    } else if (event.state === "posted") {
      // A journal whose lines went in an earlier attempt is posted without a lines_created event now.
      this.posted++;
    } else return;
    this.draw();
  }

  client(event: ClientEvent): void {
    if (event.type !== "throttled") return;
    this.throttled++;
    this.throttledMs += event.waitMs;
    this.draw(true);
  }

  /** The line as it stands (what the terminal shows; tests read it). */
  line(): string {
    const seconds = Math.max(0.001, (this.now() - this.started) / 1000);
    const done = this.post ? this.posted : this.delivered;
    const rate = done / seconds;
    const parts = [
      `${this.stored} stored${this.readingDone ? "" : " (reading)"}`,
      `${this.delivered} delivered (${this.lines} lines)`,
      ...(this.post ? [`${this.posted} posted`] : []),
      `${rate.toFixed(1)} journals/s`,
    ];
    if (this.readingDone && rate > 0 && done < this.stored)
      parts.push(`ETA ${formatSeconds((this.stored - done) / rate)}`);
    if (this.throttled > 0)
      parts.push(`throttled ${this.throttled}× (waited ${formatSeconds(this.throttledMs / 1000)})`);
    return parts.join(" · ");
  }

  private draw(force = false): void {
    if (this.mode === "off") return;
    const now = this.now();
    const every = this.mode === "terminal" ? REDRAW_EVERY_MS : PLAIN_EVERY_MS;
    if (now - this.lastDrawn < every && !(force && this.mode === "terminal")) return;
    this.lastDrawn = now;
    this.out.write(this.mode === "terminal" ? `\r\u001b[K  ${this.line()}` : `progress: ${this.line()}\n`);
  }

  /** Clears the terminal line before the summary is printed. */
  end(): void {
    if (this.mode === "terminal") this.out.write("\r\u001b[K");
  }
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.ceil(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
