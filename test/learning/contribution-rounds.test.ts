import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { AgoraError } from "../../services/errors/agora-error.ts";
import { chooseBackend } from "../../services/learning/backend/choose-backend.ts";
import { FileBlobStore } from "../../services/learning/blobs/file-blob-store.ts";
import { putWeights } from "../../services/learning/blobs/weight-blobs.ts";
import { recomputeContributions } from "../../services/learning/contribution/recompute-contributions.ts";
import {
  coalitionModel,
  loadRoundReplies,
  type RoundUpdate,
  roundCoalitionUtility,
} from "../../services/learning/contribution/round-coalitions.ts";
import { type RoundToScore, scoreRound } from "../../services/learning/contribution/score-round.ts";
import {
  datasetDigest,
  mnistDemoValidation,
} from "../../services/learning/contribution/validation-reference.ts";
import { ValidationScorer } from "../../services/learning/contribution/validation-scorer.ts";
import { MnistDemoDataSource } from "../../services/learning/data/holder-data-source.ts";
import { initialWeights } from "../../services/learning/models/build-model.ts";
import { extractTier, tierIndexMap } from "../../services/learning/models/tier-mapping.ts";
import { createStrategy } from "../../services/learning/strategies/create-strategy.ts";
import { evaluateWeights } from "../../services/learning/training/evaluate.ts";
import { trainLocally } from "../../services/learning/training/local-train.ts";
import { weightsHash } from "../../services/learning/weights/flat-weights.ts";

/**
 * One real round: five holders of an MNIST split train from the same global
 * model. `honest-*` train normally (`honest-2` a half-width tier-1 sub-model),
 * `free-rider` sends the global model back untrained, `attacker` sends its
 * update sign-flipped and scaled by 4.
 */
const holders = ["honest-0", "honest-1", "honest-2", "free-rider", "attacker"];
const validationOptions = { seed: "contribution-rounds", validationSize: 300 };

