import { createHash } from "node:crypto";
import { type Kysely, type Selectable, sql } from "kysely";
import { inTransaction } from "../store/in-transaction.ts";
import { jsonValue } from "../store/json-value.ts";
import type { AuditEventsTable, Database } from "../store/schema.ts";
import { canonicalJson } from "./canonical-json.ts";

/** What happened, by whom, about which task. */
export interface AuditEventInput {
  kind: string;
  taskId?: string | null;
  /** An address, an agent name (`orchestrator`), or `system`. */
  actor: string;
  payload: Record<string, unknown>;
}

export interface AuditEntry extends Required<AuditEventInput> {
  seq: bigint;
  prevHash: string | null;
  hash: string;
  occurredAt: Date;
}

export type ChainProblem =
  | { seq: bigint; problem: "edited"; detail: string }
  | { seq: bigint; problem: "broken_link"; detail: string };

export interface ChainVerification {
  ok: boolean;
  entries: number;
  /** Hash of the last entry: what gets anchored on chain. */
  head: string | null;
  problems: ChainProblem[];
}

/**
 * The hash of an entry commits to its content and to the previous entry's
 * hash, so editing, removing or reordering any entry breaks every link after it.
 * Timestamps are hashed at millisecond precision, the precision they are written with.
 */
export function entryHash(
  prevHash: string | null,
  entry: { kind: string; taskId: string | null; actor: string; payload: unknown; occurredAt: Date },
): string {
  return createHash("sha256")
    .update(
      canonicalJson({
        prev: prevHash,
        kind: entry.kind,
        taskId: entry.taskId,
        actor: entry.actor,
        payload: entry.payload,
        occurredAt: entry.occurredAt,
      }),
    )
    .digest("hex");
}

/** Options of `AuditLog.append`. */
export interface AppendOptions {
  /**
   * Names the fact being recorded (e.g. `round-closed:<task>:<round>`). An
   * append with a key already in the log returns that entry instead of
   * chaining a new one. Not hashed: it identifies the producer's attempt,
   * it is not part of what happened. Default: none (always appends).
   */
  dedupeKey?: string;
}

const toEntry = (row: Selectable<AuditEventsTable>): AuditEntry => ({
  seq: row.seq,
  kind: row.kind,
  taskId: row.task_id,
  actor: row.actor,
  payload: row.payload,
  prevHash: row.prev_hash,
  hash: row.hash,
  occurredAt: row.occurred_at,
});

/** Serialises appends across every process that shares the database. */
const appendLockKey = 0x61676f72; // "agor"

/** The append-only, hash-chained audit log kept in the `audit_events` table. */
export class AuditLog {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Appends an event after the current head. An advisory lock held for the
   * transaction makes concurrent appends take turns, so no two entries ever
   * claim the same predecessor.
   *
   * A log built over a transaction (`new AuditLog(trx)`) appends inside it:
   * the entry commits or rolls back with the caller's writes. Append last in
   * such a transaction, since the lock is held until it ends.
   *
   * With `dedupeKey`, an entry already appended under that key is returned
   * as it is and nothing is chained, so a retried job records its fact once.
   */
  async append(event: AuditEventInput, options: AppendOptions = {}): Promise<AuditEntry> {
    return inTransaction(this.#db, async (trx) => {
      await sql`select pg_advisory_xact_lock(${appendLockKey})`.execute(trx);
      if (options.dedupeKey !== undefined) {
        // Checked under the lock: a concurrent append of the same key has committed by now.
        const existing = await trx
          .selectFrom("audit_events")
          .selectAll()
          .where("dedupe_key", "=", options.dedupeKey)
          .executeTakeFirst();
        if (existing !== undefined) return toEntry(existing);
      }
      const head = await trx
        .selectFrom("audit_events")
        .select("hash")
        .orderBy("seq", "desc")
        .limit(1)
        .executeTakeFirst();
      const prevHash = head?.hash ?? null;
      const occurredAt = new Date();
      const taskId = event.taskId ?? null;
      // Hash what the database will give back: bigints as strings, no undefined members.
      const payload = JSON.parse(canonicalJson(event.payload)) as Record<string, unknown>;
      const hash = entryHash(prevHash, { ...event, payload, taskId, occurredAt });
      const row = await trx
        .insertInto("audit_events")
        .values({
          kind: event.kind,
          task_id: taskId,
          actor: event.actor,
          payload: jsonValue(payload),
          prev_hash: prevHash,
          hash,
          occurred_at: occurredAt,
          dedupe_key: options.dedupeKey ?? null,
        })
        .returning("seq")
        .executeTakeFirstOrThrow();
      return { ...event, payload, taskId, seq: row.seq, prevHash, hash, occurredAt };
    });
  }

  async entries(filter: { taskId?: string } = {}): Promise<AuditEntry[]> {
    let query = this.#db.selectFrom("audit_events").selectAll();
    if (filter.taskId !== undefined) query = query.where("task_id", "=", filter.taskId);
    const rows = await query.orderBy("seq").execute();
    return rows.map(toEntry);
  }

  /**
   * Walks the whole chain and names every entry whose content no longer
   * matches its hash (edited) or whose link does not point at the entry
   * before it (an entry removed or moved).
   */
  async verify(): Promise<ChainVerification> {
    const entries = await this.entries();
    const problems: ChainProblem[] = [];
    let previous: string | null = null;
    for (const entry of entries) {
      if (entry.prevHash !== previous) {
        problems.push({
          seq: entry.seq,
          problem: "broken_link",
          detail: `points to ${entry.prevHash ?? "nothing"}, but the entry before it is ${previous ?? "nothing"}: an entry was removed or reordered`,
        });
      }
      const recomputed = entryHash(entry.prevHash, entry);
      if (recomputed !== entry.hash) {
        problems.push({
          seq: entry.seq,
          problem: "edited",
          detail: `content hashes to ${recomputed}, recorded ${entry.hash}`,
        });
      }
      previous = entry.hash;
    }
    return {
      ok: problems.length === 0,
      entries: entries.length,
      head: previous,
      problems,
    };
  }
}
