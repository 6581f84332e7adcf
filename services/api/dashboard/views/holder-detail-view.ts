import { AgoraError } from "../../../errors/agora-error.ts";
import {
  type DashboardHolderPayout,
  DashboardHoldersRepository,
} from "../../../store/repositories/dashboard-holders-repository.ts";
import { DashboardTasksRepository } from "../../../store/repositories/dashboard-tasks-repository.ts";
import type { Rail } from "../../../store/schema.ts";
import type { ApiDependencies } from "../../dependencies.ts";
import { moneyView } from "./money-view.ts";

interface EarningsTotals {
  currency: string;
  rail: Rail;
  earned: bigint;
  paid: bigint;
  pending: bigint;
  failed: bigint;
}

/**
 * Earnings per currency and rail, so sandbox money is never added to real
 * money: earned is everything not failed, paid is what left the rail (sent
 * or claimed), pending is planned or committed but not yet paid.
 */
function earningsOf(payouts: readonly DashboardHolderPayout[]): EarningsTotals[] {
  const groups = new Map<string, EarningsTotals>();
  for (const payout of payouts) {
    const key = `${payout.currency}\u0000${payout.rail}`;
    const group = groups.get(key) ?? {
      currency: payout.currency,
      rail: payout.rail,
      earned: 0n,
      paid: 0n,
      pending: 0n,
      failed: 0n,
    };
    if (payout.status === "failed") {
      group.failed += payout.amount;
    } else {
      group.earned += payout.amount;
      if (payout.status === "sent" || payout.status === "claimed") group.paid += payout.amount;
      else group.pending += payout.amount;
    }
    groups.set(key, group);
  }
  return [...groups.values()].sort(
    (a, b) => a.currency.localeCompare(b.currency) || a.rail.localeCompare(b.rail),
  );
}

/** Everything the holder page shows: earnings, privacy budget left, and the tasks it joined. */
export async function holderDetailView(deps: ApiDependencies, holderId: string) {
  const holdersRepository = new DashboardHoldersRepository(deps.database.db);
  const holder = (await holdersRepository.publicProfiles([holderId])).get(holderId);
  if (holder === undefined) {
    throw new AgoraError("not_found", "Holder not found", { detail: `Holder ${holderId}.` });
  }
  const repos = deps.market.repos;
  const [payouts, charges, proposals, spent] = await Promise.all([
    holdersRepository.payouts(holder.id),
    repos.privacyCharges.listForHolder(holder.id),
    repos.agreementProposals.listForHolder(holder.id),
    deps.market.privacyLedger.spent(holder.id, holder.privacyDelta),
  ]);
  const tasks = await new DashboardTasksRepository(deps.database.db).briefs([
    ...charges.map((charge) => charge.taskId),
    ...proposals.map((proposal) => proposal.taskId),
  ]);

  return {
    holder: {
      id: holder.id,
      address: holder.address,
      payoutRail: holder.payoutRail,
      registeredAt: holder.createdAt.toISOString(),
    },
    earnings: earningsOf(payouts).map((group) => ({
      currency: group.currency,
      rail: group.rail,
      sandbox: group.rail === "sandbox",
      earned: moneyView(group.earned, group.currency),
      paid: moneyView(group.paid, group.currency),
      pending: moneyView(group.pending, group.currency),
      failed: moneyView(group.failed, group.currency),
    })),
    payouts: payouts.map((payout) => ({
      taskId: payout.taskId,
      taskName: payout.taskName,
      taskStatus: payout.taskStatus,
      rail: payout.rail,
      sandbox: payout.rail === "sandbox",
      base: moneyView(payout.base, payout.currency),
      bonus: moneyView(payout.bonus, payout.currency),
      amount: moneyView(payout.amount, payout.currency),
      status: payout.status,
      updatedAt: payout.updatedAt.toISOString(),
    })),
    privacy: {
      budget: holder.privacyEpsilon,
      delta: holder.privacyDelta,
      // Composed across tasks by the holder's own privacy ledger, the one its guardian consults.
      spent,
      left: Math.max(0, holder.privacyEpsilon - spent),
      charges: charges.map((charge) => ({
        taskId: charge.taskId,
        taskName: tasks.get(charge.taskId)?.name ?? null,
        epsilon: charge.epsilon,
        delta: charge.delta,
        chargedAt: charge.createdAt.toISOString(),
      })),
    },
    tasks: proposals.map((proposal) => {
      const task = tasks.get(proposal.taskId);
      const tier = proposal.terms.modelTier;
      return {
        taskId: proposal.taskId,
        taskName: task?.name ?? null,
        taskStatus: task?.status ?? null,
        modelTier: typeof tier === "number" ? tier : null,
        agreedPrice: task === undefined ? null : moneyView(proposal.price, task.currency),
      };
    }),
  };
}
