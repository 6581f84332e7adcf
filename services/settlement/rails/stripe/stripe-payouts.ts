import type Stripe from "stripe";
import { AgoraError } from "../../../errors/agora-error.ts";
import type { LedgerRepository } from "../../../store/repositories/ledger-repository.ts";
import type {
  PayoutRecord,
  PayoutsRepository,
} from "../../../store/repositories/payouts-repository.ts";
import { payoutEntry } from "../../ledger/accounts.ts";
import { taskIdMetadataKey } from "./stripe-funding.ts";

export const payoutIdMetadataKey = "agora_payout_id";

/** The idempotency key of a payout's transfer: one payout, one transfer, however often retried. */
export const transferIdempotencyKey = (payoutId: string): string => `agora-payout-${payoutId}`;

export interface StripePayoutDependencies {
  stripe: Stripe;
  payouts: Pick<PayoutsRepository, "markSent">;
  ledger: Pick<LedgerRepository, "post">;
}

export interface StripePayoutResult {
  payoutId: string;
  transferId: string;
}

/**
 * Pays a task's Stripe payouts by Connect transfers, in three steps per
 * payout, each safe to repeat:
 * 1. create the transfer with an idempotency key derived from the payout id
 *    (Stripe returns the original transfer on a repeat);
 * 2. post the ledger entry, keyed by the transfer id (a repeat is a no-op);
 * 3. mark the payout sent.
 * A crash between any two steps is resumed by running the same call again:
 * nothing is paid twice and nothing is left unrecorded.
 */
/**
 * One Connect transfer for one payout, keyed by the payout's id: a retry
 * after a lost answer returns the transfer Stripe already made.
 */
export async function createPayoutTransfer(
  stripe: Stripe,
  currency: string,
  payout: PayoutRecord,
): Promise<Stripe.Transfer> {
  if (payout.amount > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new AgoraError("invalid", "Payout too large for Stripe", { detail: payout.id });
  }
  return stripe.transfers.create(
    {
      amount: Number(payout.amount),
      currency: currency.toLowerCase(),
      destination: payout.account,
      transfer_group: payout.taskId,
      metadata: { [taskIdMetadataKey]: payout.taskId, [payoutIdMetadataKey]: payout.id },
    },
    { idempotencyKey: transferIdempotencyKey(payout.id) },
  );
}

export async function payOutByStripe(
  deps: StripePayoutDependencies,
  currency: string,
  payouts: readonly PayoutRecord[],
): Promise<StripePayoutResult[]> {
  const results: StripePayoutResult[] = [];
  for (const payout of payouts) {
    if (payout.rail !== "stripe") continue;
    if (payout.amount === 0n) continue;
    const transfer = await createPayoutTransfer(deps.stripe, currency, payout);
    await deps.ledger.post(
      payoutEntry({
        rail: "stripe",
        taskId: payout.taskId,
        holderId: payout.holderId,
        currency,
        amount: payout.amount,
        reference: transfer.id,
        payoutId: payout.id,
      }),
    );
    await deps.payouts.markSent(payout.id, transfer.id);
    results.push({ payoutId: payout.id, transferId: transfer.id });
  }
  return results;
}
