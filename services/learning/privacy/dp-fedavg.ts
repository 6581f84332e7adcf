import { assertReplies, plainInstructions } from "../strategies/checks.ts";
import type { AggregateOutcome, FitReply, Strategy } from "../strategies/strategy.ts";
import { seededRng } from "../util/random.ts";
import {
  addGaussianNoise,
  assertDpParameters,
  clipToNorm,
  type DpParameters,
} from "./clip-and-noise.ts";

/**
 * Client-level DP-FedAvg (McMahan et al. 2018): every update's delta is
 * clipped to C (again, so a holder that skipped clipping cannot exceed its
 * sensitivity), deltas are summed with equal weight, N(0, (σC)²) is added to
 * the sum when the agreement puts the noise at aggregation, and the sum is
 * divided by the number of updates. Equal weights keep each holder's
 * influence on the sum bounded by C, which is what the accountant assumes.
 */
export class DpFedAvg implements Strategy {
  readonly name = "dp-fedavg";
  readonly dp: DpParameters;
  readonly #seed: string;

  /** `seed` fixes the aggregation noise, so a retried aggregation gives the same model. */
  constructor(dp: DpParameters, seed = "dp-fedavg") {
    assertDpParameters(dp);
    this.dp = dp;
    this.#seed = seed;
  }

  configureRound(_round: number, holders: readonly string[]) {
    return plainInstructions(holders);
  }

  aggregate(
    round: number,
    replies: readonly FitReply[],
    _failures: readonly unknown[],
    global: Float32Array,
  ): AggregateOutcome {
    assertReplies(this.name, replies, global);
    const sum = new Float32Array(global.length);
    for (const reply of replies) {
      const delta = new Float32Array(global.length);
      for (let i = 0; i < delta.length; i++) {
        delta[i] = (reply.weights[i] as number) - (global[i] as number);
      }
      const { clipped } = clipToNorm(delta, this.dp.clipNorm);
      for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (clipped[i] as number);
    }
    if (this.dp.noiseAt === "aggregator") {
      const rng = seededRng(`${this.#seed}|${round}`);
      addGaussianNoise(sum, this.dp.noiseMultiplier * this.dp.clipNorm, rng);
    }
    const out = new Float32Array(global.length);
    for (let i = 0; i < out.length; i++) {
      out[i] = (global[i] as number) + (sum[i] as number) / replies.length;
    }
    return { weights: out, used: replies.map((r) => r.holderId) };
  }
}
