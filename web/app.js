// The ledger-bridge dashboard: signs in with an API key, then polls the API (/v1/overview, the
// journal list, an open journal) every two seconds while the tab is visible. Everything the server
// sends is written with textContent, never parsed as HTML.
import { latencyChart, throughputChart } from "./charts.js";

const LABELS = {
  ready: "Ready",
  header_created: "Header created",
  lines_created: "Lines created",
  posted: "Posted",
  retry_wait: "Waiting to retry",
  in_doubt: "In doubt",
  dead: "Dead",
  cancelled: "Cancelled",
};
const POLL_MS = 2000;
const PAGE = 50;
const KEY_STORAGE = "ledger-bridge.key";

const $ = (id) => document.getElementById(id);
const ui = {
  key: sessionStorage.getItem(KEY_STORAGE),
  me: null,
  filter: null,
  shown: PAGE,
  open: null,
  timer: null,
  lastCounts: null,
};

class ApiError extends Error {
  constructor(status, body) {
    const error = body?.error ?? {};
    super(error.message ?? `The server answered ${status}.`);
    this.status = status;
    this.code = error.code ?? `HTTP_${status}`;
    this.details = error;
  }
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { authorization: `Bearer ${ui.key}`, accept: "application/json", ...(options.headers ?? {}) },
  });
  const text = await response.text();
  let body = null;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  if (response.status === 401 && ui.me !== null) {
    signOut("The key is no longer valid (revoked?). Sign in again.");
    throw new ApiError(401, body);
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const has = (scope) => ui.me !== null && (ui.me.scopes.includes("admin") || ui.me.scopes.includes(scope));
const stateBadge = (state) => el("span", { class: `state state-${state}` }, LABELS[state] ?? state);
const time = (iso) => (iso ? new Date(iso).toLocaleString() : "");

// --- sign in / out --------------------------------------------------------------------------------

async function signIn(key) {
  ui.key = key;
  try {
    ui.me = await api("/v1/me");
  } catch (error) {
    ui.key = null;
    ui.me = null;
    throw error;
  }
  sessionStorage.setItem(KEY_STORAGE, key);
  $("sign-in").hidden = true;
  $("app").hidden = false;
  $("sign-out").hidden = false;
  const companies = ui.me.companies === null ? "all companies" : ui.me.companies.join(", ");
  $("who").hidden = false;
  $("who").textContent = `Signed in as ${ui.me.actor} (${ui.me.scopes.join(", ")}; ${companies})`;
  $("submit").hidden = !has("submit");
  $("doctor").hidden = !has("admin");
  $("bulk-redrive").hidden = !has("admin");
  if (has("admin")) void loadDoctor(true);
  await refresh();
  schedule();
}

function signOut(message = "") {
  sessionStorage.removeItem(KEY_STORAGE);
  clearTimeout(ui.timer);
  Object.assign(ui, { key: null, me: null, open: null, filter: null, lastCounts: null });
  $("app").hidden = true;
  $("sign-out").hidden = true;
  $("who").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message;
  $("api-key").value = "";
  $("api-key").focus();
}

$("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("sign-in-error").textContent = "";
  const key = $("api-key").value.trim();
  try {
    await signIn(key);
    $("api-key").value = "";
  } catch (error) {
    $("sign-in-error").textContent =
      error.status === 401 ? "That key is not valid or was revoked." : `Sign-in failed: ${error.message}`;
  }
});
$("sign-out").addEventListener("click", () => signOut());

// --- polling --------------------------------------------------------------------------------------

function schedule() {
  clearTimeout(ui.timer);
  ui.timer = setTimeout(async () => {
    if (ui.me === null) return;
    if (!document.hidden) await refresh().catch(() => undefined);
    schedule();
  }, POLL_MS);
}
document.addEventListener("visibilitychange", () => {
  if (!document.hidden && ui.me !== null) void refresh().catch(() => undefined);
});

async function refresh() {
  try {
    const [overview] = await Promise.all([
      api("/v1/overview"),
      loadJournals(),
      ui.open ? loadDetail() : null,
    ]);
    renderOverview(overview);
    $("updated").textContent = `Updated ${new Date().toLocaleTimeString()}; live every ${POLL_MS / 1000} s.`;
  } catch (error) {
    $("updated").textContent = `Could not update: ${error.message}`;
  }
}

// --- overview ---------------------------------------------------------------------------------------

