import type { Kysely, Selectable } from "kysely";
import { AgoraError } from "../../errors/agora-error.ts";
import { isForeignKeyViolation, isUniqueViolation } from "../database-errors.ts";
import { jsonValue } from "../json-value.ts";
import { moneyFromColumn, moneyToColumn } from "../money.ts";
import type { BidStatus, BidsTable, Database } from "../schema.ts";

/** A holder's signed, multi-attribute offer to train on a task. */
export interface BidRecord {
  id: string;
  taskId: string;
  holderId: string;
  price: bigint;
  samples: number;
  /** Label → share of the holder's samples (sums to 1). */
  labelCoverage: Record<string, number>;
  /** Measured training throughput, samples per second, at the bid's tier. */
  throughput: number;
  modelTier: number;
  epsilonCost: number;
  availableFrom: Date;
  availableUntil: Date;
  signerNonce: bigint;
  signature: string;
  /** EIP-712 digest of the signed bid: unique, so a replayed bid is refused. */
  digest: string;
  status: BidStatus;
  createdAt: Date;
}

export type NewBid = Omit<BidRecord, "status" | "createdAt">;

const toRecord = (row: Selectable<BidsTable>): BidRecord => ({
  id: row.id,
  taskId: row.task_id,
  holderId: row.holder_id,
  price: moneyFromColumn(row.price),
  samples: row.samples,
  labelCoverage: row.label_coverage,
  throughput: row.throughput,
  modelTier: row.model_tier,
  epsilonCost: row.epsilon_cost,
  availableFrom: row.available_from,
  availableUntil: row.available_until,
  signerNonce: moneyFromColumn(row.signer_nonce),
  signature: row.signature,
  digest: row.digest,
  status: row.status,
  createdAt: row.created_at,
});

const toRow = (bid: NewBid) => ({
  id: bid.id,
  task_id: bid.taskId,
  holder_id: bid.holderId,
  price: moneyToColumn(bid.price),
  samples: bid.samples,
  label_coverage: jsonValue(bid.labelCoverage),
  throughput: bid.throughput,
  model_tier: bid.modelTier,
  epsilon_cost: bid.epsilonCost,
  available_from: bid.availableFrom,
  available_until: bid.availableUntil,
  signer_nonce: moneyToColumn(bid.signerNonce),
  signature: bid.signature,
  digest: bid.digest,
});

const alreadyReceived = (bid: NewBid) =>
  new AgoraError("conflict", "Bid already received", {
    detail: `A bid with id ${bid.id} or digest ${bid.digest} exists; a signed bid counts once.`,
  });

export class BidsRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async insert(bid: NewBid): Promise<BidRecord> {
    try {
      const row = await this.#db
        .insertInto("bids")
        .values(toRow(bid))
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw alreadyReceived(bid);
      if (isForeignKeyViolation(error)) {
        throw new AgoraError("not_found", "Unknown task or holder", {
          detail: `Task ${bid.taskId} or holder ${bid.holderId} does not exist.`,
        });
      }
      throw error;
    }
  }

  /**
   * Inserts many bids in one statement, hence one commit: the group commit
   * behind high bid rates. Returns, in input order, each stored bid or the
   * conflict that kept it out (its id or digest exists, or repeats an
   * earlier bid of the same call). A bid naming an unknown task or holder
   * fails the whole statement; callers then fall back to `insert` per bid.
   */
  async insertMany(bids: readonly NewBid[]): Promise<(BidRecord | AgoraError)[]> {
    if (bids.length === 0) return [];
    const rows = await this.#db
      .insertInto("bids")
      .values(bids.map(toRow))
      .onConflict((conflict) => conflict.doNothing())
      .returningAll()
      .execute();
    const stored = new Map(rows.map((row) => [row.id, toRecord(row)]));
    const claimed = new Set<string>();
    return bids.map((bid) => {
      const record = stored.get(bid.id);
      // Two bids of one call with the same id: the row belongs to the first.
      if (record === undefined || record.digest !== bid.digest || claimed.has(bid.id))
        return alreadyReceived(bid);
      claimed.add(bid.id);
      return record;
    });
  }

  async listForTask(taskId: string, status?: BidStatus): Promise<BidRecord[]> {
    let query = this.#db.selectFrom("bids").selectAll().where("task_id", "=", taskId);
    if (status !== undefined) query = query.where("status", "=", status);
    const rows = await query.orderBy("created_at").orderBy("id").execute();
    return rows.map(toRecord);
  }

  /** Sets the outcome of many bids at once, e.g. winners `selected`, the rest `lost`. */
  async setStatus(ids: readonly string[], status: BidStatus): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.#db
      .updateTable("bids")
      .set({ status })
      .where("id", "in", ids)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}
