/**
 * The doctor's checks of write access that leave nothing behind in F&O.
 *
 * - **Write check** (every run): one `$batch` changeset holding the target's opening write of a probe
 *   journal (a header; a flat entity's first line) and, after it, an update of a journal that cannot
 *   exist. F&O carries out the first — the privilege check, the journal name's restriction, its
 *   validation — then refuses the second, and rolls the whole changeset back. Which operation failed
 *   (the answer's Content-ID) tells the outcome: the second, write access proven; the first, its
 *   status and Infolog name the cause. Cost on a real environment: a journal number may be taken from
 *   the number sequence (a non-continuous sequence does not give it back), nothing else.
 * - **Posting service** (every run): a posting request for a journal that cannot exist. The service's
 *   own refusal ("does not exist") proves the route and the privilege; 404 or 501 says the route is
 *   missing, 403 the privilege, an answer that the parameter is missing a contract of other names.
 */
import Big from "big.js";
import type { Journal } from "../core/journal.js";
import { sendBatch } from "../d365/batch.js";
import { type D365Client, readJson } from "../d365/client.js";
import { Entities } from "../d365/entities.js";
import { D365Error } from "../d365/errors.js";
import { postJournal } from "../d365/posting.js";
import type { JournalTarget } from "../d365/targets/index.js";
import { markerFor } from "../d365/targets/index.js";
import type { CauseCode } from "./causes.js";

/** A journal number no number sequence gives: the update of it must fail. */
export const ABSENT_JOURNAL = "LB-DOCTOR-NONE";

export interface CheckOutcome {
  readonly status: "pass" | "fail" | "warn";
  readonly evidence: Record<string, string | number | boolean>;
  readonly cause?: CauseCode;
}

/** The probe journal: the file's first journal's company, name and first line, or the environment's. */
export function probeJournal(company: string, journalName: string, sample?: Journal): Journal {
  const line = sample?.lines[0];
  return {
    key: "doctor-write-check",
    company,
    journalName,
    description: "ledger-bridge doctor write check (rolled back by F&O)",
    lines: [
      line ?? {
        transDate: new Date().toISOString().slice(0, 10),
        accountType: "Ledger",
        account: "0",
        debit: new Big("0.01"),
        currency: "USD",
      },
    ],
  };
}

function infologText(error: D365Error): string {
  return error.infolog.map((line) => line.text).join(" ") || error.message;
}

/** The cause a refused opening write names: privilege, read-only target, journal name. */
function writeCause(error: D365Error): CauseCode | undefined {
  const text = infologText(error);
  if (error.status === 403) return "NO_WRITE_PRIVILEGE";
  if (error.status === 405) return "TARGET_READ_ONLY";
  if (error.status === 404) return "TARGET_MISSING";
  if (error.status === 401) return "APP_NOT_REGISTERED_OR_USER_DISABLED";
  if (/not authorized to use journal name/i.test(text)) return "JOURNAL_NAME_NOT_ALLOWED";
  if (/relating table 'Journal names'|journal name .* does not exist/i.test(text))
    return "JOURNAL_NAME_MISSING";
  return undefined;
}

export async function writeCheck(
  client: D365Client,
  target: JournalTarget,
  journal: Journal,
): Promise<CheckOutcome> {
  let compiled: ReturnType<JournalTarget["compile"]>;
  try {
    compiled = target.compile(journal, markerFor(journal.key));
  } catch (error) {
    return {
      status: "warn",
      evidence: {
        skipped: `the target cannot compile a journal yet: ${error instanceof Error ? error.message : String(error)}`,
      },
    };
  }
  const base = {
    did: `one $batch changeset: the ${target.kind} target's opening write for ${journal.company}/${journal.journalName}, then an update of journal ${ABSENT_JOURNAL}, which fails, so F&O rolls both back`,
    journalName: journal.journalName,
    company: journal.company,
  };
  if (!compiled.ok)
    return {
      status: "warn",
      evidence: { ...base, skipped: compiled.problems.map((problem) => problem.detail).join(" ") },
    };
  let results: Awaited<ReturnType<typeof sendBatch>>;
  try {
    results = await sendBatch(client, [
      {
        operations: [
          compiled.compiled.opening,
          {
            method: "PATCH",
            path: `/data/LedgerJournalHeaders(dataAreaId='${journal.company}',JournalBatchNumber='${ABSENT_JOURNAL}')`,
            body: { Description: "ledger-bridge doctor" },
          },
        ],
      },
    ]);
  } catch (error) {
    // The $batch as a whole refused (not one operation of it): the status names the cause.
    if (!(error instanceof D365Error)) throw error;
    return {
      status: "fail",
      evidence: {
        ...base,
        status: error.status ?? "none",
        answer: infologText(error).slice(0, 300),
        left: "nothing",
      },
      cause: writeCause(error) ?? "ENVIRONMENT_UNREACHABLE",
    };
  }
  const [result] = results;
  if (result === undefined)
    return { status: "fail", evidence: { ...base, answer: "none" }, cause: "ENVIRONMENT_UNREACHABLE" };
  if (result.ok)
    // Both carried out: the update found a journal it should not have. Nothing of ours is left but
    // the probe itself, which the evidence names.
    return {
      status: "warn",
      evidence: { ...base, unexpected: `journal ${ABSENT_JOURNAL} exists; the probe was not rolled back` },
    };
  const opening = result.failedIndex === 0 || result.failedIndex === undefined;
  if (!opening)
    return {
      status: "pass",
      evidence: { ...base, opening: "accepted", rolledBack: true, left: "nothing" },
    };
  const cause = writeCause(result.error);
  if (cause === undefined)
    // F&O refused the probe's data after its privilege check (an account, a date of the sample):
    // write access is proven all the same.
    return {
      status: "pass",
      evidence: {
        ...base,
        opening: "refused for its data after the privilege check",
        infolog: infologText(result.error),
        left: "nothing",
      },
    };
  return {
    status: "fail",
    evidence: {
      ...base,
      status: result.error.status ?? "none",
      infolog: infologText(result.error),
      left: "nothing",
    },
    cause,
  };
}

