import { AgoraError } from "../../errors/agora-error.ts";
import { squaredDistance } from "../weights/vector-math.ts";
import { assertReplies, plainInstructions } from "./checks.ts";
import type { AggregateOutcome, FitReply, Strategy } from "./strategy.ts";

/**
 * Krum and Multi-Krum (Blanchard et al. 2017), tolerating f Byzantine
 * holders among n > 2f + 2. Each update is scored by the summed squared
 * distance to its n − f − 2 nearest neighbours; Krum keeps the best one,
 * Multi-Krum averages the m best.
 */
export class Krum implements Strategy {
  readonly name: string;
  readonly f: number;
  /** How many best-scored updates to average; 1 is plain Krum. */
  readonly m: number;

  constructor(f: number, m = 1) {
    if (!Number.isInteger(f) || f < 0 || !Number.isInteger(m) || m < 1) {
      throw new AgoraError("invalid", "Krum needs an integer f >= 0 and m >= 1", {
        detail: `got f=${f}, m=${m}.`,
      });
    }
    this.f = f;
    this.m = m;
    this.name = m === 1 ? "krum" : "multi-krum";
  }

  configureRound(_round: number, holders: readonly string[]) {
    return plainInstructions(holders);
  }

  /** Krum scores, lower is more central. */
  scores(replies: readonly FitReply[]): number[] {
    const n = replies.length;
    const distances = Array.from({ length: n }, () => new Float64Array(n));
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        const d = squaredDistance(
          (replies[a] as FitReply).weights,
          (replies[b] as FitReply).weights,
        );
        (distances[a] as Float64Array)[b] = d;
        (distances[b] as Float64Array)[a] = d;
      }
    }
    const neighbours = n - this.f - 2;
    return distances.map((row, a) => {
      const others = Array.from(row)
        .filter((_, b) => b !== a)
        .sort((x, y) => x - y);
      return others.slice(0, neighbours).reduce((sum, d) => sum + d, 0);
    });
  }

  aggregate(
    _round: number,
    replies: readonly FitReply[],
    _failures: readonly unknown[],
    global: Float32Array,
  ): AggregateOutcome {
    assertReplies(this.name, replies, global, 2 * this.f + 3);
    const scores = this.scores(replies);
    const chosen = scores
      .map((score, index) => ({ score, index }))
      .sort((a, b) => a.score - b.score || a.index - b.index)
      .slice(0, Math.min(this.m, replies.length))
      .map(({ index }) => replies[index] as FitReply);
    const out = new Float32Array(global.length);
    for (const reply of chosen) {
      for (let i = 0; i < out.length; i++) {
        out[i] = (out[i] as number) + (reply.weights[i] as number) / chosen.length;
      }
    }
    return { weights: out, used: chosen.map((reply) => reply.holderId) };
  }
}
