import type { Kysely, Selectable } from "kysely";
import { jsonValue } from "../json-value.ts";
import type { Database, PrivacyChargesTable } from "../schema.ts";

/** Privacy spent by one holder on one task. */
export interface PrivacyChargeRecord {
  holderId: string;
  taskId: string;
  epsilon: number;
  delta: number;
  /** The mechanism's parameters when known (e.g. subsampled Gaussian: q, σ, steps), for tighter composition. */
  mechanism: Record<string, unknown> | null;
  createdAt: Date;
}

export type NewPrivacyCharge = Omit<PrivacyChargeRecord, "createdAt">;

const toRecord = (row: Selectable<PrivacyChargesTable>): PrivacyChargeRecord => ({
  holderId: row.holder_id,
  taskId: row.task_id,
  epsilon: row.epsilon,
  delta: row.delta,
  mechanism: row.mechanism,
  createdAt: row.created_at,
});

export class PrivacyChargesRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Records a charge; returns false if this holder was already charged for this task (retry). */
  async charge(charge: NewPrivacyCharge): Promise<boolean> {
    const result = await this.#db
      .insertInto("privacy_charges")
      .values({
        holder_id: charge.holderId,
        task_id: charge.taskId,
        epsilon: charge.epsilon,
        delta: charge.delta,
        mechanism: charge.mechanism === null ? null : jsonValue(charge.mechanism),
      })
      .onConflict((conflict) => conflict.columns(["holder_id", "task_id"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
  }

  async listForHolder(holderId: string): Promise<PrivacyChargeRecord[]> {
    const rows = await this.#db
      .selectFrom("privacy_charges")
      .selectAll()
      .where("holder_id", "=", holderId)
      .orderBy("created_at")
      .execute();
    return rows.map(toRecord);
  }
}
