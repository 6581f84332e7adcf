import { AgoraError } from "../../errors/agora-error.ts";
import {
  CachedUtility,
  type CoalitionUtility,
  type ContributionEstimate,
} from "./coalition-utility.ts";

/** Above this, 2^n coalition evaluations are too many to do per round. */
export const exactShapleyLimit = 10;

/**
 * Exact Shapley values by enumerating every coalition:
 * φ_i = Σ_{S ⊆ N∖{i}} |S|!(n−|S|−1)!/n! · (u(S ∪ {i}) − u(S)).
 * Costs 2^n utility evaluations, so it is the reference the sampling
 * methods are measured against, usable for up to `exactShapleyLimit` participants.
 */
export async function exactShapley(
  participants: number,
  utility: CoalitionUtility,
): Promise<ContributionEstimate> {
  if (!Number.isInteger(participants) || participants < 1 || participants > exactShapleyLimit) {
    throw new AgoraError("invalid", "Exact Shapley needs 1 to 10 participants", {
      detail: `Got ${participants}; use GTG-Shapley for larger rounds.`,
    });
  }
  const cached = new CachedUtility(utility);
  const n = participants;
  const factorial = [1];
  for (let k = 1; k <= n; k++) factorial.push((factorial[k - 1] ?? 1) * k);
  const membersOf = (mask: number) => {
    const members: number[] = [];
    for (let i = 0; i < n; i++) if (mask & (1 << i)) members.push(i);
    return members;
  };
  const values = new Array<number>(n).fill(0);
  for (let mask = 0; mask < 1 << n; mask++) {
    const members = membersOf(mask);
    const without = await cached.of(members);
    const weight =
      ((factorial[members.length] ?? 1) * (factorial[n - members.length - 1] ?? 1)) /
      (factorial[n] ?? 1);
    for (let i = 0; i < n; i++) {
      if (mask & (1 << i)) continue;
      const withI = await cached.of(membersOf(mask | (1 << i)));
      values[i] = (values[i] ?? 0) + weight * (withI - without);
    }
  }
  return { values, evaluations: cached.evaluations };
}

/** Leave-one-out: u(N) − u(N∖{i}). Cheap (n + 1 evaluations), but blind to redundancy between participants. */
export async function leaveOneOut(
  participants: number,
  utility: CoalitionUtility,
): Promise<ContributionEstimate> {
  const cached = new CachedUtility(utility);
  const everyone = Array.from({ length: participants }, (_, i) => i);
  const full = await cached.of(everyone);
  const values: number[] = [];
  for (const i of everyone) values.push(full - (await cached.of(everyone.filter((j) => j !== i))));
  return { values, evaluations: cached.evaluations };
}
