import { type CheckResult, checkResult, type Finding, skippedCheck } from "./audit-findings.ts";
import { type AuditInputs, payoutMethodOf } from "./audit-inputs.ts";
import { baseOnlyHoldersOf } from "./base-only-holders.ts";
import { recomputedFlags } from "./recomputed-flags.ts";

/**
 * Free riders and attackers. A free rider is a holder whose task-level contribution is zero or
 * negative (its updates did not improve the model, or it sent none) or whom a round's standing
 * flags as one (it sent the global model back, or a copy); an attacker is one a round flags so
 * (its update was rejected as an outlier by the robust rule, or clearly harmed the model).
 * A never-scored holder that the plan never invited, or whose on-time updates all went to failed
 * rounds, is neither (see base-only.ts): it is owed its base and no bonus.
 * Fails: a free rider or such a holder paid any bonus, an attacker paid anything, any other
 * holder paid without a single on-time update, and a round whose stored flags do not follow from its stored evidence and
 * scores under the stored thresholds (the flags are recomputed here, not trusted).
 */
export function checkFreeRiders(
  inputs: AuditInputs,
  totals: ReadonlyMap<string, number>,
  method: string | undefined = payoutMethodOf(inputs.contributions),
): CheckResult {
  if (inputs.payouts.length === 0) return skippedCheck("free-riders", "no payout table is stored");
  const findings: Finding[] = [];
  const flagged = recomputedFlags(
    inputs.contributions.filter((row) => row.method === method),
    findings,
  );
  const trained = new Set(inputs.updates.map((update) => update.holderId));
  const baseOnly = baseOnlyHoldersOf(inputs);
  const freeRiders: string[] = [];
  const attackers: string[] = [];
  for (const line of inputs.payouts) {
    const contribution = totals.get(line.holderId) ?? 0;
    const flags = flagged.get(line.holderId) ?? new Set<string>();
    if (flags.has("attacker")) {
      attackers.push(line.holderId);
      if (line.amount > 0n) {
        findings.push({
          severity: "fail",
          code: "attacker_paid",
          holderId: line.holderId,
          message: `flagged as an attacker yet is paid ${line.amount}`,
        });
      }
    } else if (baseOnly.has(line.holderId)) {
      // Owed its base for participation nobody could score; the bonus is for measured contribution.
      if (line.bonus > 0n) {
        findings.push({
          severity: "fail",
          code: "base_only_bonus",
          holderId: line.holderId,
          message: `${baseOnly.get(line.holderId)?.replaceAll("_", " ")} yet is paid a bonus of ${line.bonus}`,
        });
      }
    } else if (contribution <= 0 || flags.has("free_rider")) {
      freeRiders.push(line.holderId);
      if (line.bonus > 0n) {
        findings.push({
          severity: "fail",
          code: "free_rider_bonus",
          holderId: line.holderId,
          message: `contributed ${contribution}${flags.has("free_rider") ? " and is flagged a free rider" : ""} yet is paid a bonus of ${line.bonus}`,
        });
      }
    }
    if (
      line.amount > 0n &&
      !trained.has(line.holderId) &&
      baseOnly.get(line.holderId) !== "never_invited"
    ) {
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
    `${freeRiders.length} free rider(s), ${attackers.length} attacker(s)`,
    findings,
    { freeRiders, attackers },
  );
}
