import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { startAggregateWorker } from "../../queues/aggregate-worker.ts";
import { createRedisConnection } from "../../queues/connection.ts";
import { queueNames } from "../../queues/names.ts";
import { RedisRoundBook } from "../../queues/redis-round-book.ts";
import { RoundFlows } from "../../queues/round-flows.ts";
import { RoundProgressChannel } from "../../queues/round-progress.ts";
import { startHolderWorker } from "../../queues/worker-main.ts";
import { FileBlobStore } from "../../services/learning/blobs/file-blob-store.ts";
import { putWeights } from "../../services/learning/blobs/weight-blobs.ts";
import { MnistDemoDataSource } from "../../services/learning/data/holder-data-source.ts";
import { initialWeights } from "../../services/learning/models/build-model.ts";
import type { RoundResult } from "../../services/learning/rounds/round-book.ts";
import { PrivateRedis, privateRedisUnavailable } from "../e2e/support/private-redis.ts";
import { testRoundStart } from "../learning/round-harness.ts";

/**
 * Redis goes away just as a holder finishes training, and is back two
 * seconds later. The worker as `agora worker` starts it records the update
 * once Redis answers again, in the same attempt: round-book calls that
 * failed fast would spend one of the job's attempts on every outage.
 */
describe("a holder's worker across a Redis outage", { skip: privateRedisUnavailable() }, () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it("records an update trained while Redis was away once it is back", async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.dispose());
    const dataDir = await mkdtemp(join(tmpdir(), "agora-outage-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const prefix = "agora_outage";
    const connections: Redis[] = [];
    const connect = () => {
      const connection = createRedisConnection({ url: redis.url, role: "worker" });
      connection.on("error", () => {});
      connections.push(connection);
      return connection;
    };
    cleanups.push(() => Promise.all(connections.map((connection) => connection.quit())));

    // The coordinator's side: the flow producer and the aggregate worker.
    const blobs = FileBlobStore.inDataDir(dataDir);
    const book = new RedisRoundBook(connect(), prefix);
    const progress = new RoundProgressChannel(connect(), prefix);
    const aggregateQueue = new Queue(queueNames.aggregate, { connection: connect(), prefix });
    const flows = new RoundFlows({ connection: connect(), prefix, book, aggregateQueue, progress });
    const aggregator = startAggregateWorker({
      connection: connect(),
      prefix,
      blobs,
      book,
      flows,
      progress,
    });
    // Connection errors during the outage are expected; unheard, each one would be printed.
    aggregateQueue.on("error", () => {});
    aggregator.on("error", () => {});
    cleanups.push(
      () => aggregateQueue.close(),
      () => flows.close(),
      () => aggregator.close(),
    );

    // The holder's side, started as `agora worker` starts it; Redis stops as its training ends.
    let outage: Promise<void> | undefined;
    const holder = await startHolderWorker({
      holderId: "h1",
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        AGORA_QUEUE_PREFIX: prefix,
        AGORA_DATA_DIR: dataDir,
        LOG_LEVEL: "silent",
      },
      data: new MnistDemoDataSource(["h1"], {
        scheme: { kind: "iid" },
        validationSize: 100,
        testSize: 100,
        poolSize: 300,
        seed: "outage",
      }),
      simulate: async ({ trained }) => {
        if (outage === undefined) {
          // Redis is gone before the worker stores and records the update.
          await redis.stop();
          outage = new Promise((resolve) => setTimeout(resolve, 2_000)).then(() => redis.restart());
        }
        return trained;
      },
    });
    cleanups.push(() => holder.stop());

    const globalModelHash = await putWeights(blobs, initialWeights("mnist-2nn", 3));
    await flows.startRound(
      testRoundStart(globalModelHash, {
        taskId: "outage",
        holders: ["h1"],
        deadline: Date.now() + 60_000,
      }),
    );
    let result: RoundResult | undefined;
    for (let waited = 0; result === undefined && waited < 45_000; waited += 200) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      result =
        outage === undefined ? undefined : await book.getResult({ taskId: "outage", round: 0 });
    }
    assert.ok(outage !== undefined, "the holder trained");
    await outage;
    assert.ok(result !== undefined, "the round closed");
    assert.equal(result.status, "aggregated", JSON.stringify(result));
    assert.deepEqual(result.participants, ["h1"]);
    assert.deepEqual(result.failures, []);
    // Recorded by the attempt that trained it: the outage did not spend one of the job's
    // attempts (failing fast would have, and a second outage or a real failure would then
    // have cost the holder its update).
    const trainQueue = new Queue("train.h1", { connection: connect(), prefix });
    const [job] = await trainQueue.getJobs(["completed"]);
    await trainQueue.close();
    assert.equal(job?.attemptsStarted, 1, `attempts started: ${job?.attemptsStarted}`);
    const updates = await book.listUpdates({ taskId: "outage", round: 0 });
    assert.deepEqual(
      updates.map((update) => update.holderId),
      ["h1"],
    );
  });
});
