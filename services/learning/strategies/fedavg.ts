import { assertReplies, plainInstructions } from "./checks.ts";
import type { AggregateOutcome, FitReply, Strategy } from "./strategy.ts";

/**
 * Sample-weighted average (McMahan et al. 2017). With HeteroFL sub-models,
 * each coordinate is averaged over the holders that trained it; a coordinate
 * nobody trained keeps its global value.
 */
export function weightedAverage(replies: readonly FitReply[], global: Float32Array): Float32Array {
  if (replies.every((reply) => reply.coverage === undefined)) return fullAverage(replies, global);
  const sums = new Float64Array(global.length);
  const weights = new Float64Array(global.length);
  for (const reply of replies) {
    const w = reply.samples;
    const values = reply.weights;
    const coverage = reply.coverage;
    for (let i = 0; i < values.length; i++) {
      if (coverage !== undefined && coverage[i] === 0) continue;
      sums[i] = (sums[i] as number) + w * (values[i] as number);
      weights[i] = (weights[i] as number) + w;
    }
  }
  const out = new Float32Array(global.length);
  for (let i = 0; i < out.length; i++) {
    const weight = weights[i] as number;
    out[i] = weight > 0 ? (sums[i] as number) / weight : (global[i] as number);
  }
  return out;
}

/**
 * Every holder trained the full model: one total weight for all coordinates,
 * so the hot loop is a branch-free multiply-add (a round at 100 holders runs
 * it over 20 million coordinates). Same sums in the same order as the
 * general path, hence the same result.
 */
function fullAverage(replies: readonly FitReply[], global: Float32Array): Float32Array {
  const sums = new Float64Array(global.length);
  let total = 0;
  for (const reply of replies) {
    const w = reply.samples;
    const values = reply.weights;
    const n = Math.min(values.length, sums.length);
    for (let i = 0; i < n; i++) sums[i] = (sums[i] as number) + w * (values[i] as number);
    total += w;
  }
  const out = new Float32Array(global.length);
  if (total <= 0) {
    out.set(global);
    return out;
  }
  for (let i = 0; i < out.length; i++) out[i] = (sums[i] as number) / total;
  return out;
}

export class FedAvg implements Strategy {
  readonly name: string = "fedavg";

  configureRound(_round: number, holders: readonly string[]) {
    return plainInstructions(holders);
  }

  aggregate(
    _round: number,
    replies: readonly FitReply[],
    _failures: readonly unknown[],
    global: Float32Array,
  ): AggregateOutcome {
    assertReplies(this.name, replies, global);
    return { weights: weightedAverage(replies, global), used: replies.map((r) => r.holderId) };
  }
}
