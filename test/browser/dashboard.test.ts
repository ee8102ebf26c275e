/// <reference lib="dom" />
/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) against `serve` with
 * the built-in emulator: sign in, submit a file, watch the journals post, open the dead one, fix its
 * cause in F&O, redrive it, watch it post. With UPDATE_SCREENSHOTS=1 the main views are saved under
 * docs/images/ (the README shows them).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { runServe, type Serving } from "../../src/cli/commands/serve.js";
import type { CliIo } from "../../src/cli/io.js";
import { browserSkip, launchChromium } from "../helpers/browser.js";
import { cli } from "../helpers/cli.js";

const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === "1";
const IMAGES = join(import.meta.dirname, "..", "..", "docs", "images");

const FILE = [
  "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode,Text",
  "rent-2026-11,usmf,GenJrn,V1,2026-11-30,601100,2500.00,,USD,November rent",
  "rent-2026-11,usmf,GenJrn,V1,2026-11-30,110110,,2500.00,USD,November rent",
  "fees-2026-11,usmf,GenJrn,V1,2026-11-30,601100,12.34,,USD,Bank fees",
  "fees-2026-11,usmf,GenJrn,V1,2026-11-30,110110,,12.34,USD,Bank fees",
  // A journal name F&O does not know: F&O refuses it (a business rule), the journal is dead.
  "accrual-2026-11,usmf,AccrJrn,V1,2026-11-30,601100,99.99,,USD,Accrual",
  "accrual-2026-11,usmf,AccrJrn,V1,2026-11-30,110110,,99.99,USD,Accrual",
].join("\n");

function quietIo(env: Record<string, string>): CliIo {
  return {
    stdout: { write: () => true, isTTY: false },
    stderr: { write: () => true, isTTY: false },
    env,
  };
}

