import type { JournalEntry, Posting } from "../../store/repositories/ledger-repository.ts";

/**
 * The ledger's chart of accounts, seen from the platform:
 * - `rail:<rail>:cash` (asset): money Agora holds on a rail (Stripe balance,
 *   or the sandbox's pretend balance). Debit when it comes in, credit when it leaves.
 * - `task:<id>:escrow` (liability): what Agora owes out of a funded task.
 *   Credit when the owner funds it, debit as payouts and refunds go out.
 * - `suspense:<rail>` (liability): money received that matches no task.
 * - `holder:<id>:paid` and `owner:<address>:refunded` (memo accounts of
 *   what each party received), so balances per party are one query.
 *
 * Every builder below returns a balanced entry whose `reference` is the
 * rail's own id for the movement, which makes posting it idempotent.
 */
export type LedgerRail = "stripe" | "sandbox" | "chain";

export const cashAccount = (rail: LedgerRail): string => `rail:${rail}:cash`;
export const escrowAccount = (taskId: string): string => `task:${taskId}:escrow`;
export const holderPaidAccount = (holderId: string): string => `holder:${holderId}:paid`;
export const ownerRefundedAccount = (owner: string): string =>
  `owner:${owner.toLowerCase()}:refunded`;

/** Two legs moving `amount` into `debit` out of `credit`: balanced by construction. */
export const legs = (
  debit: string,
  credit: string,
  currency: string,
  amount: bigint,
): Posting[] => [
  { account: debit, currency, amount },
  { account: credit, currency, amount: -amount },
];

/** The owner's money arrived on the rail and now backs the task's escrow. */
export function fundingEntry(input: {
  rail: LedgerRail;
  taskId: string;
  currency: string;
  amount: bigint;
  reference: string;
}): JournalEntry {
  return {
    id: `fund-${input.reference}`,
    kind: "funding",
    reference: input.reference,
    taskId: input.taskId,
    memo: `${input.rail} funding of ${input.taskId}`,
    postings: legs(
      cashAccount(input.rail),
      escrowAccount(input.taskId),
      input.currency,
      input.amount,
    ),
  };
}

/** Money arrived that matches no task's terms: held in suspense for an operator. */
export function suspenseEntry(input: {
  rail: LedgerRail;
  currency: string;
  amount: bigint;
  reference: string;
}): JournalEntry {
  return {
    id: `suspense-${input.reference}`,
    kind: "suspense",
    reference: input.reference,
    memo: `unmatched ${input.rail} receipt`,
    postings: legs(cashAccount(input.rail), `suspense:${input.rail}`, input.currency, input.amount),
  };
}

/**
 * A payout left the rail for a holder. Four legs: the escrow liability and
 * the cash both go down, and the holder's memo account records receipt
 * against a matching clearing leg so the entry still balances.
 */
export function payoutEntry(input: {
  rail: LedgerRail;
  taskId: string;
  holderId: string;
  currency: string;
  amount: bigint;
  reference: string;
  payoutId: string;
}): JournalEntry {
  return {
    id: `pay-${input.reference}`,
    kind: "payout",
    reference: input.reference,
    taskId: input.taskId,
    memo: `${input.rail} payout ${input.payoutId} to ${input.holderId}`,
    postings: [
      ...legs(escrowAccount(input.taskId), cashAccount(input.rail), input.currency, input.amount),
      ...legs(holderPaidAccount(input.holderId), "clearing:paid", input.currency, input.amount),
    ],
  };
}

/**
 * What the payouts left of a task's budget went back to its owner (the
 * escrow's `reclaim`, or the sandbox's pretend refund). Shaped like a payout:
 * escrow and cash go down, the owner's memo account records the receipt.
 */
export function refundEntry(input: {
  rail: LedgerRail;
  taskId: string;
  owner: string;
  currency: string;
  amount: bigint;
  reference: string;
}): JournalEntry {
  return {
    id: `refund-${input.reference}`,
    kind: "refund",
    reference: input.reference,
    taskId: input.taskId,
    memo: `${input.rail} remainder of ${input.taskId} returned to its owner`,
    postings: [
      ...legs(escrowAccount(input.taskId), cashAccount(input.rail), input.currency, input.amount),
      ...legs(ownerRefundedAccount(input.owner), "clearing:refunded", input.currency, input.amount),
    ],
  };
}