/**
 * `--write-probe`: an empty header created and deleted — what the rolled-back check cannot prove, the
 * delete right `cleanup` needs; it takes a journal number.
 */
export async function createAndDelete(
  client: D365Client,
  company: string | undefined,
  journalName: string,
): Promise<CheckOutcome> {
  const entities = new Entities(client);
  try {
    const header = await entities.create("LedgerJournalHeaders", {
      ...(company === undefined ? {} : { dataAreaId: company }),
      JournalName: journalName,
      Description: "lb:doctor-write-probe",
    });
    await entities.delete("LedgerJournalHeaders", {
      dataAreaId: String(header.dataAreaId),
      JournalBatchNumber: String(header.JournalBatchNumber),
    });
    return {
      status: "pass",
      evidence: { journalName, created: String(header.JournalBatchNumber), deleted: true },
    };
  } catch (error) {
    if (!(error instanceof D365Error)) throw error;
    return {
      status: "fail",
      evidence: { journalName, status: error.status ?? "none", infolog: infologText(error) },
      cause: writeCause(error) ?? "ENVIRONMENT_UNREACHABLE",
    };
  }
}

/** The parameters the contract needs (docs/posting-service.md), as F&O binds JSON keys: by name, any case. */
const CONTRACT_PARAMETERS = ["dataAreaId", "journalBatchNumber"];

/**
 * The operation's parameters as F&O describes them on GET; undefined when it does not say (an older
 * gateway, a service that answers GET otherwise): the POST below decides then.
 */
async function describedParameters(client: D365Client, path: string): Promise<string[] | undefined> {
  try {
    const answer = await client.request({ method: "GET", path });
    const body = readJson(answer.body) as { Parameters?: Array<{ Name?: unknown }> } | undefined;
    if (!Array.isArray(body?.Parameters)) return undefined;
    return body.Parameters.map((parameter) => String(parameter.Name ?? ""));
  } catch {
    return undefined;
  }
}

export async function postingCheck(client: D365Client, path: string, company: string): Promise<CheckOutcome> {
  const parameters = await describedParameters(client, path);
  const base = {
    did: `GET ${path} (its parameters), then POST it for journal ${ABSENT_JOURNAL}, which does not exist (nothing to post)`,
    path,
    ...(parameters === undefined ? {} : { parameters: parameters.join(", ") }),
  };
  const missing =
    parameters === undefined
      ? []
      : CONTRACT_PARAMETERS.filter(
          (name) => !parameters.some((parameter) => parameter.toLowerCase() === name.toLowerCase()),
        );
  if (missing.length > 0)
    return {
      status: "fail",
      evidence: { ...base, missing: missing.join(", ") },
      cause: "POSTING_CONTRACT_MISMATCH",
    };
  try {
    await postJournal(client, company, ABSENT_JOURNAL, { path });
    return {
      status: "warn",
      evidence: { ...base, unexpected: "the service answered success for a journal that does not exist" },
    };
  } catch (error) {
    if (!(error instanceof D365Error)) throw error;
    const text = infologText(error);
    const evidence = { ...base, status: error.status ?? "none", answer: text.slice(0, 300) };
    if (error.status === 404 || error.status === 501 || error.status === 405)
      return { status: "fail", evidence, cause: "POSTING_SERVICE_MISSING" };
    if (error.status === 403 || error.status === 401)
      return { status: "fail", evidence, cause: "POSTING_SERVICE_FORBIDDEN" };
    if (/parameter .* (is required|not found|unknown)/i.test(text))
      return { status: "fail", evidence, cause: "POSTING_CONTRACT_MISMATCH" };
    if (/does not exist|not found/i.test(text)) return { status: "pass", evidence };
    return { status: "warn", evidence, cause: "POSTING_CONTRACT_MISMATCH" };
  }
}
