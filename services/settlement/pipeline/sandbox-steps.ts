import { refundEntry } from "../ledger/accounts.ts";
import { sandboxLabel } from "../rails/payment-rail.ts";
import { SandboxRail } from "../rails/sandbox-rail.ts";
import { done, type SettlementStep } from "./settlement-step.ts";

/**
 * The sandbox rail, used where no Stripe keys are configured: the same ledger
 * entries as a real rail, under `sandbox-` references, and no money at all.
 */
export const sandboxSteps: readonly SettlementStep[] = [
  {
    name: "paid",
    async run({ deps, repos, task }) {
      const paid = await new SandboxRail(deps.db).payOut(
        task,
        await repos.payouts.listForTask(task.id),
      );
      return done({ label: sandboxLabel, paid: paid.length });
    },
  },
  {
    // The remainder goes back to the owner, on paper: keyed by the task, so once.
    name: "refunded",
    async run({ repos, task }) {
      const payouts = await repos.payouts.listForTask(task.id);
      const paid = payouts.reduce((sum, payout) => sum + payout.amount, 0n);
      const remainder = task.budget - paid;
      if (remainder > 0n) {
        await repos.ledger.post(
          refundEntry({
            rail: "sandbox",
            taskId: task.id,
            owner: task.ownerAddress,
            currency: task.currency,
            amount: remainder,
            reference: `sandbox-refund-${task.id}`,
          }),
        );
      }
      return done({ label: sandboxLabel, refunded: remainder.toString() });
    },
  },
];
