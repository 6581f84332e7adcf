import { AgoraError } from "../errors/agora-error.ts";
import { computeRdp, defaultOrders, epsilonFromRdp } from "../learning/privacy/rdp-accountant.ts";

/** What a task's privacy terms fix: the ε and δ each holder agreed to spend, over how many rounds. */
export interface PrivacyTarget {
  epsilon: number;
  delta: number;
  /** Rounds of training (steps of the mechanism). */
  rounds: number;
  /** Fraction of the selected holders asked in each round. */
  samplingRate: number;
}

const epsilonAt = (target: PrivacyTarget, sigma: number): number =>
  epsilonFromRdp(defaultOrders, computeRdp(target.samplingRate, sigma, target.rounds), target.delta)
    .epsilon;

/**
 * The smallest noise multiplier σ (to 1%) whose subsampled Gaussian
 * mechanism, run once per round, stays within the agreed (ε, δ) by the
 * Rényi DP accountant the privacy ledger uses. Smallest, because every
 * extra unit of noise costs accuracy and buys privacy nobody asked for.
 */
export function noiseMultiplierFor(target: PrivacyTarget): number {
  let high = 1;
  while (epsilonAt(target, high) > target.epsilon) {
    high *= 2;
    if (high > 1e4) {
      throw new AgoraError("invalid", "Privacy budget too small to train", {
        detail: `ε ${target.epsilon} at δ ${target.delta} over ${target.rounds} rounds needs more noise than any model survives.`,
      });
    }
  }
  let low = 0;
  // Bisect until σ is known to 1%: ε is monotone decreasing in σ.
  while (high - low > high * 0.01) {
    const middle = (low + high) / 2;
    if (epsilonAt(target, middle) > target.epsilon) low = middle;
    else high = middle;
  }
  return high;
}
