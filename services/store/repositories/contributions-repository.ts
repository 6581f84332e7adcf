import type { Kysely, Selectable } from "kysely";
import { AgoraError } from "../../errors/agora-error.ts";
import { isForeignKeyViolation } from "../database-errors.ts";
import { jsonValue } from "../json-value.ts";
import type { ContributionsTable, Database } from "../schema.ts";

/**
 * One holder's contribution to one round by one method, with everything an
 * auditor needs to recompute it: the update hashes, the validation set, the
 * seed and options of a sampling method, the coalition utilities it saw.
 */
export interface ContributionRecord {
  taskId: string;
  round: number;
  holderId: string;
  /** `exact-shapley`, `gtg-shapley`, `leave-one-out`, … */
  method: string;
  score: number;
  inputs: Record<string, unknown>;
  computedAt: Date;
}

export type NewContribution = Omit<ContributionRecord, "computedAt">;

const toRecord = (row: Selectable<ContributionsTable>): ContributionRecord => ({
  taskId: row.task_id,
  round: row.round,
  holderId: row.holder_id,
  method: row.method,
  score: row.score,
  inputs: row.inputs,
  computedAt: row.computed_at,
});

/** Contribution scores per (task, round, holder, method); written once, never changed. */
export class ContributionsRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Stores a round's scores. A score already stored for the same key is kept
   * as it was (a retried scoring job changes nothing), so the first result is
   * the one an auditor checks. Returns how many rows were new.
   */
  async record(rows: readonly NewContribution[]): Promise<number> {
    if (rows.length === 0) return 0;
    for (const row of rows) {
      if (!Number.isFinite(row.score)) {
        throw new AgoraError("invalid", "A contribution score must be a finite number", {
          detail: `${row.taskId} round ${row.round}, holder ${row.holderId}: ${row.score}.`,
        });
      }
    }
    try {
      const inserted = await this.#db
        .insertInto("contributions")
        .values(
          rows.map((row) => ({
            task_id: row.taskId,
            round: row.round,
            holder_id: row.holderId,
            method: row.method,
            score: row.score,
            inputs: jsonValue(row.inputs),
          })),
        )
        .onConflict((oc) => oc.columns(["task_id", "round", "holder_id", "method"]).doNothing())
        .returning("holder_id")
        .execute();
      return inserted.length;
    } catch (error) {
      if (isForeignKeyViolation(error)) {
        throw new AgoraError("conflict", "Contributions need a stored round and known holders", {
          detail: `Task ${rows[0]?.taskId}, round ${rows[0]?.round}.`,
        });
      }
      throw error;
    }
  }

  async forRound(taskId: string, round: number, method?: string): Promise<ContributionRecord[]> {
    let query = this.#db
      .selectFrom("contributions")
      .selectAll()
      .where("task_id", "=", taskId)
      .where("round", "=", round);
    if (method !== undefined) query = query.where("method", "=", method);
    const rows = await query.orderBy("holder_id").orderBy("method").execute();
    return rows.map(toRecord);
  }

  async forTask(taskId: string, method?: string): Promise<ContributionRecord[]> {
    let query = this.#db.selectFrom("contributions").selectAll().where("task_id", "=", taskId);
    if (method !== undefined) query = query.where("method", "=", method);
    const rows = await query.orderBy("round").orderBy("holder_id").orderBy("method").execute();
    return rows.map(toRecord);
  }

  /**
   * A task's contribution per holder under one method: the sum of its round
   * scores (Shapley values are additive across rounds, as in GTG-Shapley's
   * multi-round accounting). Holders that never scored are absent.
   */
  async taskTotals(taskId: string, method: string): Promise<Map<string, number>> {
    const totals = new Map<string, number>();
    for (const row of await this.forTask(taskId, method)) {
      totals.set(row.holderId, (totals.get(row.holderId) ?? 0) + row.score);
    }
    return totals;
  }
}
