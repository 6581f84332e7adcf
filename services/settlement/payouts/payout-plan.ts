import { AgoraError } from "../../errors/agora-error.ts";
import { splitByLargestRemainder } from "./largest-remainder.ts";

/** What the audit found about a participant, which decides what the agreement pays it. */
export type ParticipantStanding = "contributor" | "free_rider" | "attacker";

export interface PayoutParticipant {
  holderId: string;
  /** The agreed base price, minor units. */
  basePrice: bigint;
  /** Task-level contribution score (e.g. summed GTG-Shapley). Negative counts as zero. */
  contribution: number;
  standing: ParticipantStanding;
}

/**
 * The payout rule an agreement names. Defaults, and why:
 * - contributors: base price plus a share of the bonus pool proportional to
 *   their non-negative contribution;
 * - free riders (updates that did not improve the model, or copies of the
 *   global model): the base price is forfeited by default (`freeRiderBase:
 *   "forfeit"`), because the base pays for training that did not happen; an
 *   agreement may promise it anyway (`"pay"`). Never any bonus.
 * - attackers (updates a robust rule or the auditor flagged as adversarial):
 *   nothing.
 * Whatever is not paid stays in escrow and returns to the owner on reclaim.
 */
export interface PayoutRule {
  freeRiderBase: "pay" | "forfeit";
}

export const defaultPayoutRule: PayoutRule = { freeRiderBase: "forfeit" };

export interface PayoutLine {
  holderId: string;
  base: bigint;
  bonus: bigint;
  amount: bigint;
  standing: ParticipantStanding;
  /** Share of the bonus pool, for reports (0..1). */
  bonusShare: number;
}

export interface PayoutPlan {
  lines: PayoutLine[];
  /** Sum of `amount` over all lines; never above the budget. */
  total: bigint;
  /** What stays for the owner: budget minus total. */
  remainder: bigint;
}

/**
 * Contribution scores are floats; the split needs integer weights. Scaling by
 * 2^40 keeps about 12 significant digits, far finer than any score's accuracy,
 * and the split itself is then exact.
 */
const weightScale = 2 ** 40;

/**
 * Turns contributions into a payout table: the agreed base price plus a bonus
 * pool split by contribution, exact in minor units, within the budget.
 *
 * `bonusPool` defaults to everything the base prices leave of the budget.
 */
export function planPayouts(input: {
  budget: bigint;
  participants: readonly PayoutParticipant[];
  bonusPool?: bigint;
  rule?: PayoutRule;
}): PayoutPlan {
  const rule = input.rule ?? defaultPayoutRule;
  const seen = new Set<string>();
  for (const participant of input.participants) {
    if (seen.has(participant.holderId)) {
      throw new AgoraError("invalid", "Duplicate participant", { detail: participant.holderId });
    }
    seen.add(participant.holderId);
    if (participant.basePrice < 0n) {
      throw new AgoraError("invalid", "Negative base price", { detail: participant.holderId });
    }
    if (!Number.isFinite(participant.contribution)) {
      throw new AgoraError("invalid", "Contribution is not a finite number", {
        detail: participant.holderId,
      });
    }
  }

  const baseOf = (participant: PayoutParticipant): bigint =>
    participant.standing === "contributor" ||
    (participant.standing === "free_rider" && rule.freeRiderBase === "pay")
      ? participant.basePrice
      : 0n;
  const promisedBase = input.participants.reduce((sum, p) => sum + p.basePrice, 0n);
  if (promisedBase > input.budget) {
    throw new AgoraError("invalid", "Base prices exceed the budget", {
      detail: `Agreed base prices sum to ${promisedBase}, the budget is ${input.budget}.`,
    });
  }
  const bonusPool = input.bonusPool ?? input.budget - promisedBase;
  if (bonusPool < 0n || promisedBase + bonusPool > input.budget) {
    throw new AgoraError("invalid", "Bonus pool exceeds the budget", {
      detail: `Base ${promisedBase} plus bonus ${bonusPool} is more than ${input.budget}.`,
    });
  }

  const eligible = input.participants.filter((p) => p.standing === "contributor");
  const maxScore = Math.max(0, ...eligible.map((p) => p.contribution));
  const weights = eligible.map((p) => ({
    key: p.holderId,
    weight:
      maxScore > 0
        ? BigInt(Math.round((Math.max(0, p.contribution) / maxScore) * weightScale))
        : 0n,
  }));
  const weightOf = new Map(weights.map((w) => [w.key, w.weight]));
  const weightSum = weights.reduce((sum, w) => sum + w.weight, 0n);
  // With no positive contribution there is nothing to reward: the pool stays with the owner.
  const bonuses = splitByLargestRemainder(weightSum > 0n ? bonusPool : 0n, weights);

  const lines = input.participants.map((participant): PayoutLine => {
    const base = baseOf(participant);
    const bonus = bonuses.get(participant.holderId) ?? 0n;
    const weight = weightOf.get(participant.holderId) ?? 0n;
    return {
      holderId: participant.holderId,
      base,
      bonus,
      amount: base + bonus,
      standing: participant.standing,
      bonusShare: weightSum > 0n ? Number(weight) / Number(weightSum) : 0,
    };
  });
  const total = lines.reduce((sum, line) => sum + line.amount, 0n);
  return { lines, total, remainder: input.budget - total };
}
