import { Writable } from "node:stream";
import pino from "pino";
import { tokenProviderFor } from "../../src/auth/credentials.js";
import type { TokenProvider } from "../../src/auth/token-provider.js";
import { type ClientEvent, D365Client, type D365ClientOptions } from "../../src/d365/client.js";
import type { RunningEmulator } from "../../src/emulator/index.js";

/** A fake clock and sleep: time moves only when the client sleeps, and every wait is recorded. */
export function fakeTime(start = Date.parse("2026-11-30T12:00:00Z")) {
  let now = start;
  const waits: number[] = [];
  return {
    clock: { now: () => now },
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
    waits,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/** Captures every log line as text, for the redaction canaries. */
export function memoryLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

export interface TestClient {
  client: D365Client;
  tokens: TokenProvider;
  events: ClientEvent[];
}

/** The real client with the real ClientSecretCredential, trusting the emulator's CA. */
export function clientFor(
  emulator: RunningEmulator,
  options: Partial<D365ClientOptions> & { clientId?: string; clientSecret?: string; url?: string } = {},
): TestClient {
  const { clientId, clientSecret, url, ...rest } = options;
  const base = url ?? emulator.d365Url;
  // Tokens are always for the emulator's environment; `url` may point the client elsewhere.
  const tokens = tokenProviderFor(
    {
      kind: "secret",
      tenantId: emulator.tenantId,
      clientId: clientId ?? emulator.clientId,
      clientSecret: clientSecret ?? emulator.clientSecret,
      authorityHost: emulator.authorityHost,
      caCertPem: emulator.caCertPem,
    },
    `${emulator.d365Url}/.default`,
  );
  const events: ClientEvent[] = [];
  const client = new D365Client({
    url: base,
    tokens,
    caCertPem: emulator.caCertPem,
    onEvent: (event) => events.push(event),
    random: () => 0.5,
    ...rest,
  });
  return { client, tokens, events };
}
