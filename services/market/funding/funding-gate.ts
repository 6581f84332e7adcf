import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";

/** Proof that a task's budget is locked, from whichever rail locked it. */
export interface FundingConfirmation {
  /** Which gate confirmed it, e.g. `sandbox`, `chain`, `stripe`. */
  gate: string;
  /** The external event that proves it: a deposit transaction, a payment intent, a ledger entry. */
  reference: string;
  amount: bigint;
  /** On the chain rail: the escrow's id of the task holding the deposit, as 32-byte hex. */
  chainTaskId?: string;
}

/**
 * Confirms that a task's budget is locked before bidding opens ("no bids are
 * taken for an unfunded task"). One implementation per rail: the sandbox one
 * here; the escrow-deposit and Stripe-webhook ones belong to settlement.
 * Implementations must be idempotent: confirming twice gives the same answer
 * and locks the money once.
 */
export interface FundingGate {
  /** Throws an AgoraError (409 / 503) when the funding is not (yet) confirmed. */
  confirm(task: TaskRecord): Promise<FundingConfirmation>;
}
