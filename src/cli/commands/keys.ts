import type { Command } from "commander";
import { loadConfig } from "../../config/index.js";
import { UsageError } from "../../core/errors/bridge-error.js";
import { openStore } from "../../outbox/open.js";
import type { SqlOutboxStore } from "../../outbox/sql.js";
import { type ApiKey, ApiStore, SCOPES, type Scope } from "../../server/api-store.js";
import { type CliIo, EXIT, styleFor } from "../io.js";
import { summaryOf } from "./manifest.js";

/** Opens the API key table in the configured store (keys live beside the outbox they guard). */
export async function withApiStore<T>(io: CliIo, work: (keys: ApiStore) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env);
  const store = await openStore(config.store);
  try {
    return await work(new ApiStore((store as SqlOutboxStore).database));
  } finally {
    await store.close();
  }
}

function keyRow(key: ApiKey) {
  return {
    id: key.id,
    scope: key.scope,
    companies: key.companies,
    label: key.label,
    createdAt: new Date(key.createdAt).toISOString(),
    revokedAt: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
  };
}

export async function runKeysCreate(
  flags: { scope?: string; company?: string[]; label?: string; json?: boolean },
  io: CliIo,
): Promise<number> {
  if (!SCOPES.includes(flags.scope as Scope))
    throw new UsageError("USAGE", `--scope must be one of ${SCOPES.join(", ")}.`);
  const companies = flags.company?.flatMap((value) => value.split(",")).map((value) => value.trim()) ?? [];
  if (companies.some((company) => !/^[A-Za-z0-9]{1,8}$/.test(company)))
    throw new UsageError("USAGE", "--company takes F&O legal entity ids (letters and digits, up to 8).");
  const { key, record } = await withApiStore(io, (keys) =>
    keys.createKey(
      flags.scope as Scope,
      companies.length === 0 ? null : companies,
      flags.label ?? null,
      Date.now(),
    ),
  );
  if (flags.json) io.stdout.write(`${JSON.stringify({ key, ...keyRow(record) })}\n`);
  else {
    io.stdout.write(
      `${styleFor(io).bold(key)}\n\nKey ${record.id}: scope ${record.scope}${record.companies ? `, companies ${record.companies.join(", ")}` : ", all companies"}.\n` +
        "This is the only time the key is shown; only its hash is stored. Send it as `Authorization: Bearer <key>`.\n",
    );
  }
  return EXIT.ok;
}

export async function runKeysList(flags: { json?: boolean }, io: CliIo): Promise<number> {
  const keys = await withApiStore(io, (store) => store.listKeys());
  if (flags.json) io.stdout.write(`${JSON.stringify(keys.map(keyRow))}\n`);
  else if (keys.length === 0)
    io.stdout.write("No API keys. Create one with `ledger-bridge keys create --scope admin`.\n");
  else
    for (const key of keys.map(keyRow))
      io.stdout.write(
        `${key.id}  ${key.scope.padEnd(6)}  ${(key.companies?.join(",") ?? "all").padEnd(12)}  ${key.revokedAt === null ? "active " : "revoked"}  ${key.label ?? ""}\n`,
      );
  return EXIT.ok;
}

export async function runKeysRevoke(id: string, io: CliIo): Promise<number> {
  const revoked = await withApiStore(io, async (store) => {
    const done = await store.revokeKey(id, Date.now());
    if (done) await store.audit("cli", "keys.revoke", id, {}, Date.now());
    return done;
  });
  if (!revoked) {
    io.stderr.write(`error: no active key ${id} (see \`ledger-bridge keys list\`).\n`);
    return EXIT.failed;
  }
  io.stdout.write(`Key ${id} is revoked; requests with it are refused from now on.\n`);
  return EXIT.ok;
}

export function registerKeys(program: Command, io: CliIo, done: (code: number) => void): void {
  const keys = program.command("keys").description(summaryOf("keys"));
  keys
    .command("create")
    .description("make an API key (shown once; only its hash is stored)")
    .requiredOption("--scope <scope>", `what the key may do: ${SCOPES.join(", ")}`)
    .option("--company <ids...>", "limit the key to these legal entities")
    .option("--label <text>", "who or what the key is for")
    .option("--json", "print the key and its record as JSON")
    .action(async (flags) => done(await runKeysCreate(flags, io)));
  keys
    .command("list")
    .description("list keys (never the secrets)")
    .option("--json", "print JSON")
    .action(async (flags) => done(await runKeysList(flags, io)));
  keys
    .command("revoke <id>")
    .description("revoke a key by its id")
    .action(async (id: string) => done(await runKeysRevoke(id, io)));
}
