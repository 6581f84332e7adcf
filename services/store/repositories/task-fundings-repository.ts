import type { Kysely, Selectable } from "kysely";
import { moneyFromColumn, moneyToColumn } from "../money.ts";
import type { Database, TaskFundingsTable } from "../schema.ts";

/** A confirmed funding of a task's budget: which gate confirmed it and its external reference. */
export interface TaskFundingRecord {
  taskId: string;
  gate: string;
  reference: string;
  amount: bigint;
  confirmedAt: Date;
}

const toRecord = (row: Selectable<TaskFundingsTable>): TaskFundingRecord => ({
  taskId: row.task_id,
  gate: row.gate,
  reference: row.reference,
  amount: moneyFromColumn(row.amount),
  confirmedAt: row.confirmed_at,
});

export class TaskFundingsRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Records the funding once; a retry returns the funding already stored. */
  async confirm(funding: Omit<TaskFundingRecord, "confirmedAt">): Promise<TaskFundingRecord> {
    await this.#db
      .insertInto("task_fundings")
      .values({
        task_id: funding.taskId,
        gate: funding.gate,
        reference: funding.reference,
        amount: moneyToColumn(funding.amount),
      })
      .onConflict((conflict) => conflict.column("task_id").doNothing())
      .execute();
    const stored = await this.find(funding.taskId);
    if (stored === undefined) throw new Error(`funding of ${funding.taskId} vanished`);
    return stored;
  }

  async find(taskId: string): Promise<TaskFundingRecord | undefined> {
    const row = await this.#db
      .selectFrom("task_fundings")
      .selectAll()
      .where("task_id", "=", taskId)
      .executeTakeFirst();
    return row && toRecord(row);
  }
}
