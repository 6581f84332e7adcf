import type { FitReply } from "./strategy.ts";

/**
 * Coordinate-wise robust rules (median, trimmed mean) look at one coordinate
 * across all replies at a time, sorted. This gathers each coordinate's column
 * into one reused buffer, sorts it, and lets `reduce` pick the value.
 */
export function reduceSortedColumns(
  replies: readonly FitReply[],
  length: number,
  reduce: (sorted: Float64Array) => number,
): Float32Array {
  const column = new Float64Array(replies.length);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    for (let r = 0; r < replies.length; r++) {
      column[r] = (replies[r] as FitReply).weights[i] as number;
    }
    column.sort();
    out[i] = reduce(column);
  }
  return out;
}
