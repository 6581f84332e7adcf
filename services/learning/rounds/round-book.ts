/**
 * Durable bookkeeping of FL rounds: which updates arrived for (task, round),
 * stored once and counted once however often a train job is retried or
 * duplicated, and whether the round is closed. Implemented over Redis for
 * now; a PostgreSQL adapter (tables `rounds`, `updates`) implements the same
 * interface.
 */
export interface RoundKey {
  taskId: string;
  round: number;
}

/** Everything the aggregate step needs to know about a round, written when the round starts. */
export interface RoundPlan extends RoundKey {
  model: string;
  /** Content hash of the global model the round starts from. */
  globalModelHash: string;
  /** Holders asked to train (over-commit: may exceed `targetUpdates`). */
  holders: string[];
  /** Aggregate as soon as this many updates arrived (over-commit); defaults to all holders. */
  targetUpdates: number;
  /** Below this many updates by the deadline the round fails. */
  minUpdates: number;
  /** Unix ms; updates recorded later are dropped. */
  deadline: number;
  /** Strategy spec (see createStrategy). */
  strategy: unknown;
  startedAt: number;
}

export interface UpdateRecord {
  holderId: string;
  /** Content hash of the update blob (the trained sub-model weights). */
  updateHash: string;
  /** Model tier the update was trained at. */
  tier: number;
  samples: number;
  loss: number;
  trainSeconds: number;
  backend: string;
  /** Unix ms when the update was recorded. */
  receivedAt: number;
}

export interface FailureRecord {
  holderId: string;
  reason: string;
  at: number;
}

/** Result of a closed round, written once. */
export interface RoundResult extends RoundKey {
  status: "aggregated" | "failed";
  /** New global model (aggregated rounds). */
  modelHash?: string;
  participants: string[];
  dropped: string[];
  failures: FailureRecord[];
  accuracy?: number;
  loss?: number;
  reason?: string;
  aggregationSeconds: number;
  closedAt: number;
}

export type RecordOutcome = "recorded" | "duplicate" | "closed";

/** What recording an update did, counted by the store so no caller has to list the round. */
export interface RecordReceipt {
  outcome: RecordOutcome;
  /** Updates recorded for the round so far, this one included when it was recorded. */
  recorded: number;
  /** This update was recorded and the round now holds at least `targetUpdates` (over-commit quorum). */
  reachedTarget: boolean;
}

/** What a train job checks before it trains: its own earlier update, and whether the round closed. */
export interface HolderStanding {
  update?: UpdateRecord;
  closed: boolean;
}

/** What the aggregate step reads, atomically with closing the round: nothing can slip in between. */
export interface ClosedRound {
  /** True for the call that closed it. */
  closedNow: boolean;
  /** Sorted by holder id. */
  updates: UpdateRecord[];
  /** Sorted by holder id. */
  failures: FailureRecord[];
  /**
   * Holder ids in the order their updates were recorded: the order a running
   * aggregation folds them in, so closing the round again, or an auditor
   * redoing it, gets the same bits. Absent from a book that does not keep it
   * (then holder-id order is used).
   */
  arrivals?: string[];
}

/** An update just recorded, as announced to whoever watches the book. */
export interface UpdateArrival {
  key: RoundKey;
  /** Its place in the round's arrival order, from 1. */
  sequence: number;
  update: UpdateRecord;
}

export interface ArrivalWatch {
  stop(): Promise<void>;
}

export interface RoundBook {
  /** Writes the plan once; a second call with the same key keeps the first. */
  openRound(plan: RoundPlan): Promise<boolean>;
  getPlan(key: RoundKey): Promise<RoundPlan | undefined>;
  /** Idempotent: the first record for (task, round, holder) wins; refused once the round is closed. */
  recordUpdate(key: RoundKey, update: UpdateRecord): Promise<RecordReceipt>;
  getUpdate(key: RoundKey, holderId: string): Promise<UpdateRecord | undefined>;
  /** `getUpdate` and `isClosed` in one round trip. */
  standing(key: RoundKey, holderId: string): Promise<HolderStanding>;
  listUpdates(key: RoundKey): Promise<UpdateRecord[]>;
  /** Records a holder's final failure (after its retries); first one wins. */
  recordFailure(key: RoundKey, failure: FailureRecord): Promise<void>;
  listFailures(key: RoundKey): Promise<FailureRecord[]>;
  /** Closes the round to further updates; true for the call that closed it. */
  markClosed(key: RoundKey): Promise<boolean>;
  isClosed(key: RoundKey): Promise<boolean>;
  /** `markClosed`, `listUpdates` and `listFailures` as one atomic step. */
  closeAndCollect(key: RoundKey): Promise<ClosedRound>;
  /** Stores the result unless one exists; returns the stored one. */
  saveResult(result: RoundResult): Promise<RoundResult>;
  getResult(key: RoundKey): Promise<RoundResult | undefined>;
  /**
   * Calls `listener` for every update recorded from now on, in each round's
   * arrival order (every round of every task). Best effort: an announcement
   * can be missed (a reconnect), so a watcher gets a head start and never
   * the record. Optional: a book without notifications leaves it out.
   */
  watchArrivals?(listener: (arrival: UpdateArrival) => void): Promise<ArrivalWatch>;
}
