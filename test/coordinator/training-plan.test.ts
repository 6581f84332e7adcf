import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { noiseMultiplierFor } from "../../services/coordinator/dp-calibration.ts";
import { taskPlanFor } from "../../services/coordinator/training-plan.ts";
import {
  computeRdp,
  defaultOrders,
  epsilonFromRdp,
} from "../../services/learning/privacy/rdp-accountant.ts";
import type { AgreementRecord } from "../../services/store/repositories/agreements-repository.ts";
import type { TaskRecord } from "../../services/store/repositories/tasks-repository.ts";

const task = (spec: Record<string, unknown>): TaskRecord => ({
  id: "task-plan",
  ownerAddress: `0x${"ab".repeat(20)}`,
  status: "agreed",
  rail: "sandbox",
  currency: "USDC",
  budget: 10_000n,
  spec,
  termsHash: null,
  chainTaskId: null,
  deadline: new Date(Date.now() + 86_400_000),
  version: 1,
  createdAt: new Date(),
  updatedAt: new Date(),
});

const agreement = (holderId: string, modelTier: unknown): AgreementRecord => ({
  id: `agreement-${holderId}`,
  taskId: "task-plan",
  holderId,
  terms: { modelTier },
  termsHash: `0x${"00".repeat(32)}`,
  price: 1_000n,
  anchorTx: null,
  createdAt: new Date(),
});

const spec = {
  model: { name: "mnist-2nn" },
  data: { labels: ["0", "1"] },
  rounds: 10,
  holdersPerRound: 2,
  minHolders: 2,
  localEpochs: 1,
  roundDeadlineS: 30,
  privacy: { epsilon: 4, delta: 1e-5 },
};

describe("the coordinator's training plan", () => {
  it("calibrates the least noise that keeps the agreed (ε, δ)", () => {
    const target = { epsilon: 4, delta: 1e-5, rounds: 10, samplingRate: 0.5 };
    const sigma = noiseMultiplierFor(target);
    const epsilonAt = (s: number) =>
      epsilonFromRdp(defaultOrders, computeRdp(0.5, s, 10), 1e-5).epsilon;
    assert.ok(epsilonAt(sigma) <= 4, `σ ${sigma} keeps ε ≤ 4`);
    assert.ok(epsilonAt(sigma * 0.97) > 4, "and 3% less noise would not");
  });

  it("reads holders, tiers, rounds and DP from the task and its agreements", () => {
    const plan = taskPlanFor(task(spec), [agreement("b", 1), agreement("a", 0), agreement("c", 0)]);
    assert.deepEqual(plan.holders, ["a", "b", "c"]);
    assert.deepEqual(plan.tiers, { a: 0, b: 1, c: 0 });
    assert.equal(plan.rounds, 10);
    assert.equal(plan.clientsPerRound, 2);
    assert.equal(plan.minUpdates, 2);
    assert.equal(plan.roundDurationMs, 30_000);
    assert.equal(plan.strategy.name, "dp-fedavg");
    assert.equal(plan.dp?.noiseAt, "aggregator");
    assert.ok((plan.dp?.noiseMultiplier ?? 0) > 0);
  });

  it("follows the market's participation plan and calibrates noise for it", () => {
    const signed = [agreement("a", 0), agreement("b", 0), agreement("c", 0)];
    // Ten rounds of two: a and b are each invited 7 times, c 6 times.
    const rounds = Array.from(
      { length: 10 },
      (_, r) =>
        [
          ["a", "b"],
          ["b", "c"],
          ["c", "a"],
        ][r % 3],
    );
    const plan = taskPlanFor(task(spec), signed, { rounds });
    assert.deepEqual(
      plan.schedule,
      rounds.map((round) => round?.toSorted()),
    );
    // A fixed plan gets no amplification by sampling: the plain Gaussian
    // mechanism, composed over the 7 rounds of the holder invited most.
    assert.equal(
      plan.dp?.noiseMultiplier,
      noiseMultiplierFor({ epsilon: 4, delta: 1e-5, rounds: 7, samplingRate: 1 }),
    );
    const sampled = taskPlanFor(task(spec), signed);
    assert.equal(sampled.schedule, undefined, "no stored plan: seeded random sampling");
    assert.equal(
      sampled.dp?.noiseMultiplier,
      noiseMultiplierFor({
        epsilon: 4,
        delta: 1e-5,
        rounds: 10,
        samplingRate: Math.min(3, Math.ceil(2 * (1 + sampled.overcommit))) / 3,
      }),
    );
  });

  it("refuses a participation plan that does not match what was signed", () => {
    const signed = [agreement("a", 0), agreement("b", 0)];
    const rounds = (r: string[]) => Array.from({ length: 10 }, () => r);
    assert.throws(() => taskPlanFor(task(spec), signed, { rounds: rounds(["a", "b"]).slice(1) }), {
      detail: "The selection plans 9 rounds; the task has 10.",
    });
    assert.throws(() => taskPlanFor(task(spec), signed, { rounds: rounds(["a", "z"]) }), {
      detail: "Round 0 invites a holder without a signed agreement.",
    });
    assert.throws(() => taskPlanFor(task(spec), signed, { rounds: rounds(["a"]) }), {
      detail: "Round 0 invites 1 holders and needs 2 updates.",
    });
  });

  it("refuses a model it cannot train, a tier the model lacks, and a task nobody signed", () => {
    assert.throws(
      () => taskPlanFor(task({ ...spec, model: { name: "resnet" } }), [agreement("a", 0)]),
      /Unknown model/,
    );
    assert.throws(() => taskPlanFor(task(spec), [agreement("a", 7)]), /cannot be trained/);
    assert.throws(() => taskPlanFor(task(spec), []), /no signed agreements/);
  });
});
