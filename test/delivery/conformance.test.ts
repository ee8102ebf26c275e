/**
 * The engine's conformance matrix: every delivery target × every store engine × every fault, at each
 * step of the protocol (the write that opens a journal, its remaining lines, the posting). Each cell
 * delivers and posts journals through the real client into the emulator while the fault strikes, and
 * counts the result in the emulator by marker and by line: 0 lost, 0 duplicated, each posted once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Journal } from "../../src/core/journal.js";
import {
  createTarget,
  markerFor,
  REPORT_FLAT_ENTITY,
  type TargetSettings,
  targetSettings,
} from "../../src/d365/targets/index.js";
import { DeliveryEngine } from "../../src/delivery/engine.js";
import { enqueueJournals } from "../../src/delivery/enqueue.js";
import type { RunningEmulator } from "../../src/emulator/index.js";
import type { ScenarioName } from "../../src/emulator/scenarios/index.js";
import type { FaultRule } from "../../src/emulator/state/model.js";
import { readJournalText } from "../../src/ingest/source.js";
import { clientFor, fakeTime } from "../helpers/client.js";
import { startTestEmulator } from "../helpers/emulator.js";
import { ENGINES } from "../helpers/stores.js";

type Step = "opening" | "lines" | "posting";
const ACTIONS = "/data/DataManagementDefinitionGroups/Microsoft.Dynamics.DataEntities.";
type Where = Pick<FaultRule, "entitySet" | "method" | "path" | "skip">;

interface TargetCase {
  readonly name: string;
  readonly scenario: ScenarioName;
  readonly settings: TargetSettings;
  /** Which requests carry each step (the emulator's fault rules match them). */
  readonly steps: Record<Step, Where>;
}

const TARGETS: readonly TargetCase[] = [
  {
    name: "ledger-journal",
    scenario: "default",
    settings: { kind: "ledger-journal" },
    steps: {
      opening: { entitySet: "LedgerJournalHeaders", method: "POST" },
      lines: { entitySet: "LedgerJournalLines", method: "POST" },
      posting: { path: "/api/services/", method: "POST" },
    },
  },
  {
    name: "flat-entity",
    scenario: "csrf-gateway",
    settings: REPORT_FLAT_ENTITY,
    steps: {
      // The first POST to the entity opens the journals (first lines); the second sends the rest.
      opening: { entitySet: "GeneralJournalAccountEntry", method: "POST" },
      lines: { entitySet: "GeneralJournalAccountEntry", method: "POST", skip: 1 },
      posting: { path: "/api/services/", method: "POST" },
    },
  },
  {
    // The package path: the import is the write that opens (and fills) the journals; the status
    // polls that follow it stand in for the lines step (src/delivery/package-delivery.ts).
    name: "dmf-package",
    scenario: "default",
    settings: targetSettings({ kind: "dmf-package" }),
    steps: {
      opening: { path: `${ACTIONS}ImportFromPackage`, method: "POST" },
      lines: { path: `${ACTIONS}GetExecutionSummaryStatus`, method: "POST" },
      posting: { path: "/api/services/", method: "POST" },
    },
  },
];

const FAULTS: ReadonlyArray<{ readonly name: string; readonly rule: Pick<FaultRule, "kind" | "remaining"> }> =
  [
    { name: "commit, then the answer dropped", rule: { kind: "drop-after-commit", remaining: 1 } },
    { name: "5xx after commit", rule: { kind: "5xx-after-commit", remaining: 1 } },
    { name: "hang past the client's timeout", rule: { kind: "hang", remaining: 1 } },
    { name: "reset mid-body", rule: { kind: "reset-mid-body", remaining: 1 } },
    { name: "429 storm", rule: { kind: "429", remaining: 4 } },
    // The environment refuses us for a while (the app removed from F&O's list, a privilege taken):
    // delivery pauses, nothing is blamed on the journals, and it resumes by itself.
    { name: "401 for the environment", rule: { kind: "401", remaining: 6 } },
    { name: "403 for the environment", rule: { kind: "403", remaining: 2 } },
  ];

const JOURNALS = 3;

