import { rm } from "node:fs/promises";
import { Queue, type Worker } from "bullmq";
import type { Redis } from "ioredis";
import { startAggregateWorker } from "../../queues/aggregate-worker.ts";
import { createRedisConnection, waitUntilReady } from "../../queues/connection.ts";
import { queueNames } from "../../queues/names.ts";
import { RedisRoundBook } from "../../queues/redis-round-book.ts";
import { RoundFlows, type RoundStart } from "../../queues/round-flows.ts";
import { RoundProgressChannel } from "../../queues/round-progress.ts";
import { startTrainWorker } from "../../queues/train-worker.ts";
import { CachedBlobStore } from "../../services/learning/blobs/cached-blob-store.ts";
import { FileBlobStore } from "../../services/learning/blobs/file-blob-store.ts";
import { putWeights } from "../../services/learning/blobs/weight-blobs.ts";
import { MnistDemoDataSource } from "../../services/learning/data/holder-data-source.ts";
import { initialWeights } from "../../services/learning/models/build-model.ts";
import type { RoundKey, RoundResult } from "../../services/learning/rounds/round-book.ts";
import { evaluateWeights } from "../../services/learning/training/evaluate.ts";
import { testRedisUrl, uniqueName } from "../support/environment.ts";

/** What the round tests train: one epoch of FedAvg on the 2NN, without DP. */
export const testTraining = {
  model: "mnist-2nn",
  strategy: { name: "fedavg" },
  localEpochs: 1,
  batchSize: 20,
  learningRate: 0.1,
  dp: null,
} as const satisfies Partial<RoundStart>;

/** A round of `testTraining` from `globalModelHash`; tests override what they exercise. */
export function testRoundStart(
  globalModelHash: string,
  overrides: Partial<RoundStart> & Pick<RoundStart, "taskId" | "holders">,
): RoundStart {
  return {
    round: 0,
    ...testTraining,
    globalModelHash,
    minUpdates: 1,
    deadline: Date.now() + 30_000,
    trainAttempts: 2,
    ...overrides,
  };
}

/**
 * A real round set-up for tests: its own Redis prefix and blob directory,
 * the aggregate worker, and train workers started per holder on demand.
 * Holders `h1`..`h4` have MNIST data; any other holder id has none.
 */
export async function startRoundHarness() {
  const prefix = uniqueName("agora_fl");
  const blobDir = `/tmp/${uniqueName("agora_fl_blobs")}`;
  const connections: Redis[] = [];
  const connect = (role: "worker" | "client") => {
    const redis = createRedisConnection({ url: testRedisUrl(), role });
    connections.push(redis);
    return redis;
  };
  const client = connect("client");
  const blobs = new FileBlobStore(blobDir);
  // Holder workers share a cache, as one holder process does; the aggregator reads the files.
  const holderBlobs = new CachedBlobStore(blobs);
  const book = new RedisRoundBook(client, prefix);
  const progress = new RoundProgressChannel(client, prefix);
  const aggregateQueue = new Queue(queueNames.aggregate, { connection: connect("worker"), prefix });
  const flows = new RoundFlows({
    connection: connect("worker"),
    prefix,
    book,
    aggregateQueue,
    progress,
  });
  const data = new MnistDemoDataSource(["h1", "h2", "h3", "h4"], {
    scheme: { kind: "iid" },
    validationSize: 300,
    testSize: 100,
    poolSize: 480,
    seed: "round-harness",
  });
  const validation = data.ownerData().validation;
  const workers: Worker[] = [
    startAggregateWorker({
      connection: connect("worker"),
      prefix,
      blobs,
      book,
      flows,
      progress,
      evaluate: (model, weights) => evaluateWeights(model as "mnist-2nn", weights, validation),
    }),
  ];
  const globalModelHash = await putWeights(blobs, initialWeights("mnist-2nn", 7));
  // The client fails fast while offline: a loaded machine may not have connected it yet.
  await waitUntilReady(client);

  return {
    prefix,
    blobs,
    book,
    flows,
    progress,
    data,
    globalModelHash,
    startHolder(holderId: string): Worker {
      const worker = startTrainWorker({
        holderId,
        connection: connect("worker"),
        prefix,
        blobs: holderBlobs,
        book,
        data,
        flows,
      });
      workers.push(worker);
      return worker;
    },
    trainQueue(holderId: string): Queue {
      const queue = new Queue(`train.${holderId}`, { connection: client, prefix });
      return queue;
    },
    roundStart(
      overrides: Partial<RoundStart> & Pick<RoundStart, "taskId" | "holders">,
    ): RoundStart {
      return testRoundStart(globalModelHash, overrides);
    },
    async waitForResult(key: RoundKey, timeoutMs = 60_000): Promise<RoundResult> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const result = await book.getResult(key);
        if (result !== undefined) return result;
        if (Date.now() > until) throw new Error(`round ${key.taskId}/${key.round} never closed`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async close(): Promise<void> {
      await Promise.all(workers.map((worker) => worker.close()));
      await flows.close();
      await aggregateQueue.close();
      const keys = await client.keys(`${prefix}:*`);
      if (keys.length > 0) await client.del(...keys);
      await Promise.all(connections.map((redis) => redis.quit()));
      await rm(blobDir, { recursive: true, force: true });
    },
  };
}
