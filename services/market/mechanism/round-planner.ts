import { gini } from "./selection-bias.ts";

/**
 * Which selected holders train in which round. Each round invites
 * ⌈holdersPerRound · (1 + overSelection)⌉ holders, so the round still closes
 * with enough updates when some straggle or drop out (the aggregate job takes
 * what arrives by the deadline). Holders are ranked by utility times a
 * staleness bonus, 1 + stalenessBonus · (rounds since last invited), so a
 * holder that sat out gains priority each round: participation spreads out
 * instead of the same fastest holders training every round. Deterministic:
 * ties break by holder id.
 */
export interface RoundPlanInput {
  holders: readonly { holderId: string; utility: number }[];
  rounds: number;
  holdersPerRound: number;
  overSelection: number;
  stalenessBonus: number;
}

export interface RoundPlan {
  /** Holder ids invited to each round. */
  rounds: string[][];
  /** Rounds each holder is invited to. */
  participation: Record<string, number>;
  /** Gini coefficient of participation across the selected holders. */
  participationGini: number;
  invitedPerRound: number;
}

export function planRounds(input: RoundPlanInput): RoundPlan {
  const invitedPerRound = Math.min(
    input.holders.length,
    Math.ceil(input.holdersPerRound * (1 + input.overSelection)),
  );
  const lastInvited = new Map<string, number>();
  const participation: Record<string, number> = {};
  for (const holder of input.holders) participation[holder.holderId] = 0;
  const rounds: string[][] = [];
  for (let round = 0; round < input.rounds; round++) {
    const ranked = input.holders
      .map((holder) => {
        const idle = round - (lastInvited.get(holder.holderId) ?? -1) - 1;
        return {
          holderId: holder.holderId,
          priority: holder.utility * (1 + input.stalenessBonus * idle),
        };
      })
      .sort((a, b) =>
        b.priority !== a.priority ? b.priority - a.priority : a.holderId < b.holderId ? -1 : 1,
      );
    const invited = ranked.slice(0, invitedPerRound).map((entry) => entry.holderId);
    for (const holderId of invited) {
      lastInvited.set(holderId, round);
      participation[holderId] = (participation[holderId] ?? 0) + 1;
    }
    rounds.push(invited);
  }
  return {
    rounds,
    participation,
    participationGini: gini(Object.values(participation)),
    invitedPerRound,
  };
}