async function journals(prefix: string): Promise<Journal[]> {
  const rows = [
    "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode",
  ];
  for (let i = 0; i < JOURNALS; i++)
    rows.push(
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,601100,100.10,,USD`,
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,601200,0.20,,USD`,
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,110110,,100.30,USD`,
    );
  const out: Journal[] = [];
  for await (const event of readJournalText(`${prefix}.csv`, `${rows.join("\n")}\n`))
    if (event.kind === "journal" && event.read.journal) out.push(event.read.journal);
  return out;
}

/** What the emulator holds for each key, found by the marker in the journal's description. */
async function countsInFno(emulator: RunningEmulator, keys: readonly string[]) {
  const headers = await emulator.admin.journals();
  const ledger = await emulator.admin.ledger();
  return keys.map((key) => {
    const mine = headers.filter((header) => header.Description === markerFor(key));
    const batches = new Set(mine.map((header) => String(header.JournalBatchNumber)));
    return {
      key,
      journals: mine.length,
      lines: mine.reduce((sum, header) => sum + header.lines.length, 0),
      posted: mine.every((header) => header.IsPosted === "Yes"),
      ledgerEntries: ledger.filter((entry) => batches.has(String(entry.JournalNumber))).length,
    };
  });
}

for (const target of TARGETS) {
  describe(`conformance: ${target.name} target`, () => {
    let emulator: RunningEmulator;
    before(async () => {
      emulator = await startTestEmulator({ scenario: target.scenario });
      await emulator.admin.configure({ retryAfterSeconds: 1 });
    });
    after(() => emulator.close());

    for (const engine of ENGINES) {
      describe(`on ${engine.name}`, async () => {
        const skip = await engine.skip();
        if (skip !== undefined) {
          it(`skipped: ${skip}`, { skip }, () => undefined);
          return;
        }
        for (const step of ["opening", "lines", "posting"] as const) {
          for (const fault of FAULTS) {
            it(`${fault.name} at the ${step} step: 0 lost, 0 duplicated, each posted once`, async () => {
              const test = await engine.open();
              const time = fakeTime(Date.now());
              // Virtual time for waits (Retry-After, backoff); the hang needs a real, short timeout.
              const { client } = clientFor(emulator, {
                timeoutMs: 1000,
                clock: time.clock,
                sleep: time.sleep,
              });
              try {
                const prefix = `${target.name}-${engine.name}-${step}-${fault.rule.kind}`;
                const batch = await journals(prefix);
                await enqueueJournals(test.store, batch, { source: "conformance", post: true });
                const rule = await emulator.admin.addFault({ ...fault.rule, ...target.steps[step] });
                const delivery = new DeliveryEngine({
                  store: test.store,
                  client,
                  target: createTarget(target.settings),
                  clock: time.clock,
                  sleep: time.sleep,
                  random: () => 0.5,
                });
                const keys = batch.map((journal) => journal.key);
                assert.equal(await delivery.runUntilSettled(keys, 3_600_000), 0);
                const fired = (await emulator.admin.call("GET", "faults")) as FaultRule[];
                assert.equal(
                  fired.find((each) => each.id === rule.id)?.remaining,
                  0,
                  "the fault struck as often as asked (the cell is not vacuous)",
                );
                for (const key of keys) {
                  const stored = await test.store.get(key);
                  assert.equal(
                    stored?.state,
                    "posted",
                    `${key}: ${stored?.lastErrorCode} ${stored?.lastError}`,
                  );
                }
                if (fault.rule.kind === "401" || fault.rule.kind === "403") {
                  const trails = await Promise.all(keys.map((key) => test.store.events(key)));
                  assert.ok(
                    trails.some((trail) => trail.some((event) => event.detail.paused === true)),
                    "delivery paused: the refusal is recorded on the journals it struck",
                  );
                  assert.ok(
                    trails.every((trail) => trail.every((event) => event.toState !== "dead")),
                    "no journal was dead for the environment's refusal",
                  );
                }
                assert.deepEqual(
                  await countsInFno(emulator, keys),
                  keys.map((key) => ({ key, journals: 1, lines: 3, posted: true, ledgerEntries: 3 })),
                );
              } finally {
                await emulator.admin.clearFaults();
                client.close();
                await test.cleanup();
              }
            });
          }
        }
      });
    }
  });
}