function renderOverview(overview) {
  const list = $("states");
  // The API lists every state, in delivery order (the outbox's own list): no copy of it here.
  const states = Object.keys(overview.counts);
  const total = states.reduce((sum, state) => sum + (overview.counts[state] ?? 0), 0);
  const tiles = [
    ["all", "All journals", total],
    ...states.map((state) => [state, LABELS[state] ?? state, overview.counts[state] ?? 0]),
  ];
  list.replaceChildren(
    ...tiles.map(([state, label, count]) =>
      el(
        "li",
        {},
        el(
          "button",
          {
            type: "button",
            class: `state-${state}`,
            "aria-pressed": String((ui.filter ?? "all") === state),
            "data-state": state,
            onclick: () => {
              ui.filter = state === "all" ? null : state;
              ui.shown = PAGE;
              void refresh();
            },
          },
          el("span", { class: "count" }, count.toLocaleString()),
          label,
        ),
      ),
    ),
  );
  // Screen readers hear when the states that need attention change, not every tick.
  const attention = `${overview.counts.dead ?? 0} dead, ${overview.counts.in_doubt ?? 0} in doubt`;
  if (ui.lastCounts !== null && ui.lastCounts !== attention) $("live").textContent = `Now ${attention}.`;
  ui.lastCounts = attention;

  const facts = [["Worker", workerText(overview)]];
  if (overview.throttle !== null) {
    const paused = overview.throttle.pausedForMs;
    facts.push(
      [
        "Throttling",
        paused > 0 ? `F&O asked to wait: resuming in ${Math.ceil(paused / 1000)} s` : "not throttled",
      ],
      [
        "429 answers",
        `${overview.throttle.throttled} (waited ${(overview.throttle.waitedMs / 1000).toFixed(0)} s in all)`,
      ],
      ["Retries", String(overview.throttle.retries)],
      ["Writes in doubt", String(overview.throttle.inDoubt)],
    );
  }
  $("fno").replaceChildren(...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
  renderActivity(overview.activity);
}

/** The worker's liveness as /readyz judges it (stalled, failing and paused make the instance unready). */
function workerText(overview) {
  if (!overview.worker) return "not in this instance (API only)";
  const live = overview.liveness;
  if (live === null || live === undefined || live.state === "starting")
    return "running in this instance, starting";
  const age =
    live.lastProgressAgeMs === null
      ? ""
      : ` (last progress ${Math.round(live.lastProgressAgeMs / 1000)} s ago)`;
  if (live.state === "ok") return `running in this instance, making progress${age}`;
  if (live.state === "failing")
    return `FAILING: ${live.failingRounds} rounds in a row failed${live.lastFailure ? ` (${live.lastFailure})` : ""}; it retries by itself`;
  if (live.state === "paused")
    return `PAUSED: F&O refuses the environment (${live.paused.code}) since ${new Date(live.paused.since).toLocaleTimeString()}; journals wait where they are; next probe at ${new Date(live.paused.nextProbeAt).toLocaleTimeString()}, it resumes by itself`;
  return `STALLED: no progress${age}; /readyz answers 503`;
}

function renderActivity(minutes) {
  throughputChart($("throughput"), minutes);
  latencyChart($("latency"), minutes);
  const delivered = minutes.reduce((sum, minute) => sum + minute.delivered, 0);
  const dead = minutes.reduce((sum, minute) => sum + minute.dead, 0);
  const peak = minutes.reduce(
    (best, minute) => (minute.delivered > best.delivered ? minute : best),
    minutes[0] ?? { delivered: 0 },
  );
  $("throughput-summary").textContent =
    delivered === 0
      ? "Nothing delivered by this instance in the last hour."
      : `${delivered.toLocaleString()} delivered, ${dead} dead in the last hour; busiest minute ${new Date(peak.minute).toLocaleTimeString()} with ${peak.delivered}.`;
  const recent = [...minutes].reverse().find((minute) => minute.p50Ms !== null);
  $("latency-summary").textContent =
    recent === undefined
      ? "No deliveries to measure yet."
      : `Latest minute with deliveries: p50 ${(recent.p50Ms / 1000).toFixed(2)} s, p95 ${(recent.p95Ms / 1000).toFixed(2)} s (solid: p50, dashed: p95).`;
  $("activity-table")
    .querySelector("tbody")
    .replaceChildren(
      ...minutes
        .filter((minute) => minute.delivered > 0 || minute.dead > 0)
        .map((minute) =>
          el(
            "tr",
            {},
            el("td", {}, new Date(minute.minute).toLocaleTimeString()),
            el("td", { class: "num" }, minute.delivered),
            el("td", { class: "num" }, minute.dead),
            el("td", { class: "num" }, minute.p50Ms === null ? "" : (minute.p50Ms / 1000).toFixed(2)),
            el("td", { class: "num" }, minute.p95Ms === null ? "" : (minute.p95Ms / 1000).toFixed(2)),
          ),
        ),
    );
}

// --- journal list -------------------------------------------------------------------------------------

async function loadJournals() {
  const query = new URLSearchParams({ limit: String(ui.shown) });
  if (ui.filter !== null) query.set("state", ui.filter);
  const { journals, next } = await api(`/v1/journals?${query}`);
  // Most recently changed first: what an engineer watching a run wants on top.
  journals.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.key.localeCompare(b.key));
  $("filter").textContent = ui.filter === null ? "All states." : `Only: ${LABELS[ui.filter]}.`;
  $("journals")
    .querySelector("tbody")
    .replaceChildren(
      ...journals.map((journal) =>
        el(
          "tr",
          { "data-key": journal.key },
          el(
            "td",
            {},
            el("button", { type: "button", onclick: () => openJournal(journal.key) }, journal.key),
          ),
          el("td", {}, journal.company),
          el("td", {}, stateBadge(journal.state)),
          el("td", { class: "num" }, journal.lines),
          el("td", {}, journal.journalBatchNumber ?? ""),
          el("td", {}, time(journal.updatedAt)),
        ),
      ),
    );
  if (journals.length === 0)
    $("journals")
      .querySelector("tbody")
      .replaceChildren(
        el(
          "tr",
          {},
          el(
            "td",
            { colspan: 6 },
            ui.filter === null
              ? "No journals yet: submit a file."
              : `No journals are ${LABELS[ui.filter].toLowerCase()}.`,
          ),
        ),
      );
  $("more").hidden = next === null;
}
$("more").addEventListener("click", () => {
  ui.shown += PAGE;
  void refresh();
});

