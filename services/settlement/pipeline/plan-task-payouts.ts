import { keccak256, toUtf8Bytes } from "ethers";
import { canonicalJson } from "../../market/agreements/agreement-terms.ts";
import type {
  AgreementRecord,
  AgreementsRepository,
} from "../../store/repositories/agreements-repository.ts";
import type { ContributionRecord } from "../../store/repositories/contributions-repository.ts";
import type { NewPayout, PayoutRecord } from "../../store/repositories/payouts-repository.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import type { Repositories } from "../../store/repositories.ts";
import type { Rail } from "../../store/schema.ts";
import { baseOnlyHolders } from "../payouts/base-only.ts";
import { planPayouts } from "../payouts/payout-plan.ts";
import { payoutAccountOf, payoutRailOf } from "./payout-accounts.ts";
import { settlementTermsOf } from "./settlement-terms.ts";
import { taskContributions } from "./task-contributions.ts";

/**
 * The payout report: every input of the table and every line of it, so an
 * auditor can recompute the table. Its keccak-256 (over canonical JSON) is the
 * `reportHash` committed on chain with the root. JSON-safe: money as strings.
 */
export interface PayoutReport {
  format: "agora-payout-report-v1";
  taskId: string;
  rail: string;
  currency: string;
  budget: string;
  bonusPool: string;
  freeRiderBase: "pay" | "forfeit";
  methodByRound: Record<string, string>;
  lines: Array<{
    holderId: string;
    contribution: number;
    roundsScored: number;
    standing: string;
    base: string;
    bonus: string;
    amount: string;
    bonusShare: number;
  }>;
  total: string;
  remainder: string;
}

export const reportHashOf = (report: PayoutReport): string =>
  keccak256(toUtf8Bytes(canonicalJson(report)));

/** The evidence base-only.ts decides from, read from the stored rows. */
async function baseOnlyOf(
  repos: Repositories,
  signed: readonly AgreementRecord[],
  taskId: string,
  contributions: readonly ContributionRecord[],
) {
  const selection = await repos.taskSelections.find(taskId);
  return baseOnlyHolders({
    agreements: signed,
    plannedRounds: selection?.rounds,
    rounds: await repos.rounds.listForTask(taskId),
    updates: await repos.rounds.onTimeUpdatesOfTask(taskId),
    scored: new Set(contributions.map((row) => row.holderId)),
  });
}

/**
 * Turns the signed agreements and the stored contributions into the task's
 * payout rows. Deterministic (agreements and contributions are written once),
 * so a resumed settlement saves the same table and `savePlan` keeps the first.
 *
 * Lines are numbered paid-first (see `numberLines`), so the chain lines'
 * numbers are exactly their leaf indices in the task's Merkle tree.
 */
export async function planTaskPayouts(
  repos: Repositories,
  agreements: AgreementsRepository,
  task: TaskRecord,
): Promise<{ report: PayoutReport; payouts: PayoutRecord[] }> {
  const signed = await agreements.listForTask(task.id);
  const terms = settlementTermsOf(task, signed);
  const holderIds = terms.holders.map((holder) => holder.holderId);
  const stored = await repos.contributions.forTask(task.id);
  const contributions = taskContributions(
    holderIds,
    stored,
    terms.contributionMethod,
    new Set((await baseOnlyOf(repos, signed, task.id, stored)).keys()),
  );
  const plan = planPayouts({
    budget: task.budget,
    participants: terms.holders.map(({ holderId, basePrice }) => {
      const scored = contributions.byHolder.get(holderId);
      return {
        holderId,
        basePrice,
        contribution: scored?.total ?? 0,
        standing: scored?.standing ?? "free_rider",
      };
    }),
    ...(terms.bonusPool !== undefined && { bonusPool: terms.bonusPool }),
    rule: terms.rule,
  });
  const promisedBase = terms.holders.reduce((sum, holder) => sum + holder.basePrice, 0n);
  const report: PayoutReport = {
    format: "agora-payout-report-v1",
    taskId: task.id,
    rail: task.rail,
    currency: task.currency,
    budget: task.budget.toString(),
    bonusPool: (terms.bonusPool ?? task.budget - promisedBase).toString(),
    freeRiderBase: terms.rule.freeRiderBase,
    methodByRound: contributions.methodByRound,
    lines: plan.lines.map((line) => ({
      holderId: line.holderId,
      contribution: contributions.byHolder.get(line.holderId)?.total ?? 0,
      roundsScored: contributions.byHolder.get(line.holderId)?.roundsScored ?? 0,
      standing: line.standing,
      base: line.base.toString(),
      bonus: line.bonus.toString(),
      amount: line.amount.toString(),
      bonusShare: line.bonusShare,
    })),
    total: plan.total.toString(),
    remainder: plan.remainder.toString(),
  };

  const rows: NewPayout[] = [];
  for (const line of plan.lines) {
    const holder = await repos.holders.get(line.holderId);
    const rail = payoutRailOf(task.rail, holder);
    rows.push({
      taskId: task.id,
      holderId: line.holderId,
      leafIndex: 0,
      rail,
      account: payoutAccountOf(rail, holder),
      base: line.base,
      bonus: line.bonus,
      amount: line.amount,
    });
  }
  numberLines(rows, task.rail);
  return { report, payouts: await repos.payouts.savePlan(task.id, rows) };
}

/**
 * Numbers a table's lines, in holder order within each group: first the
 * chain-rail lines with a positive amount (0..k-1, their Merkle leaves); then,
 * on a chain task with fiat-rail holders, index k is left to the off-ramp
 * leaf (see `chainLeavesOf`) and the paid fiat lines follow from k+1; lines
 * with nothing to pay come last and never enter the tree. On a fiat task
 * every line is on one rail and paid lines simply come first.
 */
function numberLines(rows: NewPayout[], taskRail: Rail): void {
  const chainPaid = rows.filter((row) => row.amount > 0n && row.rail === "chain");
  const fiatPaid = rows.filter((row) => row.amount > 0n && row.rail !== "chain");
  const unpaid = rows.filter((row) => row.amount === 0n);
  let next = 0;
  for (const row of chainPaid) row.leafIndex = next++;
  if (taskRail === "chain" && fiatPaid.length > 0) next += 1;
  for (const row of fiatPaid) row.leafIndex = next++;
  for (const row of unpaid) row.leafIndex = next++;
}
