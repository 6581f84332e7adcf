import type { Kysely, Selectable } from "kysely";
import { AgoraError } from "../../errors/agora-error.ts";
import { moneyFromColumn, moneyToColumn } from "../money.ts";
import type { Database, PayoutStatus, PayoutsTable, Rail } from "../schema.ts";

/** One line of a task's payout table, as planned and as it is being paid. */
export interface PayoutRecord {
  /** Stable id; rails derive their idempotency keys from it. */
  id: string;
  taskId: string;
  holderId: string;
  /** Leaf index in the task's Merkle payout tree. */
  leafIndex: number;
  rail: Rail;
  /** Where the money goes: a chain address or a Stripe connected account. */
  account: string;
  base: bigint;
  bonus: bigint;
  amount: bigint;
  status: PayoutStatus;
  /** Transfer id, transaction hash or sandbox reference once sent. */
  externalRef: string | null;
}

export type NewPayout = Omit<PayoutRecord, "id" | "status" | "externalRef">;

/** Payout ids name the task and the leaf, and use only characters every rail accepts in keys. */
export const payoutId = (taskId: string, leafIndex: number): string =>
  `payout-${taskId}-${leafIndex}`;

const toRecord = (row: Selectable<PayoutsTable>): PayoutRecord => ({
  id: row.id,
  taskId: row.task_id,
  holderId: row.holder_id,
  leafIndex: row.leaf_index,
  rail: row.rail,
  account: row.account,
  base: moneyFromColumn(row.base_amount),
  bonus: moneyFromColumn(row.bonus_amount),
  amount: moneyFromColumn(row.amount),
  status: row.status,
  externalRef: row.external_ref,
});

export class PayoutsRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Saves a task's payout table. Saving the same table again (a resumed
   * settlement) changes nothing; saving a different one for a task that already
   * has a table is refused, because holders may already hold proofs of it.
   */
  async savePlan(taskId: string, lines: readonly NewPayout[]): Promise<PayoutRecord[]> {
    const existing = await this.listForTask(taskId);
    if (existing.length > 0) {
      const same =
        existing.length === lines.length &&
        lines.every((line) => {
          const saved = existing.find((row) => row.leafIndex === line.leafIndex);
          return (
            saved !== undefined &&
            saved.holderId === line.holderId &&
            saved.account === line.account &&
            saved.amount === line.amount &&
            saved.rail === line.rail
          );
        });
      if (!same) {
        throw new AgoraError("conflict", "Task already has a different payout table", {
          detail: `Task ${taskId} has ${existing.length} saved payouts that differ from the new plan.`,
        });
      }
      return existing;
    }
    if (lines.length === 0) return [];
    await this.#db
      .insertInto("payouts")
      .values(
        lines.map((line) => ({
          id: payoutId(taskId, line.leafIndex),
          task_id: taskId,
          holder_id: line.holderId,
          leaf_index: line.leafIndex,
          rail: line.rail,
          account: line.account,
          base_amount: moneyToColumn(line.base),
          bonus_amount: moneyToColumn(line.bonus),
          amount: moneyToColumn(line.amount),
        })),
      )
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
    return this.listForTask(taskId);
  }

  async listForTask(taskId: string): Promise<PayoutRecord[]> {
    const rows = await this.#db
      .selectFrom("payouts")
      .selectAll()
      .where("task_id", "=", taskId)
      .orderBy("leaf_index")
      .execute();
    return rows.map(toRecord);
  }

  async get(id: string): Promise<PayoutRecord> {
    const row = await this.#db
      .selectFrom("payouts")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) throw new AgoraError("not_found", "Payout not found", { detail: id });
    return toRecord(row);
  }

  /** Records how a payout was paid. Recording the same reference again is a no-op. */
  async markSent(id: string, externalRef: string): Promise<PayoutRecord> {
    const row = await this.#db
      .updateTable("payouts")
      .set({ status: "sent", external_ref: externalRef, updated_at: new Date() })
      .where("id", "=", id)
      .where((eb) => eb.or([eb("external_ref", "is", null), eb("external_ref", "=", externalRef)]))
      .returningAll()
      .executeTakeFirst();
    if (row) return toRecord(row);
    const current = await this.get(id);
    throw new AgoraError("conflict", "Payout already paid by another transfer", {
      detail: `${id} was paid by ${current.externalRef}, not ${externalRef}.`,
    });
  }

  /**
   * Records that a holder claimed its leaf on chain, by the claim's
   * transaction. A claim is final, so recording it again changes nothing.
   */
  async markClaimed(id: string, transactionHash: string): Promise<void> {
    await this.#db
      .updateTable("payouts")
      .set({ status: "claimed", external_ref: transactionHash, updated_at: new Date() })
      .where("id", "=", id)
      .where("status", "!=", "claimed")
      .execute();
  }

  async setStatus(id: string, status: PayoutStatus): Promise<void> {
    await this.#db
      .updateTable("payouts")
      .set({ status, updated_at: new Date() })
      .where("id", "=", id)
      .execute();
  }
}