$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("search").value.trim();
  if (key !== "") void openJournal(key);
});

// --- one journal --------------------------------------------------------------------------------------

async function openJournal(key) {
  ui.open = key;
  $("redrive-result").textContent = "";
  $("detail").hidden = false;
  await loadDetail();
  $("detail").focus();
}

$("close-detail").addEventListener("click", () => {
  const key = ui.open;
  ui.open = null;
  $("detail").hidden = true;
  document.querySelector(`#journals tr[data-key="${CSS.escape(key ?? "")}"] button`)?.focus();
});

async function loadDetail() {
  const key = ui.open;
  let found;
  try {
    found = await api(`/v1/journals/${encodeURIComponent(key)}`);
  } catch (error) {
    if (error.status !== 404) throw error;
    $("detail-title").textContent = `No journal ${key}`;
    $("detail-facts").replaceChildren(
      el("dt", {}, "Key"),
      el("dd", {}, `${key} is not in the outbox (or belongs to a company this key may not see).`),
    );
    $("detail-error").hidden = true;
    $("redrive").hidden = true;
    $("cancel").hidden = true;
    $("trail").querySelector("tbody").replaceChildren();
    return;
  }
  if (ui.open !== key) return;
  const { journal, trail } = found;
  $("detail-title").textContent = `Journal ${journal.key}`;
  const vouchers = (journal.vouchers ?? []).map((voucher) => voucher.postedVoucher).join(", ");
  const facts = [
    ["State", stateBadge(journal.state)],
    ["Company", journal.company],
    ["Journal name", journal.journalName],
    ["Lines", String(journal.lines)],
    ["Post after delivery", journal.post ? "yes" : "no"],
    ["Attempt", String(journal.attempt)],
    ["Journal batch", journal.journalBatchNumber ?? "not yet"],
    ["Vouchers", vouchers || "none yet"],
    ["Source", journal.source],
    ["Received", time(journal.createdAt)],
    ["Last change", time(journal.updatedAt)],
  ];
  $("detail-facts").replaceChildren(
    ...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]),
  );
  const problem = $("detail-error");
  if (journal.error === null) problem.hidden = true;
  else {
    const error = journal.error;
    problem.hidden = false;
    // The stored message already ends with the fix when the registry gave one; say it apart once.
    const message =
      error.fix && error.message?.endsWith(error.fix)
        ? error.message.slice(0, -error.fix.length).trim()
        : error.message;
    problem.replaceChildren(
      ...[
        el("p", {}, el("strong", {}, error.code), error.title ? ` — ${error.title}` : ""),
        el("p", {}, message ?? ""),
        error.fix ? el("p", {}, el("strong", {}, "What to do: "), error.fix) : null,
        error.help ? el("p", { class: "muted" }, `More: ${error.help}`) : null,
      ].filter(Boolean),
    );
  }
  $("redrive").hidden = !(journal.actions.includes("redrive") && has("admin"));
  $("cancel").hidden = !(journal.actions.includes("cancel") && has("admin"));
  $("trail")
    .querySelector("tbody")
    .replaceChildren(
      ...trail.map((event) =>
        el(
          "tr",
          {},
          el("td", {}, time(event.at)),
          el("td", { class: "num" }, event.attempt),
          el("td", {}, event.worker ?? ""),
          el(
            "td",
            {},
            event.fromState === null ? "" : `${LABELS[event.fromState] ?? event.fromState} → `,
            LABELS[event.toState] ?? event.toState,
          ),
          el("td", {}, describe(event.detail)),
        ),
      ),
    );
}

