import { AgoraError } from "../../../errors/agora-error.ts";
import { escrowAccount } from "../../../settlement/ledger/accounts.ts";
import { DashboardHoldersRepository } from "../../../store/repositories/dashboard-holders-repository.ts";
import { DashboardTasksRepository } from "../../../store/repositories/dashboard-tasks-repository.ts";
import type { PayoutRecord } from "../../../store/repositories/payouts-repository.ts";
import type { PayoutStatus, Rail } from "../../../store/schema.ts";
import type { ApiDependencies } from "../../dependencies.ts";
import { moneyView } from "./money-view.ts";

/**
 * When a task was scored by several methods, the page shows one: exact
 * Shapley where it was affordable, else its GTG approximation, else
 * leave-one-out. The response names every method that scored the task.
 */
const preferredMethods = ["exact-shapley", "gtg-shapley", "leave-one-out"];

const paidStatuses: ReadonlySet<PayoutStatus> = new Set(["sent", "claimed"]);

const numberOr = (value: unknown, fallback: number | null): number | null =>
  typeof value === "number" && Number.isFinite(value) ? value : fallback;

/** Totals per holder for each scoring method, summed over rounds. */
function contributionTotals(rows: { holderId: string; method: string; score: number }[]) {
  const byMethod = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const totals = byMethod.get(row.method) ?? new Map<string, number>();
    totals.set(row.holderId, (totals.get(row.holderId) ?? 0) + row.score);
    byMethod.set(row.method, totals);
  }
  const methods = [...byMethod.keys()].sort();
  const method = preferredMethods.find((name) => byMethod.has(name)) ?? methods[0] ?? null;
  const totals = (method === null ? undefined : byMethod.get(method)) ?? new Map<string, number>();
  return { methods, method, totals };
}

function settlementOf(budget: bigint, payouts: readonly PayoutRecord[]) {
  const byStatus: Record<PayoutStatus, number> = {
    planned: 0,
    committed: 0,
    sent: 0,
    claimed: 0,
    failed: 0,
  };
  // Per rail, so sandbox amounts are never summed with real money where they are read.
  const byRail = new Map<Rail, { lines: number; allocated: bigint; paid: bigint }>();
  let allocated = 0n;
  for (const payout of payouts) {
    byStatus[payout.status] += 1;
    allocated += payout.amount;
    const rail = byRail.get(payout.rail) ?? { lines: 0, allocated: 0n, paid: 0n };
    rail.lines += 1;
    rail.allocated += payout.amount;
    if (paidStatuses.has(payout.status)) rail.paid += payout.amount;
    byRail.set(payout.rail, rail);
  }
  return { byStatus, byRail, allocated, remainder: budget - allocated };
}

/**
 * Everything the task page shows: accuracy per round, the participants with
 * their model tier, contribution, payout and ε, and where settlement stands.
 * Drafts are not public, so a draft reads as not found.
 */
