import { AgoraError } from "../../errors/agora-error.ts";
import { chainLeavesOf, type LeafSource } from "../../settlement/merkle/chain-leaves.ts";
import { buildPayoutTree } from "../../settlement/merkle/payout-tree.ts";
import {
  defaultPayoutRule,
  type PayoutPlan,
  type PayoutRule,
  planPayouts,
} from "../../settlement/payouts/payout-plan.ts";
import { standingFrom } from "../../settlement/pipeline/task-contributions.ts";
import { type CheckResult, checkResult, type Finding } from "./audit-findings.ts";
import { type AuditInputs, payoutMethodOf } from "./audit-inputs.ts";
import { baseOnlyHoldersOf } from "./base-only-holders.ts";
import { recomputedFlags } from "./recomputed-flags.ts";

/** What the escrow holds for the task, when it settles on chain. */
export interface CommittedPayouts {
  root: string;
  total: bigint;
  /** Who the off-ramp leaf of fiat-rail holders pays: the escrow task's coordinator. */
  offRampAccount?: string;
}

/** The payout rule of the agreements: `freeRiderBase: "pay"` only if every agreement says so. */
export function payoutRuleOf(agreements: AuditInputs["agreements"]): PayoutRule {
  const pays = agreements.length > 0 && agreements.every((a) => a.terms.freeRiderBase === "pay");
  return pays ? { freeRiderBase: "pay" } : defaultPayoutRule;
}

/**
 * Rebuilds the payout table from the stored contributions and agreements with the planner,
 * compares it line by line with the stored table, then builds the Merkle root of both and compares
 * them with the root committed on chain. On a chain task with fiat-rail holders both trees end in
 * the off-ramp leaf: their sum, paid to the escrow task's coordinator.
 */
export function checkPayouts(
  inputs: AuditInputs,
  totals: ReadonlyMap<string, number>,
  committed: CommittedPayouts | null,
  method: string | undefined = payoutMethodOf(inputs.contributions),
): { result: CheckResult; plan: PayoutPlan | null } {
  const findings: Finding[] = [];
  const metrics: Record<string, unknown> = {};
  // Flag mismatches are the free-rider check's findings; here only the standings count.
  const flags = recomputedFlags(inputs.contributions.filter((row) => row.method === method));
  const baseOnly = baseOnlyHoldersOf(inputs);
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
          // As settlement decides it, from the flags recomputed from each round's evidence.
          standing: standingFrom(
            flags.get(agreement.holderId) ?? new Set(),
            contribution,
            totals.has(agreement.holderId),
            baseOnly.has(agreement.holderId),
          ),
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
    const storedTree = treeOf(inputs.payouts, committed.offRampAccount, findings, "stored");
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
      const rebuiltTree = treeOf(
        rebuiltLines(plan, inputs),
        committed.offRampAccount,
        findings,
        "rebuilt",
      );
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

/**
 * The rebuilt table's lines, laid out like the stored one (same accounts, rails and positions) so
 * that equal amounts give an equal root; holders the stored table lacks go last, on their
 * registered rail and payout account.
 */
function rebuiltLines(plan: PayoutPlan, inputs: AuditInputs): LeafSource[] {
  const stored = new Map(inputs.payouts.map((line) => [line.holderId, line]));
  return plan.lines.map((line) => {
    const saved = stored.get(line.holderId);
    const holder = inputs.holders.get(line.holderId);
    return {
      holderId: line.holderId,
      leafIndex: saved?.leafIndex ?? Number.MAX_SAFE_INTEGER,
      rail: saved?.rail ?? holder?.payoutRail ?? inputs.task.rail,
      account: saved?.account ?? holder?.payoutAccount ?? "",
      amount: line.amount,
    };
  });
}

/**
 * The Merkle tree of a table's lines, laid out as settlement commits it (`chainLeavesOf`): one
 * leaf per paid chain line at its own index, then the off-ramp leaf with the fiat lines' sum.
 */
function treeOf(
  lines: readonly LeafSource[],
  offRampAccount: string | undefined,
  findings: Finding[],
  which: string,
) {
  try {
    const { leaves } = chainLeavesOf(lines, offRampAccount);
    return buildPayoutTree(leaves);
  } catch (error) {
    const misplaced = error instanceof AgoraError && error.message.includes("numbered");
    findings.push({
      severity: "fail",
      code: misplaced && which === "stored" ? "leaf_index_gap" : `${which}_table_invalid`,
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
