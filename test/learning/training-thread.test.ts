import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isAgoraError } from "../../services/errors/agora-error.ts";
import { type Dataset, subset } from "../../services/learning/data/dataset.ts";
import { loadMnist } from "../../services/learning/data/mnist.ts";
import { initialWeights } from "../../services/learning/models/build-model.ts";
import { chooseTrainer } from "../../services/learning/training/choose-trainer.ts";
import { InProcessTrainer } from "../../services/learning/training/in-process-trainer.ts";
import type { Trainer, TrainingJob } from "../../services/learning/training/trainer.ts";
import {
  sharedTrainingThread,
  TrainingThread,
} from "../../services/learning/training/training-thread.ts";
import { weightsHash } from "../../services/learning/weights/flat-weights.ts";

const mnist = loadMnist();
const digits = (count: number, offset: number): Dataset =>
  subset(
    mnist,
    Array.from({ length: count }, (_, i) => i * 7 + offset),
  );
const globalA = initialWeights("mnist-2nn", 1);
const globalB = initialWeights("mnist-2nn", 2);

function job(global: Float32Array, data: Dataset, overrides: Partial<TrainingJob> = {}) {
  return {
    kind: "mnist-2nn" as const,
    tier: 0,
    global,
    globalHash: weightsHash(global),
    data,
    epochs: 1,
    batchSize: 10,
    learningRate: 0.1,
    seed: "thread-test",
    // Both sides on one backend, so their updates can be compared bit for bit.
    forcedBackend: "wasm",
    ...overrides,
  } satisfies TrainingJob;
}

/** The longest the event loop went without running a 2 ms timer while `work` ran. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 2);
  try {
    const result = await work();
    return { result, stallMs };
  } finally {
    clearInterval(timer);
  }
}

describe("training thread", () => {
  it("trains the same update as training in process, without stalling the event loop", async () => {
    const thread = new TrainingThread();
    const inProcess = new InProcessTrainer();
    try {
      const data = digits(1200, 0);
      // One epoch of 1,200 digits is one long synchronous stretch on the thread that runs it.
      const heavy = job(globalA, data, { epochs: 2 });
      await thread.train(job(globalA, digits(20, 3)));
      const onThread = await longestStall(() => thread.train(heavy));
      const inLoop = await longestStall(() => inProcess.train(heavy));
      assert.deepEqual(onThread.result.weights, inLoop.result.weights);
      assert.equal(onThread.result.samples, 1200);
      assert.equal(onThread.result.backend, "wasm");
      const epochMs = (inLoop.result.trainSeconds * 1000) / 2;
      // The control: training on the event loop's thread holds it for about an epoch.
      assert.ok(
        inLoop.stallMs > epochMs / 2,
        `in process: ${inLoop.stallMs} ms, epoch ${epochMs} ms`,
      );
      assert.ok(
        onThread.stallMs < epochMs / 4,
        `thread: ${onThread.stallMs} ms, epoch ${epochMs} ms`,
      );
    } finally {
      await thread.close();
    }
  });

  it("sends a global model again when the hash it trains from changes", async () => {
    const thread = new TrainingThread();
    try {
      const data = digits(100, 1);
      const fromA = await thread.train(job(globalA, data));
      const fromB = await thread.train(job(globalB, data));
      const fromAAgain = await thread.train(job(globalA, data));
      assert.notDeepEqual(fromB.weights, fromA.weights);
      assert.deepEqual(fromAAgain.weights, fromA.weights);
      // Jobs asked for together run one after another and each gets its own answer.
      const [a, b] = await Promise.all([
        thread.train(job(globalA, data)),
        thread.train(job(globalB, data)),
      ]);
      assert.deepEqual(a.weights, fromA.weights);
      assert.deepEqual(b.weights, fromB.weights);
    } finally {
      await thread.close();
    }
  });

  it("fails a job as training in process would, and keeps serving the next", async () => {
    const thread = new TrainingThread();
    try {
      const empty: Dataset = { images: new Float32Array(0), labels: new Uint8Array(0) };
      await assert.rejects(
        thread.train(job(globalA, empty)),
        (e) =>
          isAgoraError(e) && e.kind === "invalid" && e.message === "Holder has no training data",
      );
      const torn: Dataset = { images: new Float32Array(10), labels: new Uint8Array(2) };
      await assert.rejects(
        thread.train(job(globalA, torn)),
        (e) => isAgoraError(e) && e.kind === "invalid",
      );
      const trained = await thread.train(job(globalA, digits(10, 2)));
      assert.equal(trained.samples, 10);
    } finally {
      await thread.close();
    }
  });

  it("fails pending jobs when the thread goes, and starts a new one for the next job", async () => {
    const thread: Trainer = new TrainingThread();
    const data = digits(600, 4);
    const failed = assert.rejects(
      thread.train(job(globalA, data, { epochs: 3 })),
      /training thread closed/,
    );
    await thread.close();
    await failed;
    // Nothing sent to the old thread is assumed known to the new one.
    const trained = await thread.train(job(globalA, data));
    assert.equal(trained.samples, 600);
    await thread.close();
  });

  it("is what AGORA_TRAINING_THREAD asks for, and a typo is an error", () => {
    assert.equal(chooseTrainer(undefined), sharedTrainingThread());
    assert.equal(chooseTrainer("on"), sharedTrainingThread());
    assert.ok(chooseTrainer("off") instanceof InProcessTrainer);
    assert.equal(chooseTrainer("off"), chooseTrainer(" off "));
    assert.throws(
      () => chooseTrainer("yes"),
      (e) =>
        isAgoraError(e) && e.kind === "invalid" && /AGORA_TRAINING_THREAD/.test(e.detail ?? ""),
    );
  });
});