/** A trail event's detail in words: what F&O answered or what went wrong. */
function describe(detail) {
  const parts = [];
  if (detail.claimed) parts.push("claimed");
  if (detail.journalBatchNumber) parts.push(`batch ${detail.journalBatchNumber}`);
  if (detail.lines) parts.push(`${detail.lines} lines`);
  if (Array.isArray(detail.vouchers))
    parts.push(`vouchers ${detail.vouchers.map((voucher) => voucher.postedVoucher).join(", ")}`);
  if (detail.reconciled) parts.push(`found in F&O: ${detail.reconciled}`);
  if (detail.errorCode) parts.push(`${detail.errorCode}: ${detail.error ?? ""}`);
  if (detail.redrive) parts.push(`redriven by ${detail.by}`);
  if (detail.requestId) parts.push(`request ${detail.requestId}`);
  return parts.join("; ");
}

/** A journal's action button: POSTs its route, says what happened, refreshes. */
function journalAction(id, route, done, verb, confirmText) {
  $(id).addEventListener("click", async () => {
    const button = $(id);
    if (confirmText !== undefined && !window.confirm(confirmText(ui.open))) return;
    button.disabled = true;
    try {
      await api(`/v1/journals/${encodeURIComponent(ui.open)}/${route}`, { method: "POST" });
      $("redrive-result").textContent = done;
      await refresh();
    } catch (error) {
      $("redrive-result").textContent =
        `${verb} refused: ${error.message}${error.details?.fix ? ` ${error.details.fix}` : ""}`;
    } finally {
      button.disabled = false;
    }
  });
}
journalAction("redrive", "redrive", "Redriven: back to ready; the worker delivers it next.", "Redrive");
journalAction(
  "cancel",
  "cancel",
  "Cancelled: it will not be delivered.",
  "Cancel",
  (key) => `Cancel journal ${key}? It will not be delivered; this cannot be undone.`,
);

// --- redrive many -------------------------------------------------------------------------------------

/** The bulk redrive's selection from its form; the count comes first, then the button that runs it. */
function bulkSelection() {
  const selection = { state: $("bulk-state").value };
  const errorCode = $("bulk-error").value.trim();
  const company = $("bulk-company").value.trim();
  if (errorCode !== "") selection.errorCode = errorCode;
  if (company !== "") selection.company = company;
  return selection;
}

async function bulkRedrive(dryRun) {
  const selection = bulkSelection();
  return api("/v1/journals/redrive", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...selection, dryRun }),
  });
}

$("bulk-redrive").addEventListener("submit", async (event) => {
  event.preventDefault();
  const run = $("bulk-run");
  run.hidden = true;
  try {
    const { matched } = await bulkRedrive(true);
    $("bulk-result").textContent = `${matched} journal${matched === 1 ? "" : "s"} match.`;
    run.textContent = `Redrive ${matched}`;
    run.hidden = matched === 0;
  } catch (error) {
    $("bulk-result").textContent = `Refused: ${error.message}`;
  }
});
for (const id of ["bulk-state", "bulk-error", "bulk-company"])
  $(id).addEventListener("input", () => {
    $("bulk-run").hidden = true;
    $("bulk-result").textContent = "";
  });

