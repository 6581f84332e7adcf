import { assertReplies, plainInstructions } from "./checks.ts";
import { RunningWeightedAverage } from "./running-average.ts";
import type { AggregateOutcome, FitReply, RunningAggregation, Strategy } from "./strategy.ts";

/**
 * Sample-weighted average (McMahan et al. 2017). With HeteroFL sub-models,
 * each coordinate is averaged over the holders that trained it; a coordinate
 * nobody trained keeps its global value. Folds the replies in list order;
 * no replies at all leave the global model as it was.
 */
export function weightedAverage(replies: readonly FitReply[], global: Float32Array): Float32Array {
  if (replies.length === 0) return global.slice();
  const running = new RunningWeightedAverage(global);
  for (const reply of replies) running.add(reply);
  return running.finish().weights;
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

  beginRound(_round: number, global: Float32Array): RunningAggregation {
    return new RunningWeightedAverage(global, this.name);
  }
}
