import type { Kysely, Selectable } from "kysely";
import { AgoraError } from "../../errors/agora-error.ts";
import { isForeignKeyViolation } from "../database-errors.ts";
import { inTransaction } from "../in-transaction.ts";
import type { Database, RoundStatus, RoundsTable, UpdatesTable } from "../schema.ts";

export interface RoundRecord {
  taskId: string;
  round: number;
  status: RoundStatus;
  globalModelHash: string;
  resultModelHash: string | null;
  strategy: string;
  minUpdates: number;
  deadline: Date;
  accuracy: number | null;
  loss: number | null;
  openedAt: Date;
  closedAt: Date | null;
}

/** One holder's update for one round: where its weights are and how it was made. */
export interface UpdateRecord {
  taskId: string;
  round: number;
  holderId: string;
  blobHash: string;
  samples: number;
  loss: number;
  trainMs: number;
  backend: string;
  /** Arrived after the round's deadline: kept for the record, never aggregated. */
  late: boolean;
  receivedAt: Date;
}

export type NewRound = Pick<
  RoundRecord,
  "taskId" | "round" | "globalModelHash" | "strategy" | "minUpdates" | "deadline"
> & {
  /**
   * When the round really started. Rounds are archived once closed, so the
   * insert's own time would be later than the close; defaults to now.
   */
  openedAt?: Date;
};
export type NewUpdate = Omit<UpdateRecord, "late" | "receivedAt">;

const toRound = (row: Selectable<RoundsTable>): RoundRecord => ({
  taskId: row.task_id,
  round: row.round,
  status: row.status,
  globalModelHash: row.global_model_hash,
  resultModelHash: row.result_model_hash,
  strategy: row.strategy,
  minUpdates: row.min_updates,
  deadline: row.deadline,
  accuracy: row.accuracy,
  loss: row.loss,
  openedAt: row.opened_at,
  closedAt: row.closed_at,
});

const toUpdate = (row: Selectable<UpdatesTable>): UpdateRecord => ({
  taskId: row.task_id,
  round: row.round,
  holderId: row.holder_id,
  blobHash: row.blob_hash,
  samples: row.samples,
  loss: row.loss,
  trainMs: row.train_ms,
  backend: row.backend,
  late: row.late,
  receivedAt: row.received_at,
});

/** Rounds of a task and the updates that arrived for them. */
export class RoundsRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Opens a round; opening it again (a retried job) returns the round as it is. */
  async open(round: NewRound): Promise<RoundRecord> {
    await this.#db
      .insertInto("rounds")
      .values({
        task_id: round.taskId,
        round: round.round,
        global_model_hash: round.globalModelHash,
        strategy: round.strategy,
        min_updates: round.minUpdates,
        deadline: round.deadline,
        ...(round.openedAt !== undefined && { opened_at: round.openedAt }),
      })
      .onConflict((oc) => oc.columns(["task_id", "round"]).doNothing())
      .execute();
    return this.get(round.taskId, round.round);
  }

  async get(taskId: string, round: number): Promise<RoundRecord> {
    const row = await this.#db
      .selectFrom("rounds")
      .selectAll()
      .where("task_id", "=", taskId)
      .where("round", "=", round)
      .executeTakeFirst();
    if (!row) {
      throw new AgoraError("not_found", "Round not found", { detail: `${taskId} round ${round}.` });
    }
    return toRound(row);
  }

  /**
   * Records an update once per (task, round, holder). Returns `true` the first
   * time and `false` for a duplicate, which changes nothing: a retried or
   * duplicated train job is stored once and counted once. An update that
   * arrives after the deadline or after the round closed is kept as `late`.
   */
  async recordUpdate(update: NewUpdate, receivedAt = new Date()): Promise<boolean> {
    try {
      return await inTransaction(this.#db, async (trx) => {
        const round = await trx
          .selectFrom("rounds")
          .select(["status", "deadline"])
          .where("task_id", "=", update.taskId)
          .where("round", "=", update.round)
          .forUpdate()
          .executeTakeFirst();
        if (!round) {
          throw new AgoraError("not_found", "Round not found", {
            detail: `${update.taskId} round ${update.round} was never opened.`,
          });
        }
        const late = round.status !== "open" || receivedAt > round.deadline;
        const inserted = await trx
          .insertInto("updates")
          .values({
            task_id: update.taskId,
            round: update.round,
            holder_id: update.holderId,
            blob_hash: update.blobHash,
            samples: update.samples,
            loss: update.loss,
            train_ms: update.trainMs,
            backend: update.backend,
            late,
            received_at: receivedAt,
          })
          .onConflict((oc) => oc.columns(["task_id", "round", "holder_id"]).doNothing())
          .executeTakeFirst();
        return inserted.numInsertedOrUpdatedRows === 1n;
      });
    } catch (error) {
      if (isForeignKeyViolation(error)) {
        throw new AgoraError("not_found", "Unknown holder", {
          detail: `Holder ${update.holderId}.`,
        });
      }
      throw error;
    }
  }

  /** Every on-time update of every round of the task, by round then holder. */
  async onTimeUpdatesOfTask(taskId: string): Promise<UpdateRecord[]> {
    const rows = await this.#db
      .selectFrom("updates")
      .selectAll()
      .where("task_id", "=", taskId)
      .where("late", "=", false)
      .orderBy("round")
      .orderBy("holder_id")
      .execute();
    return rows.map(toUpdate);
  }

  /** The updates that count for aggregation: on time, one per holder. */
  async onTimeUpdates(taskId: string, round: number): Promise<UpdateRecord[]> {
    const rows = await this.#db
      .selectFrom("updates")
      .selectAll()
      .where("task_id", "=", taskId)
      .where("round", "=", round)
      .where("late", "=", false)
      .orderBy("holder_id")
      .execute();
    return rows.map(toUpdate);
  }

  /**
   * Closes an open round with its outcome. Closing it again is refused, so a
   * retried aggregate job cannot overwrite a result. Accuracy and loss may be
   * unknown (an aggregator without a validation set); `closedAt` lets an
   * archive keep the time the round really closed.
   */
  async close(
    taskId: string,
    round: number,
    outcome:
      | {
          status: "aggregated";
          resultModelHash: string;
          accuracy: number | null | undefined;
          loss: number | null | undefined;
        }
      | { status: "failed" },
    closedAt: Date = new Date(),
  ): Promise<RoundRecord> {
    const row = await this.#db
      .updateTable("rounds")
      .set({
        status: outcome.status,
        closed_at: closedAt,
        ...(outcome.status === "aggregated" && {
          result_model_hash: outcome.resultModelHash,
          accuracy: outcome.accuracy ?? null,
          loss: outcome.loss ?? null,
        }),
      })
      .where("task_id", "=", taskId)
      .where("round", "=", round)
      .where("status", "=", "open")
      .returningAll()
      .executeTakeFirst();
    if (row) return toRound(row);
    const current = await this.get(taskId, round);
    throw new AgoraError("conflict", "Round already closed", {
      detail: `${taskId} round ${round} is ${current.status}.`,
    });
  }

  async listForTask(taskId: string): Promise<RoundRecord[]> {
    const rows = await this.#db
      .selectFrom("rounds")
      .selectAll()
      .where("task_id", "=", taskId)
      .orderBy("round")
      .execute();
    return rows.map(toRound);
  }
}