$("bulk-run").addEventListener("click", async () => {
  const run = $("bulk-run");
  run.disabled = true;
  try {
    const { redriven } = await bulkRedrive(false);
    $("bulk-result").textContent = `${redriven} journal${redriven === 1 ? "" : "s"} redriven.`;
    run.hidden = true;
    await refresh();
  } catch (error) {
    $("bulk-result").textContent = `Refused: ${error.message}`;
  } finally {
    run.disabled = false;
  }
});

// --- submit a file ----------------------------------------------------------------------------------------

const UPLOAD_TYPES = {
  csv: "text/csv",
  tsv: "text/csv",
  json: "application/json",
  ndjson: "application/x-ndjson",
  jsonl: "application/x-ndjson",
};

$("submit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = $("file").files[0];
  const result = $("submit-result");
  if (!file) return;
  const extension = file.name.split(".").pop().toLowerCase();
  const type = UPLOAD_TYPES[extension];
  if (type === undefined) {
    result.replaceChildren(
      el("p", { class: "error" }, "Choose a .csv, .tsv, .json, .ndjson or .jsonl file."),
    );
    return;
  }
  result.replaceChildren(el("p", {}, `Submitting ${file.name}…`));
  try {
    const answer = await api(`/v1/journals/files?name=${encodeURIComponent(file.name)}`, {
      method: "POST",
      headers: { "content-type": type },
      body: await file.arrayBuffer(),
    });
    const fresh = answer.accepted.filter((journal) => !journal.duplicate).length;
    result.replaceChildren(
      el(
        "p",
        {},
        `Accepted ${answer.accepted.length} journals from ${file.name} (${fresh} new, ${answer.accepted.length - fresh} already known).`,
      ),
    );
    $("file").value = "";
    await refresh();
  } catch (error) {
    const problems = error.details?.errors ?? [];
    result.replaceChildren(
      el("p", { class: "error" }, `${error.code}: ${error.message}`),
      error.details?.fix ? el("p", {}, el("strong", {}, "What to do: "), error.details.fix) : "",
      problems.length === 0
        ? ""
        : el(
            "ul",
            {},
            problems.map((problem) =>
              el(
                "li",
                {},
                `${[problem.file, problem.line && `line ${problem.line}`, problem.field].filter(Boolean).join(", ")}: ${problem.code} — ${problem.message}`,
              ),
            ),
          ),
    );
  }
});

// --- doctor ---------------------------------------------------------------------------------------------------

async function loadDoctor(latest) {
  const status = $("doctor-status");
  const button = $("run-doctor");
  button.disabled = true;
  status.textContent = latest ? "" : "Running the checks…";
  try {
    const report = await api(`/v1/doctor${latest ? "?latest=true" : ""}`);
    if (report === null) {
      status.textContent = "Not run yet on this instance.";
      return;
    }
    status.textContent = `${report.ok ? "All checks passed" : "Some checks failed"} (${time(report.at)}).`;
    $("doctor-checks").replaceChildren(
      ...report.checks.map((check) =>
        el(
          "li",
          {},
          el("span", { class: `status ${check.status}` }, check.status.toUpperCase()),
          ` ${check.title}`,
          // What the check saw (status, scope, AADSTS code…): the doctor's evidence, never a secret.
          Object.keys(check.evidence ?? {}).length > 0
            ? el(
                "div",
                { class: "muted evidence" },
                Object.entries(check.evidence)
                  .map(([name, value]) => `${name}=${value}`)
                  .join("  "),
              )
            : null,
          check.cause
            ? el(
                "div",
                { class: "cause" },
                el("strong", {}, check.cause.code),
                `: ${check.cause.summary} Fix: ${check.cause.fix} (see ${check.cause.docs})`,
              )
            : null,
        ),
      ),
    );
  } catch (error) {
    status.textContent = `The doctor could not run: ${error.message}`;
  } finally {
    button.disabled = false;
  }
}
$("run-doctor").addEventListener("click", () => void loadDoctor(false));

// --- start -------------------------------------------------------------------------------------------------------

if (ui.key) {
  signIn(ui.key).catch(() => signOut("Sign in again."));
} else {
  $("api-key").focus();
}
