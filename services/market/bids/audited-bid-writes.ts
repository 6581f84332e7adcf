import type { Kysely } from "kysely";
import { bidsReceived } from "../../audit/audit-events.ts";
import { AuditLog } from "../../audit/audit-log.ts";
import type { AgoraError } from "../../errors/agora-error.ts";
import { inTransaction } from "../../store/in-transaction.ts";
import {
  type BidRecord,
  BidsRepository,
  type NewBid,
} from "../../store/repositories/bids-repository.ts";
import type { Database } from "../../store/schema.ts";

/** What `BidGroupCommit` writes through: a bids repository, or this audited writer. */
export type BidWriter = Pick<BidsRepository, "insert" | "insertMany">;

/**
 * Writes bids and their `bids.received` audit entry in one transaction: one
 * entry per task per statement, listing each stored bid's id, holder, price
 * and EIP-712 digest. Under load a statement holds hundreds of bids, so the
 * log grows by one entry (and one chain lock) per group commit, not per bid.
 */
export class AuditedBidWrites implements BidWriter {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  insertMany(bids: readonly NewBid[]): Promise<(BidRecord | AgoraError)[]> {
    return inTransaction(this.#db, async (trx) => {
      const outcomes = await new BidsRepository(trx).insertMany(bids);
      await logByTask(
        trx,
        outcomes.filter((outcome): outcome is BidRecord => !(outcome instanceof Error)),
      );
      return outcomes;
    });
  }

  insert(bid: NewBid): Promise<BidRecord> {
    return inTransaction(this.#db, async (trx) => {
      const stored = await new BidsRepository(trx).insert(bid);
      await logByTask(trx, [stored]);
      return stored;
    });
  }
}

async function logByTask(trx: Kysely<Database>, stored: readonly BidRecord[]): Promise<void> {
  const byTask = new Map<string, BidRecord[]>();
  for (const bid of stored) {
    const bids = byTask.get(bid.taskId);
    if (bids === undefined) byTask.set(bid.taskId, [bid]);
    else bids.push(bid);
  }
  const log = new AuditLog(trx);
  for (const [taskId, bids] of byTask) await log.append(...bidsReceived(taskId, bids));
}
