import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { closeRound } from "../../queues/aggregate-worker.ts";
import { createRedisConnection, waitUntilReady } from "../../queues/connection.ts";
import { queueNames } from "../../queues/names.ts";
import { RedisRoundBook } from "../../queues/redis-round-book.ts";
import { RoundFlows } from "../../queues/round-flows.ts";
import { RoundProgressChannel } from "../../queues/round-progress.ts";
import type { BlobStore } from "../../services/learning/blobs/blob-store.ts";
import { FileBlobStore } from "../../services/learning/blobs/file-blob-store.ts";
import { getWeights, putWeights } from "../../services/learning/blobs/weight-blobs.ts";
import { parameterCount } from "../../services/learning/models/architecture.ts";
import { initialWeights } from "../../services/learning/models/build-model.ts";
import type {
  RoundKey,
  UpdateArrival,
  UpdateRecord,
} from "../../services/learning/rounds/round-book.ts";
import { loadReply, UpdatePrefetch } from "../../services/learning/rounds/update-prefetch.ts";
import { CoordinateMedian } from "../../services/learning/strategies/coordinate-median.ts";
import { weightedAverage } from "../../services/learning/strategies/fedavg.ts";
import { seededRng } from "../../services/learning/util/random.ts";
import { weightsHash } from "../../services/learning/weights/flat-weights.ts";
import { testRedisUrl, uniqueName } from "../support/environment.ts";

/** A real file store that counts reads, to see which step read what. */
class CountingBlobStore implements BlobStore {
  reads = 0;
  readonly inner: BlobStore;
  constructor(inner: BlobStore) {
    this.inner = inner;
  }
  put(bytes: Uint8Array) {
    return this.inner.put(bytes);
  }
  get(hash: string) {
    this.reads++;
    return this.inner.get(hash);
  }
  has(hash: string) {
    return this.inner.has(hash);
  }
}

