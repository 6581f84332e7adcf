import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  measureUpdates,
  standingFlags,
  standingThresholds,
  type UpdateEvidence,
} from "../../services/learning/contribution/round-standing.ts";
import { createStrategy } from "../../services/learning/strategies/create-strategy.ts";
import type { FitReply } from "../../services/learning/strategies/strategy.ts";
import { seededRng } from "../../services/learning/util/random.ts";

/** Evidence of an ordinary update: moved 2% of the model, used, no copy. */
const honest = (holderId: string, distanceToCentre: number): UpdateEvidence => ({
  holderId,
  relativeNorm: 0.02,
  distanceToCentre,
  usedByRule: true,
  duplicateOf: null,
});

const noScores = new Map<string, number>();

describe("a round's standing rule", () => {
  it("flags a free rider whose update is (almost) the model it received, or a copy", () => {
    const flags = standingFlags({
      strategy: "fedavg",
      evidence: [
        honest("a", 1),
        { ...honest("idle", 1), relativeNorm: standingThresholds.freeRiderRelativeNorm / 2 },
        { ...honest("copy", 1), duplicateOf: "a" },
        { ...honest("slow-but-real", 1), relativeNorm: standingThresholds.freeRiderRelativeNorm },
      ],
      scores: noScores,
      validationExamples: 300,
    });
    assert.deepEqual(flags, { idle: "free_rider", copy: "free_rider" });
  });

  it("flags an outlier the median rule discounted, but not ordinary spread", () => {
    const evidence = [
      honest("a", 1.0),
      honest("b", 1.1),
      honest("c", 0.9),
      honest("d", 1.2),
      honest("byzantine", 9),
    ];
    const flags = standingFlags({
      strategy: "median",
      evidence,
      scores: noScores,
      validationExamples: 300,
    });
    assert.deepEqual(flags, { byzantine: "attacker" });
    // The same distances under FedAvg: no robust rule rejected anything.
    assert.deepEqual(
      standingFlags({ strategy: "fedavg", evidence, scores: noScores, validationExamples: 300 }),
      {},
    );
  });

  it("under Krum flags only updates left out AND far away: honest ones Krum skipped keep their pay", () => {
    const evidence = [
      honest("kept", 0),
      { ...honest("skipped-1", 1.0), usedByRule: false },
      { ...honest("skipped-2", 1.2), usedByRule: false },
      { ...honest("skipped-3", 0.9), usedByRule: false },
      { ...honest("far-but-kept", 8), usedByRule: true },
      { ...honest("byzantine", 9), usedByRule: false },
    ];
    const flags = standingFlags({
      strategy: "krum",
      evidence,
      scores: noScores,
      validationExamples: 300,
    });
    assert.deepEqual(flags, { byzantine: "attacker" });
  });

  it("needs at least three measured updates to call anything an outlier, and ignores free riders' copies", () => {
    assert.deepEqual(
      standingFlags({
        strategy: "median",
        evidence: [honest("a", 1), honest("b", 50)],
        scores: noScores,
        validationExamples: 300,
      }),
      {},
    );
    // Three free riders sit at one distance; they must not make the honest spread look extreme.
    const idle = (id: string): UpdateEvidence => ({ ...honest(id, 0.5), relativeNorm: 0 });
    const flags = standingFlags({
      strategy: "median",
      evidence: [
        idle("x"),
        idle("y"),
        idle("z"),
        honest("a", 1),
        honest("b", 1.3),
        honest("c", 1.1),
      ],
      scores: noScores,
      validationExamples: 300,
    });
    assert.deepEqual(flags, { x: "free_rider", y: "free_rider", z: "free_rider" });
  });

  it("flags a clearly harmful contribution as an attacker, and lets chance dips below zero pass", () => {
    const evidence = ["good", "fine", "dip", "harm"].map((id) => honest(id, 1));
    const flags = standingFlags({
      strategy: "fedavg",
      evidence,
      // Positive scores sum to 0.16: harm must exceed max(5/300, half of 0.16) = 0.08.
      scores: new Map([
        ["good", 0.1],
        ["fine", 0.06],
        ["dip", -0.03],
        ["harm", -0.09],
      ]),
      validationExamples: 300,
    });
    assert.deepEqual(flags, { harm: "attacker" });
  });

  it("flags nobody by contribution in a round that got worse as a whole", () => {
    // Seen in a real DP run: every honest update scored below zero in the same round.
    const flags = standingFlags({
      strategy: "fedavg",
      evidence: ["a", "b", "c"].map((id) => honest(id, 1)),
      scores: new Map([
        ["a", -0.039],
        ["b", -0.036],
        ["c", -0.044],
      ]),
      validationExamples: 300,
    });
    assert.deepEqual(flags, {});
  });

  it("lets the attacker flag win over the free-rider flag", () => {
    const flags = standingFlags({
      strategy: "fedavg",
      evidence: [honest("good", 1), { ...honest("both", 1), relativeNorm: 0 }],
      scores: new Map([
        ["good", 0.2],
        ["both", -0.5],
      ]),
      validationExamples: 100,
    });
    assert.deepEqual(flags, { both: "attacker" });
  });
});

describe("measuring a round's updates", () => {
  const size = 64;
  const random = seededRng("standing");
  const global = Float32Array.from({ length: size }, () => random() * 2 - 1);
  const moved = (scale: number) =>
    Float32Array.from(global, (value) => value + (random() * 2 - 1) * scale);
  const reply = (holderId: string, weights: Float32Array): FitReply => ({
    holderId,
    weights,
    samples: 100,
  });

  it("finds the global model sent back, a copy, and a poisoned update under the median rule", () => {
    const first = moved(0.05);
    const replies = [
      reply("a", first),
      reply("b", moved(0.05)),
      reply("c", moved(0.05)),
      reply("d", moved(0.05)),
      reply("idle", Float32Array.from(global)),
      reply("copy", Float32Array.from(first)),
      reply("poison", moved(5)),
    ];
    const evidence = measureUpdates(createStrategy({ name: "median" }), 0, global, replies);
    const byHolder = new Map(evidence.map((e) => [e.holderId, e]));
    assert.equal(byHolder.get("idle")?.relativeNorm, 0);
    assert.equal(byHolder.get("copy")?.duplicateOf, "a");
    assert.equal(byHolder.get("a")?.duplicateOf, null);
    assert.ok((byHolder.get("a")?.relativeNorm ?? 0) > standingThresholds.freeRiderRelativeNorm);
    assert.deepEqual(
      standingFlags({ strategy: "median", evidence, scores: noScores, validationExamples: 300 }),
      { idle: "free_rider", copy: "free_rider", poison: "attacker" },
    );
  });

  it("records which updates Multi-Krum left out", () => {
    const replies = [
      ...["a", "b", "c", "d", "e"].map((id) => reply(id, moved(0.05))),
      reply("poison", moved(5)),
    ];
    const evidence = measureUpdates(
      createStrategy({ name: "multi-krum", f: 1, m: 4 }),
      0,
      global,
      replies,
    );
    const left = evidence.filter((e) => !e.usedByRule).map((e) => e.holderId);
    assert.equal(left.length, 2);
    assert.ok(left.includes("poison"));
    assert.deepEqual(
      standingFlags({
        strategy: "multi-krum",
        evidence,
        scores: noScores,
        validationExamples: 300,
      }),
      { poison: "attacker" },
    );
  });
});
