import type { PayoutRecord } from "../../store/repositories/payouts-repository.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";

/** How the owner completes funding on a rail. */
export type FundingInstructions =
  | { rail: "stripe"; paymentIntentId: string; clientSecret: string }
  | { rail: "sandbox"; reference: string; label: typeof sandboxLabel }
  | { rail: "chain"; escrow: string; token: string; amount: bigint };

export interface PaidOut {
  payoutId: string;
  /** The rail's own id for the movement: transfer id, transaction hash, sandbox reference. */
  reference: string;
}

/**
 * One way money moves in and out of a task. Funding is two-step on real
 * rails (instructions now, confirmation later from the rail itself); payouts
 * are idempotent per payout id on every rail.
 */
export interface PaymentRail {
  readonly kind: "stripe" | "sandbox" | "chain";
  startFunding(task: TaskRecord): Promise<FundingInstructions>;
  payOut(task: TaskRecord, payouts: readonly PayoutRecord[]): Promise<PaidOut[]>;
}

/** Shown wherever sandbox money appears, so nobody mistakes it for real money. */
export const sandboxLabel = "SANDBOX — ledger only, no real money moved";
