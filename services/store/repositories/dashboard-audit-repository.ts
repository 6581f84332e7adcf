import type { Kysely } from "kysely";
import type { Database } from "../schema.ts";

/** An audit entry as the public dashboard lists it: what, who, when, and its hash; no payload. */
export interface DashboardAuditEntry {
  seq: bigint;
  kind: string;
  taskId: string | null;
  actor: string;
  hash: string;
  occurredAt: Date;
}

/** Read-only queries behind the dashboard's audit page; nothing here writes. */
export class DashboardAuditRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** The latest entries, newest first, without walking the whole chain. */
  async recent(limit = 50): Promise<DashboardAuditEntry[]> {
    const rows = await this.#db
      .selectFrom("audit_events")
      .select(["seq", "kind", "task_id", "actor", "hash", "occurred_at"])
      .orderBy("seq", "desc")
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      seq: row.seq,
      kind: row.kind,
      taskId: row.task_id,
      actor: row.actor,
      hash: row.hash,
      occurredAt: row.occurred_at,
    }));
  }
}
