import { assertReplies, plainInstructions } from "./checks.ts";
import type { AggregateOutcome, FitReply, Strategy } from "./strategy.ts";

/** Coordinate-wise median (Yin et al. 2018): each coordinate ignores outlying updates. */
export class CoordinateMedian implements Strategy {
  readonly name = "median";

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
    const column = new Float64Array(n);
    const out = new Float32Array(global.length);
    const middle = n >> 1;
    for (let i = 0; i < out.length; i++) {
      for (let r = 0; r < n; r++) column[r] = (replies[r] as FitReply).weights[i] as number;
      column.sort();
      out[i] =
        n % 2 === 1
          ? (column[middle] as number)
          : ((column[middle - 1] as number) + (column[middle] as number)) / 2;
    }
    return { weights: out, used: replies.map((r) => r.holderId) };
  }
}
