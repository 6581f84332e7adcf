import type Stripe from "stripe";
import type { LedgerRepository } from "../../../store/repositories/ledger-repository.ts";
import type { PayoutsRepository } from "../../../store/repositories/payouts-repository.ts";
import { payoutEntry } from "../../ledger/accounts.ts";
import { payoutIdMetadataKey } from "./stripe-payouts.ts";

export interface ReconciliationReport {
  taskId: string;
  /** Transfers Stripe has for the task. */
  transfers: number;
  /** Ledger entries or payout marks that were missing and have been written now. */
  repaired: string[];
  /** Problems a person must look at: they are reported, never auto-fixed. */
  discrepancies: string[];
}

/**
 * Compares what Stripe says was transferred for a task with the ledger and
 * the payout table. Missing bookkeeping for a real transfer is repaired (it
 * is idempotent: the transfer id is the ledger reference); anything else
 * (a transfer no payout explains, an amount that differs, a payout marked
 * sent that Stripe does not know) is reported as a discrepancy.
 */
export async function reconcileStripeTransfers(
  deps: {
    stripe: Stripe;
    payouts: Pick<PayoutsRepository, "listForTask" | "markSent">;
    ledger: Pick<LedgerRepository, "post">;
  },
  taskId: string,
  currency: string,
): Promise<ReconciliationReport> {
  const report: ReconciliationReport = { taskId, transfers: 0, repaired: [], discrepancies: [] };
  const payouts = new Map((await deps.payouts.listForTask(taskId)).map((p) => [p.id, p]));
  const seen = new Set<string>();
  for await (const transfer of deps.stripe.transfers.list({ transfer_group: taskId, limit: 100 })) {
    report.transfers += 1;
    const payoutId = transfer.metadata?.[payoutIdMetadataKey];
    const payout = payoutId === undefined ? undefined : payouts.get(payoutId);
    if (!payout) {
      report.discrepancies.push(`transfer ${transfer.id} matches no payout`);
      continue;
    }
    seen.add(payout.id);
    if (BigInt(transfer.amount) !== payout.amount || transfer.destination !== payout.account) {
      report.discrepancies.push(
        `transfer ${transfer.id} sent ${transfer.amount} to ${String(transfer.destination)}; payout ${payout.id} is ${payout.amount} to ${payout.account}`,
      );
      continue;
    }
    const posted = await deps.ledger.post(
      payoutEntry({
        rail: "stripe",
        taskId,
        holderId: payout.holderId,
        currency,
        amount: payout.amount,
        reference: transfer.id,
        payoutId: payout.id,
      }),
    );
    if (posted) report.repaired.push(`ledger entry for ${transfer.id}`);
    if (payout.externalRef !== transfer.id) {
      await deps.payouts.markSent(payout.id, transfer.id);
      report.repaired.push(`payout ${payout.id} marked sent`);
    }
  }
  for (const payout of payouts.values()) {
    if (payout.rail === "stripe" && payout.externalRef !== null && !seen.has(payout.id)) {
      report.discrepancies.push(
        `payout ${payout.id} is marked paid by ${payout.externalRef}, unknown to Stripe`,
      );
    }
  }
  return report;
}
