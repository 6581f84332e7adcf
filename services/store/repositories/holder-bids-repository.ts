import type { Kysely } from "kysely";
import { moneyFromColumn } from "../money.ts";
import type { BidStatus, Database } from "../schema.ts";

/** A holder's own view of its bids: which task, what price, where each stands. */
export interface HolderBidSummary {
  id: string;
  taskId: string;
  price: bigint;
  status: BidStatus;
  createdAt: Date;
}

export class HolderBidsRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async listForHolder(holderId: string, limit = 500): Promise<HolderBidSummary[]> {
    const rows = await this.#db
      .selectFrom("bids")
      .select(["id", "task_id", "price", "status", "created_at"])
      .where("holder_id", "=", holderId)
      .orderBy("created_at", "desc")
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      taskId: row.task_id,
      price: moneyFromColumn(row.price),
      status: row.status,
      createdAt: row.created_at,
    }));
  }
}
