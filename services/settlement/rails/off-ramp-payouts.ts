import type { Kysely } from "kysely";
import type Stripe from "stripe";
import { AgoraError } from "../../errors/agora-error.ts";
import { inTransaction } from "../../store/in-transaction.ts";
import type { PayoutRecord } from "../../store/repositories/payouts-repository.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import { createRepositories } from "../../store/repositories.ts";
import type { Database } from "../../store/schema.ts";
import { offRampPayoutEntry } from "../ledger/off-ramp-entries.ts";
import { type PaidOut, sandboxLabel } from "./payment-rail.ts";
import { createPayoutTransfer } from "./stripe/stripe-payouts.ts";

interface OffRampPaidOut extends PaidOut {
  rail: "stripe" | "sandbox";
}

/**
 * Pays a chain task's fiat holders out of the coordinator's off-ramp leaf,
 * each on its own rail, idempotent per payout id:
 * - stripe: a Connect transfer keyed by the payout id (a repeat returns the
 *   first transfer), booked under the transfer id;
 * - sandbox: no money at all, booked under `sandbox-<payoutId>` with the
 *   sandbox label in the memo.
 * A payout already marked sent is skipped; the ledger entry and the mark are
 * written together, so a crash between them leaves neither.
 */
export async function payOffRampedFiat(
  deps: { db: Kysely<Database>; stripe?: Stripe | undefined },
  task: Pick<TaskRecord, "id" | "currency">,
  payouts: readonly PayoutRecord[],
): Promise<OffRampPaidOut[]> {
  const paid: OffRampPaidOut[] = [];
  for (const payout of payouts) {
    if (payout.rail === "chain" || payout.amount === 0n) continue;
    const rail = payout.rail;
    if (payout.externalRef !== null) {
      paid.push({ payoutId: payout.id, reference: payout.externalRef, rail });
      continue;
    }
    let reference: string;
    if (rail === "stripe") {
      if (deps.stripe === undefined) {
        throw new AgoraError("unavailable", "Stripe is not configured", {
          detail: `Holder ${payout.holderId} is paid through Stripe; set STRIPE_SECRET_KEY.`,
        });
      }
      reference = (await createPayoutTransfer(deps.stripe, task.currency, payout)).id;
    } else {
      reference = `sandbox-${payout.id}`;
    }
    await inTransaction(deps.db, async (trx) => {
      const repos = createRepositories(trx);
      await repos.ledger.post(
        offRampPayoutEntry({
          fiatRail: rail,
          taskId: task.id,
          holderId: payout.holderId,
          currency: task.currency,
          amount: payout.amount,
          reference,
          payoutId: payout.id,
          ...(rail === "sandbox" && { label: sandboxLabel }),
        }),
      );
      await repos.payouts.markSent(payout.id, reference);
    });
    paid.push({ payoutId: payout.id, reference, rail });
  }
  return paid;
}