export async function taskDetailView(deps: ApiDependencies, taskId: string) {
  const repos = deps.market.repos;
  const task = await repos.tasks.find(taskId);
  if (task === undefined || task.status === "draft") {
    throw new AgoraError("not_found", "Task not found", { detail: `No public task ${taskId}.` });
  }
  const dashboard = new DashboardTasksRepository(deps.database.db);
  const [rounds, proposals, selectedBids, activity, contributions, payouts, charges, escrow] =
    await Promise.all([
      repos.rounds.listForTask(task.id),
      repos.agreementProposals.listForTask(task.id),
      repos.bids.listForTask(task.id, "selected"),
      dashboard.holderActivity(task.id),
      repos.contributions.forTask(task.id),
      repos.payouts.listForTask(task.id),
      dashboard.privacyCharges(task.id),
      repos.ledger.balance(escrowAccount(task.id), task.currency),
    ]);

  const holderIds = [
    ...new Set([
      ...proposals.map((row) => row.holderId),
      ...activity.map((row) => row.holderId),
      ...payouts.map((row) => row.holderId),
      ...charges.map((row) => row.holderId),
      ...contributions.map((row) => row.holderId),
    ]),
  ].sort();
  const holders = await new DashboardHoldersRepository(deps.database.db).publicProfiles(holderIds);
  const proposalOf = new Map(proposals.map((row) => [row.holderId, row]));
  const bidOf = new Map(selectedBids.map((bid) => [bid.holderId, bid]));
  const activityOf = new Map(activity.map((row) => [row.holderId, row]));
  const payoutOf = new Map(payouts.map((row) => [row.holderId, row]));
  const chargeOf = new Map(charges.map((row) => [row.holderId, row]));
  const scores = contributionTotals(contributions);
  const money = (amount: bigint) => moneyView(amount, task.currency);
  const spec = task.spec as { model?: { name?: unknown }; rounds?: unknown; privacy?: unknown };
  const privacyBound = spec.privacy as { epsilon?: unknown; delta?: unknown } | undefined;
  const settlement = settlementOf(task.budget, payouts);

  return {
    task: {
      id: task.id,
      name: typeof spec.model?.name === "string" ? spec.model.name : null,
      status: task.status,
      rail: task.rail,
      ownerAddress: task.ownerAddress,
      budget: money(task.budget),
      roundsPlanned: numberOr(spec.rounds, null),
      privacyBound: {
        epsilon: numberOr(privacyBound?.epsilon, null),
        delta: numberOr(privacyBound?.delta, null),
      },
      termsHash: task.termsHash,
      chainTaskId: task.chainTaskId,
      deadline: task.deadline.toISOString(),
      createdAt: task.createdAt.toISOString(),
    },
    rounds: rounds.map((round) => ({
      round: round.round,
      status: round.status,
      strategy: round.strategy,
      accuracy: round.accuracy,
      loss: round.loss,
      openedAt: round.openedAt.toISOString(),
      closedAt: round.closedAt?.toISOString() ?? null,
    })),
    contributionMethods: scores.methods,
    contributionMethod: scores.method,
    participants: holderIds.map((holderId) => {
      const holder = holders.get(holderId);
      const proposal = proposalOf.get(holderId);
      const payout = payoutOf.get(holderId);
      const charge = chargeOf.get(holderId);
      const trained = activityOf.get(holderId);
      return {
        holderId,
        address: holder?.address ?? null,
        payoutRail: holder?.payoutRail ?? null,
        modelTier: numberOr(proposal?.terms.modelTier, bidOf.get(holderId)?.modelTier ?? null),
        agreedPrice: proposal === undefined ? null : money(proposal.price),
        signed:
          proposal !== undefined &&
          proposal.ownerSignature !== null &&
          proposal.holderSignature !== null,
        roundsTrained: trained?.roundsTrained ?? 0,
        lateUpdates: trained?.lateUpdates ?? 0,
        backends: trained?.backends ?? [],
        contribution: scores.totals.get(holderId) ?? null,
        payout:
          payout === undefined
            ? null
            : {
                rail: payout.rail,
                sandbox: payout.rail === "sandbox",
                base: money(payout.base),
                bonus: money(payout.bonus),
                amount: money(payout.amount),
                status: payout.status,
              },
        privacy: charge === undefined ? null : { epsilon: charge.epsilon, delta: charge.delta },
      };
    }),
    settlement: {
      taskStatus: task.status,
      payoutLines: payouts.length,
      byStatus: settlement.byStatus,
      allocated: money(settlement.allocated),
      remainder: money(settlement.remainder),
      // The escrow account is a liability: credits (negative) are what the task still holds.
      heldInEscrow: money(-escrow),
      /** The task was funded on the sandbox rail: its budget and escrow are ledger-only. */
      sandbox: task.rail === "sandbox",
      byRail: [...settlement.byRail.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([rail, totals]) => ({
          rail,
          sandbox: rail === "sandbox",
          lines: totals.lines,
          allocated: money(totals.allocated),
          paid: money(totals.paid),
        })),
    },
  };
}
