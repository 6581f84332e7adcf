import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Worker } from "bullmq";
import { createRedisConnection, waitUntilReady } from "../../queues/connection.ts";
import { queueNames, trainQueueName } from "../../queues/names.ts";
import { trainJobId, trainJobSchema } from "../../queues/payloads.ts";
import { QueueRegistry } from "../../queues/queue-registry.ts";
import { AgoraError } from "../../services/errors/agora-error.ts";
import { testRedisUrl, uniqueName } from "../support/environment.ts";

describe("queues", () => {
  const prefix = uniqueName("agora_test");
  const producer = createRedisConnection({ url: testRedisUrl(), role: "producer" });
  const registry = new QueueRegistry({ connection: producer, prefix });

  before(() => waitUntilReady(producer));
  after(async () => {
    try {
      const keys = await producer.keys(`${prefix}*`);
      if (keys.length > 0) await producer.del(...keys);
    } finally {
      await registry.close();
      producer.disconnect();
    }
  });

  it("names a private train queue per holder and refuses unsafe ids", () => {
    assert.equal(trainQueueName("holder-7"), "train.holder-7");
    assert.throws(() => trainQueueName("a:b"), AgoraError);
    assert.throws(() => trainQueueName(""), AgoraError);
  });

  it("round-trips a validated job from producer to a worker on its own connection, once per job id", async () => {
    const job = trainJobSchema.parse({
      taskId: "task-1",
      round: 0,
      holderId: "holder-7",
      globalModelHash: "a".repeat(64),
      localEpochs: 1,
      batchSize: 10,
      modelTier: 0,
      deadline: Date.now() + 60_000,
      dp: null,
    });
    const queue = registry.get(trainQueueName(job.holderId));
    // Same deterministic id twice: BullMQ keeps one job, which is what makes a retried enqueue harmless.
    await queue.add("train", job, { jobId: trainJobId(job) });
    await queue.add("train", job, { jobId: trainJobId(job) });

    const workerConnection = createRedisConnection({ url: testRedisUrl(), role: "worker" });
    const seen: string[] = [];
    const worker = new Worker(
      queue.name,
      async (received) => {
        seen.push(trainJobSchema.parse(received.data).holderId);
        return { ok: true };
      },
      { connection: workerConnection, prefix },
    );
    await new Promise<void>((resolve) => worker.on("completed", () => resolve()));
    await worker.close();
    workerConnection.disconnect();
    assert.deepEqual(seen, ["holder-7"]);

    const discovered = (await registry.discover()).map((q) => q.name);
    assert.ok(discovered.includes("train.holder-7"));
    assert.ok(discovered.includes(queueNames.aggregate));
  });

  it("fails fast when a producer cannot reach Redis instead of hanging", async () => {
    const dead = createRedisConnection({ url: "redis://127.0.0.1:1", role: "producer" });
    dead.on("error", () => {});
    const started = Date.now();
    await assert.rejects(dead.ping());
    assert.ok(Date.now() - started < 3_000);
    dead.disconnect();
  });

  it("waits for a ready connection", async () => {
    const client = createRedisConnection({ url: testRedisUrl(), role: "client" });
    await waitUntilReady(client);
    assert.equal(client.status, "ready");
    client.disconnect();
  });
});