describe("aggregating as updates arrive (real Redis, real blobs)", () => {
  const prefix = uniqueName("agora_fl_prefetch");
  const blobDir = `/tmp/${uniqueName("agora_fl_prefetch_blobs")}`;
  let client: Redis;
  let worker: Redis;
  let book: RedisRoundBook;
  let flows: RoundFlows;
  let aggregateQueue: Queue;
  let progress: RoundProgressChannel;
  const blobs = new CountingBlobStore(new FileBlobStore(blobDir));
  const global = initialWeights("mnist-2nn", 3);
  let globalModelHash: string;
  const deadline = Date.now() + 120_000;
  /** Arrival order h3, h1, h4, h2 (tier 1), then h5 past the deadline; holder-id order differs. */
  const updates: UpdateRecord[] = [];

  before(async () => {
    client = createRedisConnection({ url: testRedisUrl(), role: "client" });
    worker = createRedisConnection({ url: testRedisUrl(), role: "worker" });
    await waitUntilReady(client);
    book = new RedisRoundBook(client, prefix);
    progress = new RoundProgressChannel(client, prefix);
    aggregateQueue = new Queue(queueNames.aggregate, { connection: worker, prefix });
    flows = new RoundFlows({ connection: worker, prefix, book, aggregateQueue, progress });
    globalModelHash = await putWeights(blobs, global);
    const rng = seededRng("prefetch-updates");
    for (const [holderId, tier, late] of [
      ["h3", 0, false],
      ["h1", 0, false],
      ["h4", 0, false],
      ["h2", 1, false],
      ["h5", 0, true],
    ] as const) {
      const size = parameterCount("mnist-2nn", tier);
      const weights = Float32Array.from({ length: size }, (_, i) =>
        i < global.length ? (global[i] as number) + (rng() - 0.5) * 0.1 : 0,
      );
      updates.push({
        holderId,
        updateHash: await putWeights(blobs, weights),
        tier,
        samples: 40 + Math.floor(rng() * 80),
        loss: 1,
        trainSeconds: 0.1,
        backend: "cpu",
        receivedAt: late ? deadline + 1 : Date.now(),
      });
    }
  });

  after(async () => {
    await flows.close();
    await aggregateQueue.close();
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
    await worker.quit();
    await rm(blobDir, { recursive: true, force: true });
  });

  async function openAndRecord(
    taskId: string,
    strategy: unknown,
    beforeEach?: (index: number) => Promise<void>,
  ): Promise<RoundKey> {
    const key = { taskId, round: 0 };
    await book.openRound({
      ...key,
      model: "mnist-2nn",
      globalModelHash,
      holders: ["h1", "h2", "h3", "h4", "h5"],
      targetUpdates: 5,
      minUpdates: 2,
      deadline,
      strategy,
      startedAt: Date.now(),
    });
    for (const [index, update] of updates.entries()) {
      await beforeEach?.(index);
      assert.equal((await book.recordUpdate(key, update)).outcome, "recorded");
    }
    // A retried job with other bytes changes nothing: the first record stands.
    const retry = { ...(updates[0] as UpdateRecord), updateHash: "f".repeat(64) };
    assert.equal((await book.recordUpdate(key, retry)).outcome, "duplicate");
    return key;
  }

  /** Watches arrivals into a prefetch from before the round's first record (or from `startAt`). */
  async function watched(startAt = 0) {
    const prefetch = new UpdatePrefetch({ blobs, book });
    const seen: UpdateArrival[] = [];
    let watch: Awaited<ReturnType<RedisRoundBook["watchArrivals"]>> | undefined;
    const start = async () => {
      watch = await book.watchArrivals((arrival) => {
        seen.push(arrival);
        prefetch.onArrival(arrival);
      });
    };
    return {
      prefetch,
      seen,
      beforeEach: async (index: number) => {
        if (index === startAt) await start();
      },
      async settle(count: number) {
        for (let i = 0; i < 200 && seen.length < count; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.equal(seen.length, count, "every recorded update was announced once");
      },
      stop: () => watch?.stop(),
    };
  }

  const deps = () => ({ blobs, book, flows, progress });

  it("folds FedAvg updates as they are recorded; closing reads nothing and gives the same model", async () => {
    const warm = await watched();
    const warmKey = await openAndRecord("warm", { name: "fedavg" }, warm.beforeEach);
    await warm.settle(5);
    assert.deepEqual(
      warm.seen.map((a) => [a.update.holderId, a.sequence]),
      [
        ["h3", 1],
        ["h1", 2],
        ["h4", 3],
        ["h2", 4],
        ["h5", 5],
      ],
    );
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the reads finish
    const readsBefore = blobs.reads;
    const warmResult = await closeRound(warmKey, { ...deps(), prefetch: warm.prefetch });
    assert.equal(blobs.reads - readsBefore, 0, "no update (nor the global model) read at close");
    await warm.stop();

    const coldKey = await openAndRecord("cold", { name: "fedavg" });
    const coldReadsBefore = blobs.reads;
    const coldResult = await closeRound(coldKey, deps());
    assert.equal(blobs.reads - coldReadsBefore, 5, "the global model and four on-time updates");

    assert.equal(warmResult.status, "aggregated");
    assert.deepEqual(warmResult.participants, ["h1", "h2", "h3", "h4"]);
    assert.deepEqual(warmResult.dropped, ["h5"]);
    assert.equal(warmResult.modelHash, coldResult.modelHash);
    // The definition: the sample-weighted average, in the recorded arrival order.
    const replies = await Promise.all(
      updates.slice(0, 4).map((u) => loadReply(blobs, u, { model: "mnist-2nn" }, global)),
    );
    assert.equal(warmResult.modelHash, weightsHash(weightedAverage(replies, global)));
  });

  it("a missed announcement only loses the head start", async () => {
    const late = await watched(1); // subscribes after h3 was recorded
    const key = await openAndRecord("missed", { name: "fedavg" }, late.beforeEach);
    await late.settle(4);
    const result = await closeRound(key, { ...deps(), prefetch: late.prefetch });
    await late.stop();
    const cold = await book.getResult({ taskId: "cold", round: 0 });
    assert.equal(result.modelHash, cold?.modelHash);
  });

  it("a round book out of reach while updates arrive only loses the head start", async () => {
    const key = await openAndRecord("unreachable", { name: "fedavg" });
    // The coordinator's book connection as it is while Redis restarts: it refuses commands.
    const gone = createRedisConnection({ url: testRedisUrl(), role: "client" });
    await waitUntilReady(gone);
    gone.disconnect();
    const prefetch = new UpdatePrefetch({ blobs, book: new RedisRoundBook(gone, prefix) });
    const unhandled: unknown[] = [];
    const listen = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", listen);
    try {
      for (const [index, update] of updates.entries()) {
        prefetch.onArrival({ key, sequence: index + 1, update });
      }
      const result = await closeRound(key, { ...deps(), prefetch });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(unhandled, []);
      const cold = await book.getResult({ taskId: "cold", round: 0 });
      assert.equal(result.status, "aggregated");
      assert.equal(result.modelHash, cold?.modelHash);
    } finally {
      process.off("unhandledRejection", listen);
    }
  });

  it("keeps updates read ahead for rules that need them all (median)", async () => {
    const warm = await watched();
    const key = await openAndRecord("median", { name: "median" }, warm.beforeEach);
    await warm.settle(5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const readsBefore = blobs.reads;
    const result = await closeRound(key, { ...deps(), prefetch: warm.prefetch });
    assert.equal(blobs.reads - readsBefore, 0);
    await warm.stop();
    const replies = await Promise.all(
      [...updates.slice(0, 4)]
        .sort((a, b) => a.holderId.localeCompare(b.holderId))
        .map((u) => loadReply(blobs, u, { model: "mnist-2nn" }, global)),
    );
    const expected = new CoordinateMedian().aggregate(0, replies, [], global).weights;
    assert.equal(result.modelHash, weightsHash(expected));
    assert.deepEqual(await getWeights(blobs, result.modelHash ?? ""), expected);
  });
});