describe("contribution scores of a real round", () => {
  let blobDir: string;
  let blobs: FileBlobStore;
  let global: Float32Array;
  let round: RoundToScore;
  const validation = () => mnistDemoValidation(validationOptions);

  before(async () => {
    await chooseBackend({ models: ["mnist-2nn"] });
    blobDir = await mkdtemp(join(tmpdir(), "agora-contribution-"));
    blobs = new FileBlobStore(blobDir);
    const source = new MnistDemoDataSource(holders, {
      scheme: { kind: "iid" },
      ...validationOptions,
      testSize: 100,
      poolSize: 600,
    });
    global = initialWeights("mnist-2nn", 3);
    const updates: RoundUpdate[] = [];
    for (const holderId of holders) {
      const data = await source.load(holderId);
      const tier = holderId === "honest-2" ? 1 : 0;
      let weights = extractTier(global, "mnist-2nn", tier);
      if (holderId !== "free-rider") {
        const trained = await trainLocally({
          kind: "mnist-2nn",
          tier,
          global,
          data,
          epochs: 1,
          batchSize: 20,
          learningRate: 0.1,
          seed: holderId,
        });
        weights = trained.weights;
      }
      if (holderId === "attacker")
        weights = weights.map((w, i) => (global[i] ?? 0) - 4 * (w - (global[i] ?? 0)));
      updates.push({
        holderId,
        updateHash: await putWeights(blobs, weights),
        samples: data.labels.length,
        tier,
      });
    }
    round = {
      taskId: "task-contribution",
      round: 0,
      model: "mnist-2nn",
      strategy: { name: "fedavg" },
      startingModelHash: await putWeights(blobs, global),
      updates,
    };
  });
  after(async () => {
    if (blobDir) await rm(blobDir, { recursive: true, force: true });
  });

  it("values the empty coalition as the starting model and everyone as the round's aggregate", async () => {
    const replies = await loadRoundReplies(blobs, "mnist-2nn", global, round.updates);
    const strategy = createStrategy(round.strategy, round.taskId);
    const source = { round: 0, strategy, global, replies };
    const scorer = new ValidationScorer("mnist-2nn", validation().data);
    const tensorsBefore = tf.memory().numTensors;
    try {
      const { utility, observed } = roundCoalitionUtility(source, scorer);
      const everyone = holders.map((_, i) => i);
      const aggregate = strategy.aggregate(0, replies, [], global).weights;
      assert.equal(coalitionModel(source, []), global);
      assert.equal(
        weightsHash(coalitionModel(source, everyone) as Float32Array),
        weightsHash(aggregate),
      );
      assert.equal(
        await utility([]),
        evaluateWeights("mnist-2nn", global, validation().data).accuracy,
      );
      assert.equal(
        await utility(everyone),
        evaluateWeights("mnist-2nn", aggregate, validation().data).accuracy,
      );
      assert.ok(
        (await utility([0])) > (await utility([])) + 0.2,
        "one honest holder improves on the start",
      );
      assert.deepEqual([...observed.keys()], ["", "0,1,2,3,4", "0"]);
      // The tier-1 holder alone changes only the coordinates its sub-model covers.
      const tierOnly = coalitionModel(source, [2]) as Float32Array;
      const covered = new Set(tierIndexMap("mnist-2nn", 1));
      const uncovered = [...global.keys()].filter((i) => !covered.has(i));
      assert.ok(uncovered.length > 0);
      for (const i of uncovered) assert.equal(tierOnly[i], global[i]);
      // Evaluating coalitions leaks no tensors.
      assert.equal(tf.memory().numTensors, tensorsBefore);
    } finally {
      scorer.dispose();
    }
  });

  it("a coalition the strategy refuses is worth the starting model", async () => {
    const replies = await loadRoundReplies(blobs, "mnist-2nn", global, round.updates);
    const krum = { round: 0, strategy: createStrategy({ name: "krum", f: 0 }), global, replies };
    assert.equal(coalitionModel(krum, [0, 1]), undefined); // Krum with f = 0 needs 3 updates
    assert.notEqual(coalitionModel(krum, [0, 1, 2]), undefined);
  });

  it("exact Shapley is efficient, GTG-Shapley agrees with it for fewer evaluations, and both catch the attacker", async () => {
    const exact = await scoreRound(
      round,
      { blobs, validation: validation() },
      { method: "exact-shapley" },
    );
    const gtg = await scoreRound(
      round,
      { blobs, validation: validation() },
      { method: "gtg-shapley", seed: "test", gtg: { maxEvaluations: 20 } },
    );
    const loo = await scoreRound(
      round,
      { blobs, validation: validation() },
      { method: "leave-one-out" },
    );
    assert.equal(exact.evaluations, 2 ** holders.length);
    assert.ok(gtg.evaluations <= 20, `${gtg.evaluations} evaluations`);
    assert.equal(loo.evaluations, holders.length + 1);
    const total = [...exact.scores.values()].reduce((a, b) => a + b, 0);
    const gain = (exact.utilities["0,1,2,3,4"] ?? 0) - (exact.utilities[""] ?? 0);
    assert.ok(Math.abs(total - gain) < 1e-9, `${total} vs ${gain}`);
    const worst = (scores: Map<string, number>) =>
      [...scores].reduce((a, b) => (b[1] < a[1] ? b : a))[0];
    assert.equal(worst(exact.scores), "attacker");
    assert.equal(worst(gtg.scores), "attacker");
    // Honest holders are worth more than the free rider under both.
    for (const scores of [exact.scores, gtg.scores]) {
      for (const honest of ["honest-0", "honest-1", "honest-2"]) {
        assert.ok((scores.get(honest) ?? 0) > (scores.get("free-rider") ?? 0), honest);
      }
    }
    const scale = Math.max(...[...exact.scores.values()].map(Math.abs));
    for (const holder of holders) {
      const error = Math.abs((gtg.scores.get(holder) ?? 0) - (exact.scores.get(holder) ?? 0));
      assert.ok(error < 0.2 * scale, `${holder}: GTG off by ${error} (scale ${scale})`);
    }
  });

  it("recomputes exactly the stored scores from the stored inputs alone", async () => {
    for (const method of ["exact-shapley", "gtg-shapley", "leave-one-out"] as const) {
      const scored = await scoreRound(round, { blobs, validation: validation() }, { method });
      const stored = JSON.parse(JSON.stringify(scored.inputs)) as Record<string, unknown>;
      const again = await recomputeContributions(stored, { blobs });
      assert.equal(again.method, method);
      assert.deepEqual(again.scores, scored.scores);
      assert.equal(again.evaluations, scored.evaluations);
      assert.deepEqual(again.utilities, stored.utilities);
    }
  });

  it("refuses inputs that do not pin down a recomputation", async () => {
    const scored = await scoreRound(
      round,
      { blobs, validation: validation() },
      { method: "gtg-shapley" },
    );
    const inputs = scored.inputs as Record<string, unknown> & {
      validation: Record<string, unknown>;
    };
    const refused = (kind: string) => (error: unknown) =>
      error instanceof AgoraError && error.kind === kind;
    // Another validation set than the one scored on.
    await assert.rejects(
      recomputeContributions(
        { ...inputs, validation: { ...inputs.validation, validationSize: 299 } },
        { blobs },
      ),
      refused("conflict"),
    );
    await assert.rejects(
      recomputeContributions({ ...inputs, startingModelHash: undefined }, { blobs }),
      refused("invalid"),
    );
    await assert.rejects(
      recomputeContributions({ ...inputs, startingModelHash: "0".repeat(64) }, { blobs }),
      refused("not_found"),
    );
  });

  it("resolves the MNIST demo validation reference to the owner's validation set", () => {
    const source = new MnistDemoDataSource(["x", "y"], {
      scheme: { kind: "dirichlet", alpha: 0.5 },
      ...validationOptions,
      testSize: 50,
      poolSize: 200,
    });
    const owner = source.ownerData().validation;
    const resolved = validation();
    assert.equal(resolved.reference.digest, datasetDigest(owner));
    assert.deepEqual(resolved.data.labels, owner.labels);
  });
});
