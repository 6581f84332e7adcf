import type { AgoraError } from "../../errors/agora-error.ts";
import type { BidRecord, NewBid } from "../../store/repositories/bids-repository.ts";
import type { BidWriter } from "./audited-bid-writes.ts";

export interface BidGroupCommitOptions {
  /** Most bids written by one statement. Default: 256. */
  maxBatch?: number;
  /** Statements in flight at once; keep below the connection pool size. Default: 2. */
  maxInFlight?: number;
}

interface Pending {
  bid: NewBid;
  resolve(record: BidRecord): void;
  reject(error: unknown): void;
}

/**
 * Group commit for incoming bids. Each bid that arrives while earlier ones
 * are being written waits for the next statement, which writes all waiting
 * bids as one multi-row insert and one commit. Under load that turns N
 * round trips and N WAL flushes into one; alone, a bid is written on the
 * next turn of the event loop, as before.
 *
 * Durability is unchanged: `write` resolves only after the statement that
 * holds its row has committed, and each caller gets its own outcome (its
 * stored row or its own conflict), never a neighbour's.
 */
export class BidGroupCommit {
  readonly #bids: BidWriter;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  #waiting: Pending[] = [];
  #inFlight = 0;
  #scheduled = false;

  constructor(bids: BidWriter, options: BidGroupCommitOptions = {}) {
    this.#bids = bids;
    this.#maxBatch = options.maxBatch ?? 256;
    this.#maxInFlight = options.maxInFlight ?? 2;
  }

  /** Stores `bid` durably; rejects with the same errors as `BidsRepository.insert`. */
  write(bid: NewBid): Promise<BidRecord> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ bid, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.#maxInFlight || this.#waiting.length === 0)
      return;
    this.#scheduled = true;
    // One macrotask of delay lets the bids whose requests arrived together join one statement.
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#inFlight >= this.#maxInFlight || this.#waiting.length === 0) return;
    const batch = this.#waiting.splice(0, this.#maxBatch);
    this.#inFlight++;
    this.#writeBatch(batch).finally(() => {
      this.#inFlight--;
      this.#schedule();
    });
    this.#schedule();
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    let outcomes: (BidRecord | AgoraError)[];
    try {
      outcomes = await this.#bids.insertMany(batch.map((pending) => pending.bid));
    } catch {
      // A bad bid (unknown task or holder) sinks the whole statement: write
      // each on its own so that only that bid fails, with its own error.
      await Promise.all(
        batch.map((pending) =>
          this.#bids.insert(pending.bid).then(pending.resolve, pending.reject),
        ),
      );
      return;
    }
    batch.forEach((pending, i) => {
      const outcome = outcomes[i] as BidRecord | AgoraError;
      if (outcome instanceof Error) pending.reject(outcome);
      else pending.resolve(outcome);
    });
  }
}