describe("the dashboard in chromium", async () => {
  const skip = browserSkip();
  if (skip !== undefined) {
    it(`skipped: ${skip}`, { skip }, () => undefined);
    return;
  }
  const env = { LEDGER_BRIDGE_HOME: mkdtempSync(join(tmpdir(), "lb-browser-")) };
  let admin = "";
  let reader = "";
  let serving: Serving;
  let stop: (value: unknown) => void = () => {};
  let finished: Promise<number>;
  let browser: Browser;
  const problems: string[] = [];

  before(async () => {
    admin = JSON.parse((await cli(["keys", "create", "--scope", "admin", "--json"], { env })).stdout).key;
    reader = JSON.parse((await cli(["keys", "create", "--scope", "read", "--json"], { env })).stdout).key;
    const stopped = new Promise((resolve) => {
      stop = resolve;
    });
    await new Promise<void>((resolve) => {
      finished = runServe({ port: "0" }, quietIo(env), stopped, (value) => {
        serving = value;
        resolve();
      });
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    stop(undefined);
    await finished;
  });

  async function open(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // A Content-Security-Policy violation or a script error shows up here.
    page.on("console", (message) => {
      // Chrome logs every 4xx fetch; the tests cause some on purpose. Policy violations say "Refused".
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource"))
        problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(serving.url);
    return page;
  }

  async function signIn(page: Page, key: string): Promise<void> {
    await page.getByLabel("API key").fill(key);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText(/^Signed in as key:/).waitFor();
  }

  const count = (page: Page, state: string) =>
    page.locator(`#states button[data-state="${state}"] .count`).textContent();

  async function until(what: string, check: () => Promise<boolean>): Promise<void> {
    for (let tries = 0; tries < 300; tries++) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`timed out waiting until ${what}`);
  }

  async function shot(page: Page, name: string): Promise<void> {
    const bytes = await page.screenshot({ fullPage: true });
    assert.equal(bytes.subarray(1, 4).toString("latin1"), "PNG");
    if (SCREENSHOTS) {
      mkdirSync(IMAGES, { recursive: true });
      writeFileSync(join(IMAGES, `${name}.png`), bytes);
    }
  }

  it("refuses a wrong key with a message, then signs in with a valid one", async () => {
    const page = await open();
    await page.getByLabel("API key").fill("lbk_notakey_000000000000000000000000000000000000");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText("That key is not valid or was revoked.").waitFor();
    assert.equal(await page.locator("#app").isHidden(), true);
    await signIn(page, reader);
    assert.equal(await page.locator("#submit").isHidden(), true, "a read key gets no upload form");
    assert.equal(await page.locator("#doctor").isHidden(), true, "nor the doctor");
    // The worker's liveness, as /readyz judges it (reported by the delivery thread every second).
    await until("the panel shows the worker making progress", async () =>
      /Workerrunning in this instance, making progress \(last progress \d+ s ago\)/.test(
        (await page.locator("#fno").textContent()) ?? "",
      ),
    );
    await page.close();
  });

  it("submits a file, watches the journals post, opens the dead one, redrives it and sees it post", async () => {
    const page = await open();
    await signIn(page, admin);
    // A file with a decimal comma first: every problem listed with where it is, what to do, nothing stored.
    const bad = join(env.LEDGER_BRIDGE_HOME, "bad.csv");
    writeFileSync(bad, `${FILE.replace("2500.00,,USD", '"2500,00",,USD')}\n`);
    await page.getByLabel("Journal file (CSV, TSV, JSON, NDJSON)").setInputFiles(bad);
    await page.getByRole("button", { name: "Submit" }).click();
    const refusal = page.locator("#submit-result");
    await refusal.getByText(/^VALIDATION_FAILED: /).waitFor();
    const said = (await refusal.textContent()) ?? "";
    assert.match(said, /What to do: Fix every problem listed/);
    assert.match(said, /line 2, .*DebitAmount.*: AMOUNT_DECIMAL_COMMA — /, said);
    assert.equal(await count(page, "all"), "0", "nothing was stored");

    const file = join(env.LEDGER_BRIDGE_HOME, "november.csv");
    writeFileSync(file, `${FILE}\n`);
    await page.getByLabel("Journal file (CSV, TSV, JSON, NDJSON)").setInputFiles(file);
    await page.getByRole("button", { name: "Submit" }).click();
    await page.getByText("Accepted 3 journals from november.csv (3 new, 0 already known).").waitFor();
    await until("two journals are posted and one is dead", async () => {
      return (await count(page, "posted")) === "2" && (await count(page, "dead")) === "1";
    });
    await page.getByRole("button", { name: "Run the doctor" }).click();
    await page.getByText(/^All checks passed/).waitFor();
    await until("the chart shows the deliveries", async () =>
      /2 delivered, 1 dead in the last hour/.test(
        (await page.locator("#throughput-summary").textContent()) ?? "",
      ),
    );
    await shot(page, "dashboard");

    // The dead one: filter by state, open it, read why.
    await page.locator('#states button[data-state="dead"]').click();
    await until(
      "only the dead journal is listed",
      async () => (await page.locator("#journals tbody tr").count()) === 1,
    );
    await page.getByRole("button", { name: "accrual-2026-11" }).click();
    const detail = page.locator("#detail");
    await detail.locator("#detail-error strong").getByText("D365_BUSINESS_RULE").waitFor();
    assert.match((await detail.textContent()) ?? "", /AccrJrn/, "F&O's own words are shown");
    assert.match((await detail.textContent()) ?? "", /What to do:/);
    assert.equal(
      await page.evaluate(() => document.activeElement?.id),
      "detail",
      "focus moves to the detail",
    );
    await shot(page, "journal-dead");

    // Fix the cause in F&O, then redrive from the dashboard.
    await serving.emulator?.admin.call("POST", "tables/JournalNames", [
      { dataAreaId: "usmf", Name: "AccrJrn", Description: "Accruals", Type: "Daily" },
    ]);
    await detail.getByRole("button", { name: "Redrive" }).click();
    await detail.getByText("Redriven: back to ready").waitFor();
    await until(
      "the redriven journal is posted",
      async () => (await detail.locator("dd .state").first().textContent()) === "Posted",
    );
    assert.equal(await detail.getByRole("button", { name: "Redrive" }).isHidden(), true);
    const trail = (await detail.locator("#trail").textContent()) ?? "";
    assert.match(trail, /Dead → Ready/);
    assert.match(trail, /redriven by key:\w+/, "the trail says who redrove it");
    assert.match(trail, /Posted/);
    await shot(page, "journal-posted");

    // A finding: F&O's service user is disabled. The doctor panel names the cause, the fix, and what
    // the check saw.
    await serving.emulator?.admin.call("PUT", "fno/users/svc-ledger-bridge", { enabled: false });
    try {
      await page.getByRole("button", { name: "Run the doctor" }).click();
      await page.getByText(/^Some checks failed/).waitFor();
      const failed = page.locator("#doctor-checks li").filter({ has: page.locator(".status.fail") });
      const finding = (await failed.first().textContent()) ?? "";
      assert.match(
        finding,
        /APP_NOT_REGISTERED_OR_USER_DISABLED: .+ Fix: .+\(see docs\/troubleshooting\.md#app_not_registered_or_user_disabled\)/,
      );
      assert.match(finding, /status=4\d\d/, "the evidence: F&O's answer");
    } finally {
      await serving.emulator?.admin.call("PUT", "fno/users/svc-ledger-bridge", { enabled: true });
    }
    await page.close();
  });

  it("cancels one journal, then redrives many by state and error code, the count shown first", async () => {
    const page = await open();
    await signIn(page, admin);
    page.on("dialog", (dialog) => void dialog.accept());
    const late = [
      "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode",
      ...["late-1", "late-2", "late-3"].flatMap((key) => [
        `${key},usmf,LateJrn,V1,2026-11-30,601100,5.00,,USD`,
        `${key},usmf,LateJrn,V1,2026-11-30,110110,,5.00,USD`,
      ]),
    ].join("\n");
    const file = join(env.LEDGER_BRIDGE_HOME, "late.csv");
    writeFileSync(file, `${late}\n`);
    const posted = Number(await count(page, "posted"));
    await page.getByLabel("Journal file (CSV, TSV, JSON, NDJSON)").setInputFiles(file);
    await page.getByRole("button", { name: "Submit" }).click();
    await until("the three are dead (no such journal name)", async () => (await count(page, "dead")) === "3");

    await page.getByLabel("Open a journal by key").fill("late-3");
    await page.keyboard.press("Enter");
    const detail = page.locator("#detail");
    await detail.getByRole("button", { name: "Cancel this journal" }).click();
    await detail.getByText("Cancelled: it will not be delivered.").waitFor();
    await until("late-3 is cancelled", async () => (await count(page, "cancelled")) === "1");
    assert.equal(await detail.getByRole("button", { name: "Cancel this journal" }).isHidden(), true);

    await serving.emulator?.admin.call("POST", "tables/JournalNames", [
      { dataAreaId: "usmf", Name: "LateJrn", Description: "Late", Type: "Daily" },
    ]);
    const bulk = page.locator("#bulk-redrive");
    await bulk.getByLabel("State").selectOption("dead");
    await bulk.getByLabel("Error code").fill("D365_BUSINESS_RULE");
    await bulk.getByRole("button", { name: "Count" }).click();
    await until("the count is shown", async () =>
      /match|Refused/.test((await bulk.locator("#bulk-result").textContent()) ?? ""),
    );
    assert.equal(await bulk.locator("#bulk-result").textContent(), "2 journals match.");
    await bulk.getByRole("button", { name: "Redrive 2" }).click();
    await bulk.getByText("2 journals redriven.").waitFor();
    await until(
      "both are posted, the cancelled one not",
      async () =>
        Number(await count(page, "posted")) === posted + 2 && (await count(page, "cancelled")) === "1",
    );
    await page.close();
  });

  it("can be used from the keyboard: skip link, labelled controls, Enter to open a journal", async () => {
    const page = await open();
    assert.equal(await page.evaluate(() => document.activeElement?.id), "api-key", "the key field has focus");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to content");
    await signIn(page, admin);
    const unlabelled = await page.evaluate(
      () =>
        [...document.querySelectorAll("input, select, textarea")].filter(
          (input) => (input as HTMLInputElement).labels?.length === 0 && !input.getAttribute("aria-label"),
        ).length,
    );
    assert.equal(unlabelled, 0, "every form control has a label");
    const nameless = await page.evaluate(
      () =>
        [...document.querySelectorAll("button")].filter((button) => button.textContent?.trim() === "").length,
    );
    assert.equal(nameless, 0, "every button says what it does");
    await page.getByLabel("Open a journal by key").fill("rent-2026-11");
    await page.keyboard.press("Enter");
    await page.locator("#detail").getByText("Journal rent-2026-11").waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("API key").waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0, "the key is forgotten on sign-out");
    await page.close();
  });

  it("serves the API docs page, and the pages raise no script or policy errors", async () => {
    const page = await browser.newPage();
    const answer = await page.goto(`${serving.url}/docs`);
    assert.match(answer?.headers()["content-security-policy"] ?? "", /script-src 'self'/);
    assert.match((await page.locator("h1").textContent()) ?? "", /ledger-bridge API v1/);
    await page.getByText("POST /v1/journals/{key}/redrive").waitFor();
    await page.close();
    assert.deepEqual(problems, []);
  });
});
