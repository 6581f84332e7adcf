import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isAgoraError } from "../../services/errors/agora-error.ts";
import { chooseBackend } from "../../services/learning/backend/choose-backend.ts";
import { FileBlobStore } from "../../services/learning/blobs/file-blob-store.ts";
import { getWeights, putWeights } from "../../services/learning/blobs/weight-blobs.ts";
import { subset } from "../../services/learning/data/dataset.ts";
import { loadMnist } from "../../services/learning/data/mnist.ts";
import { parameterCount } from "../../services/learning/models/architecture.ts";
import {
  buildModel,
  initialWeights,
  readFlatWeights,
} from "../../services/learning/models/build-model.ts";
import {
  embedTier,
  extractTier,
  tierIndexMap,
} from "../../services/learning/models/tier-mapping.ts";
import { evaluateWeights } from "../../services/learning/training/evaluate.ts";
import { trainLocally } from "../../services/learning/training/local-train.ts";
import { weightsHash } from "../../services/learning/weights/flat-weights.ts";
import { uniqueName } from "../support/environment.ts";

const blobDir = `/tmp/${uniqueName("agora_blobs")}`;
after(() => rm(blobDir, { recursive: true, force: true }));

describe("models, tiers, weights and backends", () => {
  it("builds McMahan's 2NN and CNN with their published parameter counts", () => {
    assert.equal(parameterCount("mnist-2nn", 0), 199_210);
    assert.equal(parameterCount("mnist-cnn", 0), 1_663_370);
    for (const kind of ["mnist-2nn", "mnist-cnn"] as const) {
      for (const tier of [0, 1]) {
        const model = buildModel(kind, tier);
        assert.equal(model.countParams(), parameterCount(kind, tier));
        model.dispose();
      }
    }
  });

  it("maps a reduced tier into the full model (HeteroFL slices)", () => {
    for (const kind of ["mnist-2nn", "mnist-cnn"] as const) {
      const map = tierIndexMap(kind, 1);
      assert.equal(new Set(map).size, map.length, "distinct targets");
      const full = initialWeights(kind, 3);
      const sub = extractTier(full, kind, 1);
      const { weights, coverage } = embedTier(sub, full, kind, 1);
      assert.deepEqual(weights, full);
      assert.equal(
        coverage.reduce((a, b) => a + b, 0),
        map.length,
      );
    }
    // 2NN: the first kernel's sub-row 1 starts at full row 1 (row length 200, not 100).
    assert.equal(tierIndexMap("mnist-2nn", 1)[100], 200);
    assert.throws(
      () => extractTier(new Float32Array(5), "mnist-2nn", 1),
      (e) => isAgoraError(e) && e.kind === "invalid",
    );
  });

  it("stores weights content-addressed, once, and detects corruption", async () => {
    const store = new FileBlobStore(blobDir);
    const weights = initialWeights("mnist-2nn", 1);
    const hash = await putWeights(store, weights);
    assert.equal(hash, weightsHash(weights));
    assert.equal(await putWeights(store, weights), hash);
    assert.deepEqual(await getWeights(store, hash), weights);
    await writeFile(join(blobDir, hash.slice(0, 2), hash), "tampered");
    await assert.rejects(store.get(hash), (e) => isAgoraError(e) && e.kind === "internal");
    await assert.rejects(
      store.get("0".repeat(64)),
      (e) => isAgoraError(e) && e.kind === "not_found",
    );
    await assert.rejects(store.get("../etc"), (e) => isAgoraError(e) && e.kind === "invalid");
  });

  it("chooses a backend that can train the model, and refuses impossible choices", async () => {
    await assert.rejects(
      chooseBackend({ models: ["mnist-2nn"], forced: "tpu" }),
      (e) => isAgoraError(e) && e.kind === "invalid",
    );
    await assert.rejects(
      chooseBackend({ models: ["mnist-cnn"], forced: "wasm" }),
      (e) => isAgoraError(e) && e.kind === "invalid",
    );
    const cnn = await chooseBackend({ models: ["mnist-cnn"] });
    assert.notEqual(cnn.backend, "wasm");
    assert.ok(cnn.attempts.some((a) => a.backend === "wasm" && !a.ok));
    const dense = await chooseBackend({ models: ["mnist-2nn"] });
    assert.ok(["tensorflow", "webgpu", "wasm"].includes(dense.backend), dense.backend);
  });

  it("local training on real digits improves accuracy, reproducibly, at both tiers", async () => {
    await chooseBackend({ models: ["mnist-2nn"] });
    const mnist = loadMnist();
    const train = subset(
      mnist,
      Array.from({ length: 300 }, (_, i) => i * 31),
    );
    const test = subset(
      mnist,
      Array.from({ length: 300 }, (_, i) => i * 31 + 7),
    );
    const global = initialWeights("mnist-2nn", 1);
    const before = evaluateWeights("mnist-2nn", global, test).accuracy;
    const options = {
      kind: "mnist-2nn" as const,
      tier: 0,
      global,
      data: train,
      epochs: 3,
      batchSize: 10,
      learningRate: 0.1,
      seed: "s",
    };
    const trained = await trainLocally(options);
    const afterAcc = evaluateWeights("mnist-2nn", trained.weights, test).accuracy;
    assert.ok(afterAcc > before + 0.3, `${before} → ${afterAcc}`);
    assert.equal(trained.samples, 300);
    assert.deepEqual((await trainLocally(options)).weights, trained.weights);
    const small = await trainLocally({ ...options, tier: 1, proximalMu: 0.01 });
    assert.equal(small.weights.length, parameterCount("mnist-2nn", 1));
    const merged = embedTier(small.weights, global, "mnist-2nn", 1).weights;
    assert.ok(evaluateWeights("mnist-2nn", merged, test).accuracy > before + 0.2);
    assert.equal(readFlatWeights(buildModel("mnist-2nn", 1)).length, small.weights.length);
  });
});
