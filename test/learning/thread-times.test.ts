import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readThreadTimes, threadTimesSince } from "../../scripts/bench-fl/thread-times.ts";
import { FileBlobStore } from "../../services/learning/blobs/file-blob-store.ts";
import { subset } from "../../services/learning/data/dataset.ts";
import { loadMnist } from "../../services/learning/data/mnist.ts";
import { initialWeights } from "../../services/learning/models/build-model.ts";
import { TrainingThread } from "../../services/learning/training/training-thread.ts";
import { weightsHash } from "../../services/learning/weights/flat-weights.ts";

// The bench splits a round's time by thread with the scheduler's counters; that only
// works if Agora's threads carry their names down to the kernel.
describe("per-thread times", { skip: readThreadTimes() === undefined && "no /proc" }, () => {
  it("tell the training thread and the blob threads apart from the event loop", async () => {
    const mnist = loadMnist();
    const data = subset(
      mnist,
      Array.from({ length: 600 }, (_, i) => i),
    );
    const global = initialWeights("mnist-2nn", 1);
    const thread = new TrainingThread();
    const root = join(tmpdir(), `agora-thread-times-${process.pid}`);
    const blobs = new FileBlobStore(root, { threads: 1 });
    try {
      const before = readThreadTimes();
      const trained = await thread.train({
        kind: "mnist-2nn",
        tier: 0,
        global,
        globalHash: weightsHash(global),
        data,
        epochs: 2,
        batchSize: 10,
        learningRate: 0.1,
        seed: "thread-times",
      });
      for (let i = 0; i < 20; i++) await blobs.put(new Uint8Array(trained.weights.buffer.slice(0)));
      const after = readThreadTimes();
      assert.ok(before !== undefined && after !== undefined);
      const spent = threadTimesSince(before, after);
      // The training ran on its thread: most of its time shows there, little on the event loop.
      assert.ok(
        spent.training.cpu_s > trained.trainSeconds / 2,
        `training thread ${spent.training.cpu_s} s, trained ${trained.trainSeconds} s`,
      );
      assert.ok(
        spent.event_loop.cpu_s < spent.training.cpu_s,
        `event loop ${spent.event_loop.cpu_s} s, training ${spent.training.cpu_s} s`,
      );
      assert.ok(spent.blobs.cpu_s > 0, "the blob thread hashed and wrote 20 blobs");
    } finally {
      await thread.close();
      await blobs.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
