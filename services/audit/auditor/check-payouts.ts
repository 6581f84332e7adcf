import { AgoraError } from "../../errors/agora-error.ts";
import { buildPayoutTree } from "../../settlement/merkle/payout-tree.ts";
import {
  defaultPayoutRule,
  type PayoutPlan,
  type PayoutRule,
  planPayouts,
} from "../../settlement/payouts/payout-plan.ts";
import type { PayoutRecord } from "../../store/repositories/payouts-repository.ts";
import { type CheckResult, checkResult, type Finding } from "./audit-findings.ts";
import type { AuditInputs } from "./audit-inputs.ts";

/** What the escrow holds for the task, when it settles on chain. */
export interface CommittedPayouts {
  root: string;
  total: bigint;
}

/**
 * The standing the auditor gives a holder: a positive task-level contribution makes a
 * contributor, anything else a free rider. Attackers are not told apart from the rows (the
 * robust aggregation's exclusions are not stored yet), so they are audited as free riders: both
 * get no bonus, and under the default rule neither gets the base.
 */
export const standingOf = (contribution: number) =>
  contribution > 0 ? ("contributor" as const) : ("free_rider" as const);

/** The payout rule of the agreements: `freeRiderBase: "pay"` only if every agreement says so. */
export function payoutRuleOf(agreements: AuditInputs["agreements"]): PayoutRule {
  const pays = agreements.length > 0 && agreements.every((a) => a.terms.freeRiderBase === "pay");
  return pays ? { freeRiderBase: "pay" } : defaultPayoutRule;
}

/**
 * Rebuilds the payout table from the stored contributions and agreements with the planner,
 * compares it line by line with the stored table, then builds the Merkle root of both and compares
 * them with the root committed on chain.
 */
export function checkPayouts(
  inputs: AuditInputs,
  totals: ReadonlyMap<string, number>,
  committed: CommittedPayouts | null,
): { result: CheckResult; plan: PayoutPlan | null } {
  const findings: Finding[] = [];
  const metrics: Record<string, unknown> = {};
  let plan: PayoutPlan | null = null;
  try {
    plan = planPayouts({
      budget: inputs.task.budget,
      participants: inputs.agreements.map((agreement) => {
        const contribution = totals.get(agreement.holderId) ?? 0;
        return {
          holderId: agreement.holderId,
          basePrice: agreement.price,
          contribution,
          standing: standingOf(contribution),
        };
      }),
      rule: payoutRuleOf(inputs.agreements),
    });
  } catch (error) {
    findings.push({
      severity: "fail",
      code: "payout_plan_impossible",
      message: `the planner refuses the stored agreements: ${describe(error)}`,
    });
  }
  const stored = new Map(inputs.payouts.map((line) => [line.holderId, line]));
  if (plan !== null) {
    metrics.rebuiltTotal = plan.total;
    for (const line of plan.lines) {
      const saved = stored.get(line.holderId);
      const savedAmounts = saved ?? { base: 0n, bonus: 0n, amount: 0n };
      if (
        savedAmounts.base !== line.base ||
        savedAmounts.bonus !== line.bonus ||
        savedAmounts.amount !== line.amount
      ) {
        findings.push({
          severity: "fail",
          code: "payout_mismatch",
          holderId: line.holderId,
          message: `stored base ${savedAmounts.base} + bonus ${savedAmounts.bonus} = ${savedAmounts.amount}; rebuilt base ${line.base} + bonus ${line.bonus} = ${line.amount}`,
        });
      }
    }
    const planned = new Set(plan.lines.map((line) => line.holderId));
    for (const line of inputs.payouts) {
      if (!planned.has(line.holderId) && line.amount > 0n) {
        findings.push({
          severity: "fail",
          code: "payout_without_agreement",
          holderId: line.holderId,
          message: `${line.amount} is paid to a holder with no signed agreement`,
        });
      }
    }
  }
  const storedTotal = inputs.payouts.reduce((sum, line) => sum + line.amount, 0n);
  metrics.storedTotal = storedTotal;
  metrics.budget = inputs.task.budget;
  if (storedTotal > inputs.task.budget) {
    findings.push({
      severity: "fail",
      code: "payouts_exceed_budget",
      message: `stored payouts total ${storedTotal}, above the budget ${inputs.task.budget}`,
    });
  }

  if (committed !== null) {
    metrics.committedRoot = committed.root;
    metrics.committedTotal = committed.total;
    const storedTree = treeOf(leafRows(inputs.payouts), findings, "stored");
    if (storedTree !== undefined) {
      metrics.storedRoot = storedTree.root;
      if (!sameHash(storedTree.root, committed.root)) {
        findings.push({
          severity: "fail",
          code: "stored_root_mismatch",
          message: `the stored payout table hashes to ${storedTree.root}, the escrow holds ${committed.root}`,
        });
      }
    }
    if (plan !== null) {
      const rebuiltTree = treeOf(rebuiltLeafRows(plan, inputs), findings, "rebuilt");
      if (rebuiltTree !== undefined) {
        metrics.rebuiltRoot = rebuiltTree.root;
        if (!sameHash(rebuiltTree.root, committed.root)) {
          findings.push({
            severity: "fail",
            code: "committed_root_mismatch",
            message: `the rebuilt payout table hashes to ${rebuiltTree.root}, the escrow holds ${committed.root}`,
          });
        }
      }
      if (plan.total !== committed.total) {
        findings.push({
          severity: "fail",
          code: "committed_total_mismatch",
          message: `the escrow committed ${committed.total}, the rebuilt table pays ${plan.total}`,
        });
      }
    }
  }
  const lines = plan?.lines.length ?? 0;
  const summary =
    committed === null
      ? `${lines} line(s) rebuilt and compared with the stored table (not settled on chain)`
      : `${lines} line(s) rebuilt; stored and rebuilt roots compared with the committed root`;
  return { result: checkResult("payouts", summary, findings, metrics), plan };
}

