import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAgoraError } from "../../services/errors/agora-error.ts";
import { CoordinateMedian } from "../../services/learning/strategies/coordinate-median.ts";
import { createStrategy } from "../../services/learning/strategies/create-strategy.ts";
import { FedAvg } from "../../services/learning/strategies/fedavg.ts";
import { FedProx } from "../../services/learning/strategies/fedprox.ts";
import { Krum } from "../../services/learning/strategies/krum.ts";
import type { FitReply } from "../../services/learning/strategies/strategy.ts";
import { TrimmedMean } from "../../services/learning/strategies/trimmed-mean.ts";

const reply = (holderId: string, values: number[], samples = 1, coverage?: number[]): FitReply => ({
  holderId,
  weights: Float32Array.from(values),
  samples,
  ...(coverage && { coverage: Uint8Array.from(coverage) }),
});
const global = Float32Array.from([0, 0, 0]);
const close = (actual: Float32Array, expected: number[]) => {
  for (const [i, value] of expected.entries()) {
    assert.ok(Math.abs((actual[i] as number) - value) < 1e-6, `${i}: ${actual[i]} ≠ ${value}`);
  }
};

describe("aggregation strategies", () => {
  it("FedAvg weights each update by its samples", () => {
    const out = new FedAvg().aggregate(
      0,
      [reply("a", [1, 2, 3], 1), reply("b", [4, 5, 6], 3)],
      [],
      global,
    );
    close(out.weights, [3.25, 4.25, 5.25]);
    assert.deepEqual(out.used, ["a", "b"]);
  });

  it("FedAvg averages each coordinate over the holders that trained it (HeteroFL)", () => {
    const base = Float32Array.from([9, 9, 9]);
    const out = new FedAvg().aggregate(
      0,
      [reply("full", [1, 1, 1], 1), reply("small", [3, 9, 9], 1, [1, 0, 0])],
      [],
      base,
    );
    close(out.weights, [2, 1, 1]);
  });

  it("FedProx sends μ to every holder and aggregates like FedAvg", () => {
    const strategy = new FedProx(0.01);
    assert.deepEqual(strategy.configureRound(3, ["a", "b"]), [
      { holderId: "a", proximalMu: 0.01 },
      { holderId: "b", proximalMu: 0.01 },
    ]);
    close(
      strategy.aggregate(0, [reply("a", [2, 2, 2], 2), reply("b", [5, 5, 5], 1)], [], global)
        .weights,
      [3, 3, 3],
    );
    assert.throws(
      () => new FedProx(-1),
      (e) => isAgoraError(e) && e.kind === "invalid",
    );
  });

  it("the median ignores an outlier, for odd and even counts", () => {
    const median = new CoordinateMedian();
    const odd = median.aggregate(
      0,
      [reply("a", [1, 1, 1]), reply("b", [2, 2, 2]), reply("x", [1e6, -1e6, 1e6])],
      [],
      global,
    );
    close(odd.weights, [2, 1, 2]);
    const even = median.aggregate(
      0,
      [
        reply("a", [1, 1, 1]),
        reply("b", [3, 3, 3]),
        reply("c", [2, 2, 2]),
        reply("x", [100, 100, 100]),
      ],
      [],
      global,
    );
    close(even.weights, [2.5, 2.5, 2.5]);
  });

  it("the trimmed mean drops the β extremes of each coordinate", () => {
    const trimmed = new TrimmedMean(0.2);
    const out = trimmed.aggregate(
      0,
      [
        reply("a", [1, 0, 0]),
        reply("b", [2, 0, 0]),
        reply("c", [3, 0, 0]),
        reply("d", [4, 0, 0]),
        reply("x", [1000, -1000, 0]),
      ],
      [],
      global,
    );
    close(out.weights, [3, 0, 0]);
    assert.throws(
      () => new TrimmedMean(0.5),
      (e) => isAgoraError(e) && e.kind === "invalid",
    );
  });

  it("Krum picks an update from the honest cluster; Multi-Krum averages the m best", () => {
    const honest = [0.9, 1.0, 1.1, 1.05, 0.95].map((v, i) => reply(`h${i}`, [v, v, v]));
    const byzantine = [reply("x1", [50, -50, 50]), reply("x2", [-40, 40, 40])];
    const krum = new Krum(2).aggregate(0, [...byzantine, ...honest], [], global);
    assert.equal(krum.used.length, 1);
    assert.match(krum.used[0] ?? "", /^h/);
    const multi = new Krum(2, 3).aggregate(0, [...byzantine, ...honest], [], global);
    assert.equal(multi.used.length, 3);
    assert.ok(multi.used.every((id) => id.startsWith("h")));
    assert.ok(Math.abs((multi.weights[0] as number) - 1) < 0.1);
  });

  it("Krum refuses fewer than 2f + 3 updates", () => {
    assert.throws(
      () => new Krum(2).aggregate(0, [reply("a", [1, 1, 1]), reply("b", [1, 1, 1])], [], global),
      (e) => isAgoraError(e) && e.kind === "conflict",
    );
  });

  it("rejects updates of the wrong size and unknown strategy specs", () => {
    assert.throws(
      () => new FedAvg().aggregate(0, [reply("a", [1, 2])], [], global),
      (e) => isAgoraError(e) && e.kind === "invalid",
    );
    assert.throws(
      () => createStrategy({ name: "fedsgd" }),
      (e) => isAgoraError(e) && e.kind === "invalid",
    );
    assert.equal(createStrategy({ name: "multi-krum", f: 1, m: 2 }).name, "multi-krum");
  });
});
