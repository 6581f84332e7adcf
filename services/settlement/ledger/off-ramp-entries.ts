import type { JournalEntry } from "../../store/repositories/ledger-repository.ts";
import { cashAccount, escrowAccount, holderPaidAccount, legs } from "./accounts.ts";

/**
 * A chain task's fiat holders are paid through the platform: the coordinator
 * claims the off-ramp leaf out of the escrow (escrow → off-ramp), then pays
 * each fiat holder on its rail (off-ramp → holder). `task:<id>:offramp`
 * (liability) is what the platform still owes those holders; it is zero once
 * all of them are paid.
 */
export const offRampAccount = (taskId: string): string => `task:${taskId}:offramp`;

/**
 * The coordinator claimed the off-ramp leaf: the escrow owes that much less,
 * the platform owes it to the task's fiat holders instead. The coins stay
 * the platform's on-chain cash (now in the coordinator's wallet) until they
 * pay a holder. Reference: the claim's `transactionHash:logIndex`.
 */
export function offRampClaimEntry(input: {
  taskId: string;
  currency: string;
  amount: bigint;
  reference: string;
}): JournalEntry {
  return {
    id: `offramp-${input.reference}`,
    kind: "off-ramp",
    reference: input.reference,
    taskId: input.taskId,
    memo: `coordinator claimed the off-ramp leaf of ${input.taskId} for its fiat holders`,
    postings: legs(
      escrowAccount(input.taskId),
      offRampAccount(input.taskId),
      input.currency,
      input.amount,
    ),
  };
}

/**
 * A fiat holder of a chain task was paid out of the off-ramp: the platform
 * owes it nothing more, the claimed coins are spent, and the holder's memo
 * account records the receipt (against the clearing leg every payout uses).
 * Reference: the fiat rail's id (a Stripe transfer, or `sandbox-<payoutId>`).
 */
export function offRampPayoutEntry(input: {
  fiatRail: "stripe" | "sandbox";
  taskId: string;
  holderId: string;
  currency: string;
  amount: bigint;
  reference: string;
  payoutId: string;
  /** Shown in the memo, e.g. the sandbox label. */
  label?: string;
}): JournalEntry {
  return {
    id: `pay-${input.reference}`,
    kind: "payout",
    reference: input.reference,
    taskId: input.taskId,
    memo: `${input.fiatRail} payout ${input.payoutId} to ${input.holderId} from the chain off-ramp${input.label === undefined ? "" : ` (${input.label})`}`,
    postings: [
      ...legs(offRampAccount(input.taskId), cashAccount("chain"), input.currency, input.amount),
      ...legs(holderPaidAccount(input.holderId), "clearing:paid", input.currency, input.amount),
    ],
  };
}
