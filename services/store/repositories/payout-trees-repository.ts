import type { ColumnType, Kysely, Selectable } from "kysely";
import { AgoraError } from "../../errors/agora-error.ts";
import { jsonValue } from "../json-value.ts";
import { moneyFromColumn, moneyToColumn } from "../money.ts";
import type { Database } from "../schema.ts";

/** The `payout_trees` table (migration 0004), kept beside its only repository. */
export interface PayoutTreesTable {
  task_id: string;
  root: string;
  total: ColumnType<string, string, string>;
  dump: ColumnType<Record<string, unknown>, unknown, unknown>;
  escrow: string;
  chain_id: ColumnType<string, string, string>;
  chain_task_id: ColumnType<string, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

/** A task's Merkle payout tree and the escrow task it pays out of. */
export interface PayoutTreeRecord {
  taskId: string;
  root: string;
  total: bigint;
  /** The `@openzeppelin/merkle-tree` standard-v1 dump; load it with `loadPayoutTree`. */
  dump: Record<string, unknown>;
  escrow: string;
  chainId: bigint;
  chainTaskId: bigint;
}

const toRecord = (row: Selectable<PayoutTreesTable>): PayoutTreeRecord => ({
  taskId: row.task_id,
  root: row.root,
  total: moneyFromColumn(row.total),
  dump: row.dump,
  escrow: row.escrow,
  chainId: BigInt(row.chain_id),
  chainTaskId: BigInt(row.chain_task_id),
});

export class PayoutTreesRepository {
  readonly #db: Kysely<Database & { payout_trees: PayoutTreesTable }>;

  constructor(db: Kysely<Database>) {
    this.#db = db.withTables<{ payout_trees: PayoutTreesTable }>();
  }

  /**
   * Stores a task's tree once. Saving the same root again (a resumed
   * settlement) returns the stored tree; another root for the same task is
   * refused, because holders may already hold proofs of the first.
   */
  async save(tree: PayoutTreeRecord): Promise<PayoutTreeRecord> {
    await this.#db
      .insertInto("payout_trees")
      .values({
        task_id: tree.taskId,
        root: tree.root.toLowerCase(),
        total: moneyToColumn(tree.total),
        dump: jsonValue(tree.dump),
        escrow: tree.escrow.toLowerCase(),
        chain_id: tree.chainId.toString(),
        chain_task_id: tree.chainTaskId.toString(),
      })
      .onConflict((oc) => oc.column("task_id").doNothing())
      .execute();
    const stored = await this.find(tree.taskId);
    if (stored === undefined || stored.root !== tree.root.toLowerCase()) {
      throw new AgoraError("conflict", "Task already has a different payout tree", {
        detail: `Task ${tree.taskId} committed root ${stored?.root}, not ${tree.root}.`,
      });
    }
    return stored;
  }

  async find(taskId: string): Promise<PayoutTreeRecord | undefined> {
    const row = await this.#db
      .selectFrom("payout_trees")
      .selectAll()
      .where("task_id", "=", taskId)
      .executeTakeFirst();
    return row && toRecord(row);
  }
}
