import { type CheckResult, checkResult, type Finding, skippedCheck } from "./audit-findings.ts";
import type { AuditInputs } from "./audit-inputs.ts";

/**
 * Free riders: holders whose task-level contribution is zero or negative (their updates did not
 * improve the model, or they sent none). Such a holder paid any bonus fails the audit, and so
 * does any holder paid at all without a single on-time update: money for training that never
 * happened.
 */
export function checkFreeRiders(
  inputs: AuditInputs,
  totals: ReadonlyMap<string, number>,
): CheckResult {
  if (inputs.payouts.length === 0) return skippedCheck("free-riders", "no payout table is stored");
  const findings: Finding[] = [];
  const trained = new Set(inputs.updates.map((update) => update.holderId));
  const freeRiders: string[] = [];
  for (const line of inputs.payouts) {
    const contribution = totals.get(line.holderId) ?? 0;
    if (contribution <= 0) {
      freeRiders.push(line.holderId);
      if (line.bonus > 0n) {
        findings.push({
          severity: "fail",
          code: "free_rider_bonus",
          holderId: line.holderId,
          message: `contributed ${contribution} yet is paid a bonus of ${line.bonus}`,
        });
      }
    }
    if (line.amount > 0n && !trained.has(line.holderId)) {
      findings.push({
        severity: "fail",
        code: "paid_without_update",
        holderId: line.holderId,
        message: `paid ${line.amount} without a single on-time update in any round`,
      });
    }
  }
  return checkResult(
    "free-riders",
    `${freeRiders.length} holder(s) with no positive contribution`,
    findings,
    { freeRiders },
  );
}
