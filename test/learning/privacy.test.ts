import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAgoraError } from "../../services/errors/agora-error.ts";
import {
  addGaussianNoise,
  clipToNorm,
  privatizeDelta,
} from "../../services/learning/privacy/clip-and-noise.ts";
import { DpFedAvg } from "../../services/learning/privacy/dp-fedavg.ts";
import { seededRng } from "../../services/learning/util/random.ts";
import { l2Norm } from "../../services/learning/weights/vector-math.ts";

describe("client-level DP", () => {
  it("clips to the norm C and leaves short vectors alone", () => {
    const long = clipToNorm(Float32Array.from([3, 4]), 1);
    assert.equal(long.norm, 5);
    assert.ok(Math.abs(l2Norm(long.clipped) - 1) < 1e-6);
    assert.ok(Math.abs((long.clipped[0] as number) - 0.6) < 1e-6);
    assert.deepEqual(
      Array.from(clipToNorm(Float32Array.from([0.3, 0.4]), 1).clipped),
      [0.30000001192092896, 0.4000000059604645],
    );
  });

  it("adds Gaussian noise of the requested standard deviation", () => {
    const noisy = addGaussianNoise(new Float32Array(100_000), 0.5, seededRng(1));
    const mean = noisy.reduce((a, b) => a + b, 0) / noisy.length;
    const std = Math.sqrt(noisy.reduce((a, b) => a + (b - mean) ** 2, 0) / noisy.length);
    assert.ok(Math.abs(mean) < 0.01, `mean ${mean}`);
    assert.ok(Math.abs(std - 0.5) < 0.01, `std ${std}`);
  });

  it("a holder clips, and adds σC noise only when the agreement says so", () => {
    const delta = new Float32Array(10_000).fill(1); // norm 100
    const quiet = privatizeDelta(
      delta,
      { clipNorm: 2, noiseMultiplier: 1, noiseAt: "aggregator" },
      seededRng(2),
    );
    assert.ok(Math.abs(l2Norm(quiet) - 2) < 1e-4);
    const noisy = privatizeDelta(
      delta,
      { clipNorm: 2, noiseMultiplier: 1, noiseAt: "holder" },
      seededRng(2),
    );
    // Noise std σC = 2 per coordinate over 10,000 coordinates: norm ≈ 200.
    assert.ok(l2Norm(noisy) > 150, `norm ${l2Norm(noisy)}`);
    assert.throws(
      () =>
        privatizeDelta(delta, { clipNorm: 0, noiseMultiplier: 1, noiseAt: "holder" }, seededRng(1)),
      (e) => isAgoraError(e) && e.kind === "invalid",
    );
  });

  it("DP-FedAvg bounds each holder's influence by C and is reproducible", () => {
    const global = new Float32Array(4);
    const honest = { holderId: "a", weights: Float32Array.from([0.1, 0, 0, 0]), samples: 10 };
    const huge = { holderId: "b", weights: Float32Array.from([0, 1000, 0, 0]), samples: 1_000_000 };
    const noiseless = new DpFedAvg({ clipNorm: 1, noiseMultiplier: 0, noiseAt: "aggregator" });
    const out = noiseless.aggregate(0, [honest, huge], [], global);
    // b's delta is clipped to norm 1 and weighted equally with a: (0.1 + 0, 0 + 1) / 2.
    assert.ok(Math.abs((out.weights[0] as number) - 0.05) < 1e-6);
    assert.ok(Math.abs((out.weights[1] as number) - 0.5) < 1e-6);
    const noisy = (seed: string) =>
      new DpFedAvg({ clipNorm: 1, noiseMultiplier: 1, noiseAt: "aggregator" }, seed).aggregate(
        4,
        [honest, huge],
        [],
        global,
      ).weights;
    assert.deepEqual(noisy("t1"), noisy("t1"));
    assert.notDeepEqual(noisy("t1"), noisy("t2"));
    assert.notDeepEqual(noisy("t1"), out.weights);
  });
});
