import { AgoraError } from "../../errors/agora-error.ts";
import type { AggregateOutcome, FitReply, RunningAggregation } from "./strategy.ts";

/**
 * FedAvg's sample-weighted average, one update at a time: each update is
 * folded into float64 sums as it arrives and dropped, so closing a round is
 * one division, and the aggregator never holds a whole round of updates.
 *
 * Folding the same updates in the same order gives the same bits as the
 * batch `weightedAverage` (which is this class run over a list). Sample
 * counts are integers, so the per-coordinate weights are exact in any order;
 * only the sums depend on the order, which is why callers fold in the
 * round's recorded arrival order.
 *
 * HeteroFL sub-models: while every update covers the whole model one total
 * weight serves all coordinates (a branch-free multiply-add over the hot
 * loop); the first partial update starts per-coordinate weights at that
 * total, which is what they would hold had they been kept from the start.
 */
export class RunningWeightedAverage implements RunningAggregation {
  readonly #strategy: string;
  readonly #global: Float32Array;
  readonly #sums: Float64Array;
  #weights: Float64Array | undefined;
  #total = 0;
  readonly #used: string[] = [];

  constructor(global: Float32Array, strategy = "fedavg") {
    this.#strategy = strategy;
    this.#global = global;
    this.#sums = new Float64Array(global.length);
  }

  /** Holders folded so far, in folding order. */
  get used(): readonly string[] {
    return this.#used;
  }

  add(reply: FitReply): void {
    const values = reply.weights;
    if (values.length !== this.#global.length) {
      throw new AgoraError("invalid", "Update does not fit the global model", {
        detail: `${reply.holderId} sent ${values.length} values, the model has ${this.#global.length}.`,
      });
    }
    if (!(reply.samples > 0)) {
      throw new AgoraError("invalid", "Update reports no training samples", {
        detail: reply.holderId,
      });
    }
    const w = reply.samples;
    const sums = this.#sums;
    const coverage = reply.coverage;
    if (coverage !== undefined && this.#weights === undefined) {
      this.#weights = new Float64Array(sums.length).fill(this.#total);
    }
    const weights = this.#weights;
    if (weights === undefined) {
      for (let i = 0; i < sums.length; i++)
        sums[i] = (sums[i] as number) + w * (values[i] as number);
    } else if (coverage === undefined) {
      for (let i = 0; i < sums.length; i++) {
        sums[i] = (sums[i] as number) + w * (values[i] as number);
        weights[i] = (weights[i] as number) + w;
      }
    } else {
      for (let i = 0; i < sums.length; i++) {
        if (coverage[i] === 0) continue;
        sums[i] = (sums[i] as number) + w * (values[i] as number);
        weights[i] = (weights[i] as number) + w;
      }
    }
    this.#total += w;
    this.#used.push(reply.holderId);
  }

  finish(): AggregateOutcome {
    if (this.#used.length === 0) {
      throw new AgoraError("conflict", "Too few updates to aggregate", {
        detail: `${this.#strategy} needs at least 1, got 0.`,
      });
    }
    const sums = this.#sums;
    const weights = this.#weights;
    const out = new Float32Array(sums.length);
    if (weights === undefined) {
      const total = this.#total;
      for (let i = 0; i < out.length; i++) out[i] = (sums[i] as number) / total;
    } else {
      for (let i = 0; i < out.length; i++) {
        const weight = weights[i] as number;
        out[i] = weight > 0 ? (sums[i] as number) / weight : (this.#global[i] as number);
      }
    }
    return { weights: out, used: [...this.#used] };
  }
}
