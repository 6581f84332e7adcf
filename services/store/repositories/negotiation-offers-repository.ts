import type { Kysely, Selectable } from "kysely";
import { moneyFromColumn, moneyToColumn } from "../money.ts";
import type { Database, NegotiationOffersTable } from "../schema.ts";

/** One move of an alternating-offer negotiation over one bid. */
export interface NegotiationOfferRecord {
  taskId: string;
  bidId: string;
  /** 0, 1, 2, …: the orchestrator moves on even steps, the guardian on odd ones. */
  step: number;
  party: "orchestrator" | "guardian";
  action: "offer" | "counter" | "accept" | "reject";
  /** The price on the table; null for a rejection. */
  price: bigint | null;
  createdAt: Date;
}

export type NewNegotiationOffer = Omit<NegotiationOfferRecord, "createdAt">;

const toRecord = (row: Selectable<NegotiationOffersTable>): NegotiationOfferRecord => ({
  taskId: row.task_id,
  bidId: row.bid_id,
  step: row.step,
  party: row.party,
  action: row.action,
  price: row.price === null ? null : moneyFromColumn(row.price),
  createdAt: row.created_at,
});

export class NegotiationOffersRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Appends moves; a move already stored (same bid and step) is kept as it was, so a retry is harmless. */
  async append(offers: readonly NewNegotiationOffer[]): Promise<void> {
    if (offers.length === 0) return;
    await this.#db
      .insertInto("negotiation_offers")
      .values(
        offers.map((offer) => ({
          task_id: offer.taskId,
          bid_id: offer.bidId,
          step: offer.step,
          party: offer.party,
          action: offer.action,
          price: offer.price === null ? null : moneyToColumn(offer.price),
        })),
      )
      .onConflict((conflict) => conflict.columns(["bid_id", "step"]).doNothing())
      .execute();
  }

  async listForTask(taskId: string): Promise<NegotiationOfferRecord[]> {
    const rows = await this.#db
      .selectFrom("negotiation_offers")
      .selectAll()
      .where("task_id", "=", taskId)
      .orderBy("bid_id")
      .orderBy("step")
      .execute();
    return rows.map(toRecord);
  }

  async listForBids(bidIds: readonly string[]): Promise<NegotiationOfferRecord[]> {
    if (bidIds.length === 0) return [];
    const rows = await this.#db
      .selectFrom("negotiation_offers")
      .selectAll()
      .where("bid_id", "in", bidIds)
      .orderBy("bid_id")
      .orderBy("step")
      .execute();
    return rows.map(toRecord);
  }
}
