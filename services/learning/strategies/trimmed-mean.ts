import { AgoraError } from "../../errors/agora-error.ts";
import { assertReplies, plainInstructions } from "./checks.ts";
import { reduceSortedColumns } from "./sorted-columns.ts";
import type { AggregateOutcome, FitReply, Strategy } from "./strategy.ts";

/**
 * Coordinate-wise β-trimmed mean (Yin et al. 2018): drop the ⌊βn⌋ largest and
 * smallest values of each coordinate and average the rest.
 */
export class TrimmedMean implements Strategy {
  readonly name = "trimmed-mean";
  readonly beta: number;

  constructor(beta: number) {
    if (!(beta >= 0 && beta < 0.5)) {
      throw new AgoraError("invalid", "Trimmed-mean β must be in [0, 0.5)", {
        detail: `got ${beta}.`,
      });
    }
    this.beta = beta;
  }

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
    const n = replies.length;
    const trim = Math.floor(this.beta * n);
    const kept = n - 2 * trim;
    const out = reduceSortedColumns(replies, global.length, (column) => {
      let sum = 0;
      for (let r = trim; r < n - trim; r++) sum += column[r] as number;
      return sum / kept;
    });
    return { weights: out, used: replies.map((r) => r.holderId) };
  }
}
