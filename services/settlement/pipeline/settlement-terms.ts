import { z } from "zod";
import { AgoraError } from "../../errors/agora-error.ts";
import type { AgreementRecord } from "../../store/repositories/agreements-repository.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import { defaultPayoutRule, type PayoutRule } from "../payouts/payout-plan.ts";

/**
 * The payout terms an agreement may spell out, beside its descriptive
 * `payoutRule` text. Each is optional; absent, the defaults apply:
 * - `freeRiderBase`: "forfeit" (default) or "pay" the base price to free riders;
 * - `bonusPool`: minor units shared by contribution; default, what the base
 *   prices leave of the budget;
 * - `contributionMethod`: the scores to pay by; default, per round the best
 *   method scored (see `preferredMethods`).
 * They may sit at the top of the terms or inside an object `payoutRule`.
 */
const payoutTermsSchema = z.object({
  freeRiderBase: z.enum(["pay", "forfeit"]).optional(),
  bonusPool: z
    .string()
    .regex(/^\d{1,78}$/, "a decimal string of minor units")
    .optional(),
  contributionMethod: z.string().min(1).max(64).optional(),
});

/** What settlement needs from a task's signed agreements. */
export interface SettlementTerms {
  /** One per signed agreement, ordered by holder id: who is paid and their base price. */
  holders: Array<{ holderId: string; basePrice: bigint }>;
  rule: PayoutRule;
  bonusPool: bigint | undefined;
  contributionMethod: string | undefined;
}

/**
 * Reads the payout terms every winner signed. All agreements of a task must
 * name the same rule, pool and method: one table pays everyone, so terms that
 * differ between holders cannot be honoured and are refused.
 */
export function settlementTermsOf(
  task: TaskRecord,
  agreements: readonly AgreementRecord[],
): SettlementTerms {
  if (agreements.length === 0) {
    throw new AgoraError("conflict", "Task has no signed agreements", {
      detail: `Task ${task.id} has nobody to pay; settle it only after agreements were signed.`,
    });
  }
  const parsed = agreements.map((agreement) => {
    const source =
      typeof agreement.terms.payoutRule === "object" && agreement.terms.payoutRule !== null
        ? agreement.terms.payoutRule
        : agreement.terms;
    const result = payoutTermsSchema.safeParse(source);
    if (!result.success) {
      throw new AgoraError("invalid", "Unreadable payout terms", {
        detail: `Agreement ${agreement.id}: ${result.error.issues.map((i) => i.message).join("; ")}`,
      });
    }
    return result.data;
  });
  const first = parsed[0] ?? {};
  const same = parsed.every(
    (terms) =>
      terms.freeRiderBase === first.freeRiderBase &&
      terms.bonusPool === first.bonusPool &&
      terms.contributionMethod === first.contributionMethod,
  );
  if (!same) {
    throw new AgoraError("conflict", "Agreements disagree on the payout rule", {
      detail: `The agreements of task ${task.id} name different free-rider rules, bonus pools or methods.`,
    });
  }
  return {
    holders: agreements.map((agreement) => ({
      holderId: agreement.holderId,
      basePrice: agreement.price,
    })),
    rule: {
      ...defaultPayoutRule,
      ...(first.freeRiderBase && { freeRiderBase: first.freeRiderBase }),
    },
    bonusPool: first.bonusPool === undefined ? undefined : BigInt(first.bonusPool),
    contributionMethod: first.contributionMethod,
  };
}
