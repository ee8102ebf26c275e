/**
 * What the HTTP API keeps beside the outbox, in the same database: API keys (only their SHA-256 — the
 * keys are 192 random bits, so a slow hash would add nothing), the audit log of admin actions, and
 * the answers recorded under Idempotency-Key.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { runSql, type SqlDatabase } from "../outbox/sql.js";

export const SCOPES = ["submit", "read", "admin"] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKey {
  readonly id: string;
  readonly scope: Scope;
  /** Companies the key may see and touch; null: all. */
  readonly companies: readonly string[] | null;
  readonly label: string | null;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

/** `lbk_<id>_<secret>`: a recognisable prefix, so secret scanners can find leaked keys. */
const KEY_FORMAT = /^lbk_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{32})$/;

const sha256 = (text: string) => createHash("sha256").update(text).digest();

export interface IdempotencyRecord {
  readonly fingerprint: string;
  /** Null while the first request is still being served. */
  readonly status: number | null;
  readonly body: string | null;
}

export class ApiStore {
  constructor(private readonly db: SqlDatabase) {}

  /** Makes a key; the full key is returned once and never stored. */
  async createKey(
    scope: Scope,
    companies: readonly string[] | null,
    label: string | null,
    now: number,
  ): Promise<{ key: string; record: ApiKey }> {
    const id = randomBytes(6).toString("base64url").replace(/[-_]/g, "x").slice(0, 8);
    const secret = randomBytes(24).toString("base64url");
    await runSql(
      this.db,
      "INSERT INTO api_keys (id, secret_hash, scope, companies, label, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
      [
        id,
        sha256(secret).toString("hex"),
        scope,
        companies === null ? null : JSON.stringify(companies.map((company) => company.toLowerCase())),
        label,
        now,
      ],
    );
    const record: ApiKey = {
      id,
      scope,
      companies: companies?.map((company) => company.toLowerCase()) ?? null,
      label,
      createdAt: now,
      revokedAt: null,
    };
    return { key: `lbk_${id}_${secret}`, record };
  }

  /** The key's record when the presented key is valid and not revoked (compared in constant time). */
  async verify(presented: string): Promise<ApiKey | undefined> {
    const match = KEY_FORMAT.exec(presented);
    if (!match) return undefined;
    const [row] = await runSql(
      this.db,
      "SELECT id, secret_hash, scope, companies, label, created_at, revoked_at FROM api_keys WHERE id = $1",
      [match[1]],
    );
    if (row === undefined || row.revoked_at !== null) return undefined;
    const expected = Buffer.from(String(row.secret_hash), "hex");
    if (!timingSafeEqual(expected, sha256(match[2] as string))) return undefined;
    return this.record(row);
  }

  private record(row: Record<string, unknown>): ApiKey {
    return {
      id: String(row.id),
      scope: String(row.scope) as Scope,
      companies: row.companies === null ? null : (JSON.parse(String(row.companies)) as string[]),
      label: row.label === null ? null : String(row.label),
      createdAt: Number(row.created_at),
      revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    };
  }

  async listKeys(): Promise<ApiKey[]> {
    const rows = await runSql(
      this.db,
      "SELECT id, secret_hash, scope, companies, label, created_at, revoked_at FROM api_keys ORDER BY created_at, id",
    );
    return rows.map((row) => this.record(row));
  }

  async revokeKey(id: string, now: number): Promise<boolean> {
    const rows = await runSql(
      this.db,
      "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING id",
      [now, id],
    );
    return rows.length > 0;
  }

  async audit(
    actor: string,
    action: string,
    target: string | null,
    detail: Record<string, unknown>,
    now: number,
  ): Promise<void> {
    await runSql(
      this.db,
      "INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
      [now, actor, action, target, JSON.stringify(detail)],
    );
  }

  async auditLog(limit = 100): Promise<
    Array<{
      at: number;
      actor: string;
      action: string;
      target: string | null;
      detail: Record<string, unknown>;
    }>
  > {
    const rows = await runSql(
      this.db,
      "SELECT at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT $1",
      [limit],
    );
    return rows.map((row) => ({
      at: Number(row.at),
      actor: String(row.actor),
      action: String(row.action),
      target: row.target === null ? null : String(row.target),
      detail: JSON.parse(String(row.detail)),
    }));
  }

  /**
   * Claims an idempotency key for a client: returns the record already there (a replay, a conflict or
   * one still in flight), or undefined when this request is the first and now holds it.
   */
  async beginIdempotent(
    client: string,
    key: string,
    fingerprint: string,
    now: number,
  ): Promise<IdempotencyRecord | undefined> {
    const inserted = await runSql(
      this.db,
      "INSERT INTO idempotency_keys (client, idempotency_key, fingerprint, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (client, idempotency_key) DO NOTHING RETURNING client",
      [client, key, fingerprint, now],
    );
    if (inserted.length > 0) return undefined;
    const [row] = await runSql(
      this.db,
      "SELECT fingerprint, status, body FROM idempotency_keys WHERE client = $1 AND idempotency_key = $2",
      [client, key],
    );
    return {
      fingerprint: String(row?.fingerprint),
      status: row?.status === null ? null : Number(row?.status),
      body: row?.body === null ? null : String(row?.body),
    };
  }

  async finishIdempotent(client: string, key: string, status: number, body: string): Promise<void> {
    await runSql(
      this.db,
      "UPDATE idempotency_keys SET status = $1, body = $2 WHERE client = $3 AND idempotency_key = $4",
      [status, body, client, key],
    );
  }

  /** A first request that failed before it changed anything gives its key back. */
  async abandonIdempotent(client: string, key: string): Promise<void> {
    await runSql(
      this.db,
      "DELETE FROM idempotency_keys WHERE client = $1 AND idempotency_key = $2 AND status IS NULL",
      [client, key],
    );
  }

  /**
   * Forgets answers older than `keepMs` (clients retry within minutes, not days), and first requests
   * still marked in flight after `inFlightMs` — their process died, and the key must not answer 409
   * forever. Returns how many records went.
   */
  async purgeIdempotent(now: number, keepMs = 24 * 3_600_000, inFlightMs = 5 * 60_000): Promise<number> {
    const rows = await runSql(
      this.db,
      "DELETE FROM idempotency_keys WHERE created_at < $1 OR (status IS NULL AND created_at < $2) RETURNING client",
      [now - keepMs, now - inFlightMs],
    );
    return rows.length;
  }
}
