import { assertReplies, plainInstructions } from "./checks.ts";
import { reduceSortedColumns } from "./sorted-columns.ts";
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
    const middle = n >> 1;
    const out = reduceSortedColumns(replies, global.length, (column) =>
      n % 2 === 1
        ? (column[middle] as number)
        : ((column[middle - 1] as number) + (column[middle] as number)) / 2,
    );
    return { weights: out, used: replies.map((r) => r.holderId) };
  }
}
