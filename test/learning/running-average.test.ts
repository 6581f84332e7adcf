import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAgoraError } from "../../services/errors/agora-error.ts";
import { FedAvg, weightedAverage } from "../../services/learning/strategies/fedavg.ts";
import { FedProx } from "../../services/learning/strategies/fedprox.ts";
import { RunningWeightedAverage } from "../../services/learning/strategies/running-average.ts";
import type { FitReply } from "../../services/learning/strategies/strategy.ts";
import { seededRng } from "../../services/learning/util/random.ts";

/** The textbook definition, coordinate by coordinate, with per-coordinate weights from zero. */
function reference(replies: FitReply[], global: Float32Array): Float32Array {
  const out = new Float32Array(global.length);
  for (let i = 0; i < global.length; i++) {
    let sum = 0;
    let weight = 0;
    for (const r of replies) {
      if (r.coverage !== undefined && r.coverage[i] === 0) continue;
      sum += r.samples * (r.weights[i] as number);
      weight += r.samples;
    }
    out[i] = weight > 0 ? sum / weight : (global[i] as number);
  }
  return out;
}

function randomReplies(seed: string, count: number, length: number, partial: number[]) {
  const rng = seededRng(seed);
  const global = Float32Array.from({ length }, () => rng() - 0.5);
  const replies: FitReply[] = Array.from({ length: count }, (_, k) => ({
    holderId: `h${k}`,
    weights: Float32Array.from({ length }, () => (rng() - 0.5) * 4),
    samples: 1 + Math.floor(rng() * 600),
    ...(partial.includes(k) && {
      coverage: Uint8Array.from({ length }, () => (rng() < 0.4 ? 1 : 0)),
    }),
  }));
  return { global, replies };
}

const sameBits = (a: Float32Array, b: Float32Array) =>
  assert.deepEqual(new Uint32Array(a.buffer), new Uint32Array(b.buffer));

describe("running weighted average (FedAvg one update at a time)", () => {
  it("gives the textbook average bit for bit, full models and HeteroFL sub-models mixed", () => {
    // Partial updates first, in the middle and last: the per-coordinate weights start late.
    for (const partial of [[], [0], [3, 4], [7]]) {
      const { global, replies } = randomReplies(`mix|${partial}`, 8, 257, partial);
      const running = new RunningWeightedAverage(global);
      for (const reply of replies) running.add(reply);
      const outcome = running.finish();
      sameBits(outcome.weights, reference(replies, global));
      sameBits(weightedAverage(replies, global), outcome.weights);
      assert.deepEqual(
        outcome.used,
        replies.map((r) => r.holderId),
      );
    }
  });

  it("is what FedAvg and FedProx aggregate, folded in the order given", () => {
    const { global, replies } = randomReplies("strategies", 12, 1000, [5]);
    for (const strategy of [new FedAvg(), new FedProx(0.01)]) {
      const running = strategy.beginRound(0, global);
      for (const reply of replies) running.add(reply);
      sameBits(running.finish().weights, strategy.aggregate(0, replies, [], global).weights);
    }
  });

  it("refuses an update that does not fit, one without samples, and an empty round", () => {
    const global = Float32Array.from([0, 0, 0]);
    const running = new RunningWeightedAverage(global);
    const bad = [
      { holderId: "short", weights: Float32Array.from([1, 2]), samples: 1 },
      { holderId: "empty", weights: Float32Array.from([1, 2, 3]), samples: 0 },
    ];
    for (const reply of bad) {
      assert.throws(
        () => running.add(reply),
        (e) => isAgoraError(e) && e.kind === "invalid",
      );
    }
    assert.throws(
      () => running.finish(),
      (e) => isAgoraError(e) && e.kind === "conflict",
    );
    running.add({ holderId: "ok", weights: Float32Array.from([1, 2, 3]), samples: 2 });
    assert.deepEqual([...running.finish().weights], [1, 2, 3]);
  });
});
