import { gini } from "../../market/mechanism/selection-bias.ts";
import { type CheckResult, checkResult, type Finding, skippedCheck } from "./audit-findings.ts";
import { type AuditInputs, payoutMethodOf } from "./audit-inputs.ts";
import { spearman } from "./rank-statistics.ts";
import { recomputedFlags } from "./recomputed-flags.ts";

/**
 * Largest-remainder rounding may hand one holder one minor unit more than a holder with a
 * slightly larger contribution; anything beyond that is not rounding.
 */
const roundingSlack = 1n;

/**
 * Payout against contribution, over what is actually stored to be paid. Among holders no round
 * flagged, bonuses must rise with contribution (any pair where more contribution earned a
 * smaller bonus fails); Spearman's rank
 * correlation of bonus with contribution and the Gini coefficients of payouts and of
 * contributions are published so readers can see how concentrated each is.
 */
export function checkFairness(
  inputs: AuditInputs,
  totals: ReadonlyMap<string, number>,
  method: string | undefined = payoutMethodOf(inputs.contributions),
): CheckResult {
  const lines = inputs.payouts;
  if (lines.length === 0) return skippedCheck("fairness", "no payout table is stored");
  const findings: Finding[] = [];
  const contributionOf = (holderId: string) => totals.get(holderId) ?? 0;
  // A holder a round flagged (free rider, attacker) forfeits the bonus whatever its score: the
  // free-rider check judges those flags, so only unflagged holders are compared here.
  const flagged = recomputedFlags(inputs.contributions.filter((row) => row.method === method));
  const rewarded = lines.filter(
    (line) => contributionOf(line.holderId) > 0 && (flagged.get(line.holderId)?.size ?? 0) === 0,
  );
  for (const a of rewarded) {
    for (const b of rewarded) {
      if (
        contributionOf(a.holderId) > contributionOf(b.holderId) &&
        a.bonus + roundingSlack < b.bonus
      ) {
        findings.push({
          severity: "fail",
          code: "bonus_not_monotone",
          holderId: a.holderId,
          message: `contributed ${contributionOf(a.holderId)} but got bonus ${a.bonus}, less than ${b.holderId}'s ${b.bonus} for ${contributionOf(b.holderId)}`,
        });
      }
    }
  }
  const contributions = lines.map((line) => contributionOf(line.holderId));
  const bonuses = lines.map((line) => Number(line.bonus));
  const amounts = lines.map((line) => Number(line.amount));
  const rankCorrelation = spearman(contributions, bonuses);
  if (rankCorrelation !== null && rankCorrelation < 0) {
    findings.push({
      severity: "warn",
      code: "bonus_against_contribution",
      message: `bonuses fall as contributions rise (Spearman ${rankCorrelation.toFixed(3)})`,
    });
  }
  const payoutGini = gini(amounts);
  const contributionGini = gini(contributions.map((value) => Math.max(0, value)));
  return checkResult(
    "fairness",
    `Spearman(contribution, bonus) ${rankCorrelation === null ? "undefined" : rankCorrelation.toFixed(3)}; Gini of payouts ${payoutGini.toFixed(3)}, of contributions ${contributionGini.toFixed(3)}`,
    findings,
    { spearman: rankCorrelation, payoutGini, contributionGini, holders: lines.length },
  );
}
