import { AgoraError } from "../../errors/agora-error.ts";
import { shuffleInPlace } from "../util/random.ts";
import {
  CachedUtility,
  type CoalitionUtility,
  type ContributionEstimate,
} from "./coalition-utility.ts";

export interface GtgShapleyOptions {
  /**
   * Within-round truncation: once a permutation's prefix is within this of the
   * full coalition's utility, the remaining marginal gains are taken as zero.
   * Default 0.001 (a tenth of an accuracy point).
   */
  withinRoundTolerance?: number;
  /**
   * Between-round truncation: a round whose full-coalition utility improves on
   * the starting model by less than this is skipped (every value is zero).
   * Default 0.001.
   */
  betweenRoundTolerance?: number;
  /** Convergence: stop when the mean relative change of the estimates over a full cycle is below this. Default 0.01. */
  convergenceTolerance?: number;
  /** Hard cap on sampled permutations. Default 20·n. */
  maxPermutations?: number;
  /**
   * Budget of distinct coalition evaluations. A permutation that would need
   * one more is abandoned whole (a half-walked permutation would bias the
   * estimate) and sampling stops. Default: no budget.
   */
  maxEvaluations?: number | null;
  /** Source of randomness in [0, 1); pass a seeded one for reproducible audits. */
  random?: () => number;
}

/** The defaults, written out so that stored inputs can name every setting a run used. */
export const gtgDefaults = (participants: number) => ({
  withinRoundTolerance: 0.001,
  betweenRoundTolerance: 0.001,
  convergenceTolerance: 0.01,
  maxPermutations: 20 * participants,
  maxEvaluations: null as number | null,
});

/**
 * GTG-Shapley (Liu et al., "GTG-Shapley: Efficient and Accurate Participant
 * Contribution Evaluation in Federated Learning", ACM TIST 2022): a
 * truncated Monte Carlo estimate of one round's Shapley values where every
 * coalition's model is reconstructed from the round's updates rather than
 * retrained, and sampling is guided so it converges with few evaluations:
 * - between rounds: a round that barely moves the model is skipped;
 * - within a round: a permutation stops evaluating once its prefix is close
 *   to the full coalition's utility (later marginals are ~0);
 * - guided sampling: permutations take turns putting each participant first,
 *   so everyone's marginal on small coalitions (where it is largest) is seen early.
 *
 * `utility([])` must be the utility of the round's starting (global) model.
 */
export async function gtgShapley(
  participants: number,
  utility: CoalitionUtility,
  options: GtgShapleyOptions = {},
): Promise<ContributionEstimate & { permutations: number; skipped: boolean }> {
  if (!Number.isInteger(participants) || participants < 1) {
    throw new AgoraError("invalid", "GTG-Shapley needs at least one participant");
  }
  const n = participants;
  const defaults = gtgDefaults(n);
  const within = options.withinRoundTolerance ?? defaults.withinRoundTolerance;
  const between = options.betweenRoundTolerance ?? defaults.betweenRoundTolerance;
  const convergence = options.convergenceTolerance ?? defaults.convergenceTolerance;
  const maxPermutations = options.maxPermutations ?? defaults.maxPermutations;
  const budget = options.maxEvaluations ?? Number.POSITIVE_INFINITY;
  const random = options.random ?? Math.random;
  const cached = new CachedUtility(utility);
  const everyone = Array.from({ length: n }, (_, i) => i);

  const start = await cached.of([]);
  const full = await cached.of(everyone);
  if (Math.abs(full - start) < between) {
    return {
      values: new Array(n).fill(0),
      evaluations: cached.evaluations,
      permutations: 0,
      skipped: true,
    };
  }

  const sums = new Array<number>(n).fill(0);
  let permutations = 0;
  let previousEstimate = new Array<number>(n).fill(0);
  let overBudget = false;
  while (permutations < maxPermutations && !overBudget) {
    const first = permutations % n;
    const rest = everyone.filter((i) => i !== first);
    shuffleInPlace(rest, random);
    const order = [first, ...rest];
    let prefixValue = start;
    const prefix: number[] = [];
    const marginals: [member: number, gain: number][] = [];
    for (const member of order) {
      if (Math.abs(full - prefixValue) < within) break; // truncated: the rest add ~nothing
      prefix.push(member);
      if (prefix.length < n && !cached.has(prefix) && cached.evaluations >= budget) {
        overBudget = true;
        break;
      }
      const value = prefix.length === n ? full : await cached.of(prefix);
      marginals.push([member, value - prefixValue]);
      prefixValue = value;
    }
    if (overBudget) break;
    for (const [member, gain] of marginals) sums[member] = (sums[member] ?? 0) + gain;
    permutations += 1;
    // Judge convergence once per full cycle of guided starts.
    if (permutations % n === 0) {
      const estimate = sums.map((sum) => sum / permutations);
      const scale = Math.max(1e-12, ...estimate.map(Math.abs));
      const change =
        estimate.reduce((acc, value, i) => acc + Math.abs(value - (previousEstimate[i] ?? 0)), 0) /
        (n * scale);
      previousEstimate = estimate;
      if (permutations >= 2 * n && change < convergence) break;
    }
  }
  return {
    values: sums.map((sum) => (permutations === 0 ? 0 : sum / permutations)),
    evaluations: cached.evaluations,
    permutations,
    skipped: false,
  };
}
