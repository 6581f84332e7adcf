/** Task statuses in the order of the contract's `TaskStatus` enum. */
export const TASK_STATUSES = [
  "none",
  "funded",
  "committed",
  "disputed",
  "finalized",
  "cancelled",
  "refunded",
] as const;

export type TaskStatus = (typeof TASK_STATUSES)[number];

/** The terms an owner funds a task with; mirrors the contract's `TaskTerms`. */
export interface TaskTerms {
  /** Hash of the off-chain terms; with the owner it identifies the task for idempotent creation. */
  termsHash: string;
  coordinator: string;
  auditors: readonly string[];
  /** k of n auditors needed to finalise a payout root. */
  threshold: number;
  /** Deposit in the token's minor units. */
  budget: bigint;
  /** Unix seconds; the owner may cancel before this, unless an agreement is anchored. */
  trainingStartsAt: number;
  /** Unix seconds; with no commit by then the whole deposit can be reclaimed. */
  commitDeadline: number;
  /** Seconds after a commit during which the payouts may be disputed. */
  challengeWindow: number;
}

/** A task as the contract reports it; mirrors `TaskView`. */
export interface EscrowTask {
  status: TaskStatus;
  threshold: number;
  attestations: number;
  auditorCount: number;
  challengeEndsAt: number;
  trainingStartsAt: number;
  commitDeadline: number;
  challengeWindow: number;
  commitNumber: number;
  remainderReclaimed: boolean;
  /** Whether payouts can be claimed now (final, or window passed undisputed). */
  claimable: boolean;
  owner: string;
  coordinator: string;
  deposit: bigint;
  committedTotal: bigint;
  claimed: bigint;
  payoutRoot: string;
  termsHash: string;
  agreementHash: string;
  reportHash: string;
}

/** One payout leaf and its proof, as `claim` and `claimMany` take them. */
export interface PayoutClaim {
  index: bigint;
  account: string;
  amount: bigint;
  proof: readonly string[];
}

export const ZERO_HASH = `0x${"0".repeat(64)}`;