/** Leaves of the stored table: paid lines in leaf order; leaf i must carry index i to be claimable. */
function leafRows(payouts: readonly PayoutRecord[]): PayoutRecord[] {
  return payouts.filter((line) => line.amount > 0n).sort((a, b) => a.leafIndex - b.leafIndex);
}

/**
 * The rebuilt table's leaves, laid out like the stored one (same accounts, same order) so that
 * equal amounts give an equal root; holders the stored table lacks go last, paid to their
 * registered payout account.
 */
function rebuiltLeafRows(plan: PayoutPlan, inputs: AuditInputs): PayoutRecord[] {
  const stored = new Map(inputs.payouts.map((line) => [line.holderId, line]));
  return plan.lines
    .filter((line) => line.amount > 0n)
    .map((line) => {
      const saved = stored.get(line.holderId);
      return {
        id: saved?.id ?? line.holderId,
        taskId: inputs.task.id,
        holderId: line.holderId,
        leafIndex: saved?.leafIndex ?? Number.MAX_SAFE_INTEGER,
        rail: saved?.rail ?? inputs.task.rail,
        account: saved?.account ?? inputs.holders.get(line.holderId)?.payoutAccount ?? "",
        base: line.base,
        bonus: line.bonus,
        amount: line.amount,
        status: "planned" as const,
        externalRef: null,
      };
    })
    .sort((a, b) => a.leafIndex - b.leafIndex || a.holderId.localeCompare(b.holderId));
}

function treeOf(rows: readonly PayoutRecord[], findings: Finding[], which: string) {
  const misplaced = rows.findIndex((row, position) => row.leafIndex !== position);
  if (which === "stored" && misplaced >= 0) {
    findings.push({
      severity: "fail",
      code: "leaf_index_gap",
      holderId: rows[misplaced]?.holderId,
      message: `paid line ${misplaced} carries leaf index ${rows[misplaced]?.leafIndex}: its claim could never verify`,
    });
  }
  try {
    return buildPayoutTree(rows.map((row) => ({ account: row.account, amount: row.amount })));
  } catch (error) {
    findings.push({
      severity: "fail",
      code: `${which}_table_invalid`,
      message: `the ${which} payout table cannot form a payout tree: ${describe(error)}`,
    });
    return undefined;
  }
}

const sameHash = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

const describe = (error: unknown): string =>
  error instanceof AgoraError
    ? `${error.message}${error.detail === undefined ? "" : ` (${error.detail})`}`
    : error instanceof Error
      ? error.message
      : String(error);
