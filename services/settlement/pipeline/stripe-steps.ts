import type Stripe from "stripe";
import { AgoraError } from "../../errors/agora-error.ts";
import { reconcileStripeTransfers } from "../rails/stripe/stripe-reconciliation.ts";
import { refundRemainderByStripe } from "../rails/stripe/stripe-refunds.ts";
import { StripeRail } from "../rails/stripe-rail.ts";
import type { SettlementDependencies } from "./settlement-dependencies.ts";
import { done, type SettlementStep } from "./settlement-step.ts";

function stripeOf(deps: SettlementDependencies): Stripe {
  if (deps.stripe === undefined) {
    throw new AgoraError("unavailable", "Stripe is not configured", {
      detail: "A Stripe task settles only where STRIPE_SECRET_KEY is set.",
    });
  }
  return deps.stripe;
}

/**
 * Fiat through Stripe: one Connect transfer per payout, keyed by the payout id
 * (a repeat returns the first transfer), each booked under its transfer id;
 * then the task's transfers are reconciled against the ledger; then what
 * the payouts leave of the budget is refunded to the owner's payment, once
 * (see `refundRemainderByStripe`), which discharges the task's escrow.
 */
export const stripeSteps: readonly SettlementStep[] = [
  {
    name: "paid",
    async run({ deps, repos, task }) {
      const paid = await new StripeRail(stripeOf(deps), deps.db).payOut(
        task,
        await repos.payouts.listForTask(task.id),
      );
      return done({ transfers: paid.map((p) => p.reference) });
    },
  },
  {
    // Repairs bookkeeping a crash left behind; anything it cannot explain
    // stops settlement for a person to look at, with the report kept.
    name: "reconciled",
    async run({ deps, repos, task }) {
      const report = await reconcileStripeTransfers(
        { stripe: stripeOf(deps), payouts: repos.payouts, ledger: repos.ledger },
        task.id,
        task.currency,
      );
      if (report.discrepancies.length > 0) {
        throw new AgoraError("conflict", "Stripe transfers do not reconcile", {
          detail: report.discrepancies.join("; "),
        });
      }
      return done({ reconciliation: report });
    },
  },
  {
    name: "refunded",
    async run({ deps, repos, task }) {
      const payouts = await repos.payouts.listForTask(task.id);
      const remainder = task.budget - payouts.reduce((sum, payout) => sum + payout.amount, 0n);
      const refund = await refundRemainderByStripe(
        { stripe: stripeOf(deps), db: deps.db },
        task,
        remainder,
      );
      return done({
        refund:
          refund === null
            ? null
            : {
                id: refund.refundId,
                paymentIntent: refund.paymentIntentId,
                amount: remainder.toString(),
              },
      });
    },
  },
];
