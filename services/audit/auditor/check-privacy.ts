import { composeEpsilon } from "../../market/privacy/privacy-composition.ts";
import { privacySpendOf } from "../../market/privacy/store-privacy-ledger.ts";
import { type CheckResult, checkResult, type Finding, skippedCheck } from "./audit-findings.ts";
import type { AuditInputs } from "./audit-inputs.ts";

/**
 * Float slack for ε comparisons: charges come out of an accountant's floating-point search, and a
 * bound met exactly must not fail on the last bit.
 */
const epsilonSlack = 1e-9;

/**
 * DP compliance per holder: the ε (and δ) charged for this task is within the agreement's privacy
 * bound, and everything the holder has spent, composed across all its tasks the way its own
 * guardian composes it, is within the holder's registered budget. A holder without a charge for
 * the task is a warning: it trained without differential privacy, or the charge was never booked.
 */
export function checkPrivacy(inputs: AuditInputs): CheckResult {
  if (inputs.agreements.length === 0) {
    return skippedCheck("privacy", "the task has no signed agreements");
  }
  const findings: Finding[] = [];
  const perHolder: Record<string, unknown> = {};
  for (const agreement of inputs.agreements) {
    const { holderId } = agreement;
    const charges = inputs.privacyCharges.get(holderId) ?? [];
    const charge = charges.find((row) => row.taskId === inputs.task.id);
    const bound = privacyBound(agreement.terms);
    const holder = inputs.holders.get(holderId);
    const spent =
      holder === undefined
        ? null
        : composeEpsilon(charges.map(privacySpendOf), holder.privacyDelta);
    perHolder[holderId] = {
      epsilon: charge?.epsilon ?? null,
      delta: charge?.delta ?? null,
      agreedEpsilon: bound?.epsilon ?? null,
      spentEpsilon: spent,
      budgetEpsilon: holder?.privacyEpsilon ?? null,
    };
    if (charge === undefined) {
      findings.push({
        severity: "warn",
        code: "privacy_charge_missing",
        holderId,
        message: "no privacy charge is recorded for this task",
      });
    } else if (bound === undefined) {
      findings.push({
        severity: "warn",
        code: "privacy_bound_missing",
        holderId,
        message: "the agreement names no privacy bound to check the charge against",
      });
    } else {
      if (charge.epsilon > bound.epsilon + epsilonSlack) {
        findings.push({
          severity: "fail",
          code: "epsilon_above_agreement",
          holderId,
          message: `charged ε = ${charge.epsilon}, the agreement allows ${bound.epsilon}`,
        });
      }
      if (bound.delta !== undefined && charge.delta > bound.delta) {
        findings.push({
          severity: "fail",
          code: "delta_above_agreement",
          holderId,
          message: `charged δ = ${charge.delta}, the agreement allows ${bound.delta}`,
        });
      }
    }
    if (holder === undefined) {
      findings.push({
        severity: "fail",
        code: "holder_unknown",
        holderId,
        message: "the holder of a signed agreement is not registered",
      });
    } else if (spent !== null && spent > holder.privacyEpsilon + epsilonSlack) {
      findings.push({
        severity: "fail",
        code: "epsilon_above_budget",
        holderId,
        message: `ε spent across ${charges.length} task(s) composes to ${spent}, above the holder's budget ${holder.privacyEpsilon}`,
      });
    }
  }
  return checkResult(
    "privacy",
    `${inputs.agreements.length} holder(s) checked against their agreement and their own budget`,
    findings,
    { holders: perHolder },
  );
}

function privacyBound(
  terms: Record<string, unknown>,
): { epsilon: number; delta?: number } | undefined {
  const privacy = terms.privacy as { epsilon?: unknown; delta?: unknown } | undefined;
  if (typeof privacy?.epsilon !== "number") return undefined;
  return typeof privacy.delta === "number"
    ? { epsilon: privacy.epsilon, delta: privacy.delta }
    : { epsilon: privacy.epsilon };
}
