/**
 * The commands, as data: each one's name, arguments and summary, and the module that defines it.
 * The CLI loads only the module of the command it runs (`--help` loads none), so a command pays for
 * what it uses and no more; each module takes its summary from here, so the list and the command
 * never say different things.
 */
export type CommandModule =
  | "validate"
  | "start"
  | "emulator"
  | "login"
  | "post"
  | "outbox"
  | "doctor"
  | "serve"
  | "keys"
  | "watch";

export interface CommandEntry {
  readonly name: string;
  /** The arguments as the usage line shows them. */
  readonly args: string;
  readonly summary: string;
  readonly module: CommandModule;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "validate",
    args: "<files...>",
    summary: "check journal files (CSV, Excel .xlsx, JSON, NDJSON) without sending anything",
    module: "validate",
  },
  {
    name: "start",
    args: "",
    summary:
      "the service on embedded defaults with the bundled examples submitted: dashboard, API and worker (what `npm start` does)",
    module: "start",
  },
  {
    name: "emulator",
    args: "",
    summary: "run the local F&O + Entra ID emulator until stopped",
    module: "emulator",
  },
  {
    name: "login",
    args: "",
    summary: "sign in as a user (device code flow) and keep the sign-in encrypted for later runs",
    module: "login",
  },
  {
    name: "post",
    args: "<files...>",
    summary: "validate journal files, store them in the outbox and deliver them to F&O exactly once",
    module: "post",
  },
  {
    name: "status",
    args: "[key]",
    summary: "journals by state, or one journal with its trail from source key to F&O vouchers",
    module: "outbox",
  },
  {
    name: "redrive",
    args: "[keys...]",
    summary:
      "put dead journals back for delivery (and deliver them): named, or selected by flags (the count first; --yes runs it)",
    module: "outbox",
  },
  {
    name: "cancel",
    args: "<keys...>",
    summary: "cancel journals that should not go (not yet delivered, not in flight); final state cancelled",
    module: "outbox",
  },
  {
    name: "cleanup",
    args: "",
    summary:
      "list the unposted journals in F&O that dead or cancelled journals left (found by marker); delete them with --yes",
    module: "outbox",
  },
  { name: "store", args: "", summary: "the outbox store itself", module: "outbox" },
  {
    name: "reconcile",
    args: "",
    summary: "compare the outbox with F&O by marker, amounts and vouchers (exit 1 on any mismatch)",
    module: "outbox",
  },
  {
    name: "doctor",
    args: "",
    summary: "name the cause of every auth and permission failure, and the fix",
    module: "doctor",
  },
  {
    name: "serve",
    args: "",
    summary: "run the HTTP API and the delivery worker until stopped (SIGTERM/SIGINT: graceful)",
    module: "serve",
  },
  { name: "keys", args: "", summary: "API keys for `serve`: create, list, revoke", module: "keys" },
  {
    name: "watch",
    args: "[dir]",
    summary: "take journal files dropped into DIR/inbound and deliver them (processed/ and error/ beside it)",
    module: "watch",
  },
];

/** A command's summary, for the module that defines it. */
export function summaryOf(name: string): string {
  const entry = COMMANDS.find((command) => command.name === name);
  if (entry === undefined) throw new Error(`no command ${name} in the manifest`);
  return entry.summary;
}
