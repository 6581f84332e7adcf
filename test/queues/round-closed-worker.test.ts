import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Queue, type Worker } from "bullmq";
import type { Redis } from "ioredis";
import { startAggregateWorker } from "../../queues/aggregate-worker.ts";
import { createRedisConnection, waitUntilReady } from "../../queues/connection.ts";
import { queueNames } from "../../queues/names.ts";
import { RedisRoundBook } from "../../queues/redis-round-book.ts";
import {
  processRoundClosed,
  type RoundClosedWorkerDeps,
  roundClosedJobOptions,
  settleJobId,
  startRoundClosedWorker,
} from "../../queues/round-closed-worker.ts";
import { RoundFlows } from "../../queues/round-flows.ts";
import { RoundProgressChannel } from "../../queues/round-progress.ts";
import { startTrainWorker } from "../../queues/train-worker.ts";
import { FileBlobStore } from "../../services/learning/blobs/file-blob-store.ts";
import { getWeights, putWeights } from "../../services/learning/blobs/weight-blobs.ts";
import { parseContributionInputs } from "../../services/learning/contribution/contribution-inputs.ts";
import { recomputeContributions } from "../../services/learning/contribution/recompute-contributions.ts";
import {
  coalitionModel,
  loadRoundReplies,
} from "../../services/learning/contribution/round-coalitions.ts";
import { mnistDemoValidation } from "../../services/learning/contribution/validation-reference.ts";
import { MnistDemoDataSource } from "../../services/learning/data/holder-data-source.ts";
import { initialWeights } from "../../services/learning/models/build-model.ts";
import { createStrategy } from "../../services/learning/strategies/create-strategy.ts";
import { evaluateWeights } from "../../services/learning/training/evaluate.ts";
import { weightsHash } from "../../services/learning/weights/flat-weights.ts";
import { createRepositories, type Repositories } from "../../services/store/repositories.ts";
import { testRoundStart, testTraining } from "../learning/round-harness.ts";
import { newHolder, newTask } from "../store/fixtures.ts";
import { databaseBackends, type TestDatabase } from "../support/databases.ts";
import { testRedisUrl, uniqueName } from "../support/environment.ts";

const backends = await databaseBackends();
const holders = ["h1", "h2", "h3"];
const dataSeed = "round-closed";
const validationSize = 300;

/**
 * Real rounds end to end: BullMQ flows on real Redis, real train workers on
 * MNIST, the aggregate worker announcing each closed round on `round-closed`,
 * and the round-closed worker archiving into a real database.
 */
async function startPipeline(database: TestDatabase) {
  const prefix = uniqueName("agora_rc");
  const blobDir = await mkdtemp(join(tmpdir(), "agora-round-closed-"));
  const connections: Redis[] = [];
  const connect = (role: "worker" | "client") => {
    const redis = createRedisConnection({ url: testRedisUrl(), role });
    connections.push(redis);
    return redis;
  };
  const client = connect("client");
  await waitUntilReady(client);
  const blobs = new FileBlobStore(blobDir);
  const book = new RedisRoundBook(client, prefix);
  const progress = new RoundProgressChannel(client, prefix);
  const aggregateQueue = new Queue(queueNames.aggregate, { connection: connect("worker"), prefix });
  const roundClosed = new Queue(queueNames.roundClosed, {
    connection: connect("worker"),
    prefix,
    defaultJobOptions: roundClosedJobOptions,
  });
  const settle = new Queue(queueNames.settle, { connection: connect("worker"), prefix });
  const flows = new RoundFlows({
    connection: connect("worker"),
    prefix,
    book,
    aggregateQueue,
    progress,
  });
  const data = new MnistDemoDataSource(holders, {
    scheme: { kind: "iid" },
    validationSize,
    testSize: 100,
    poolSize: 360,
    seed: dataSeed,
  });
  const validation = mnistDemoValidation({ seed: dataSeed, validationSize });
  const repos = createRepositories(database.db);
  const deps: RoundClosedWorkerDeps = {
    book,
    blobs,
    rounds: repos.rounds,
    contributions: repos.contributions,
    settle,
    validationFor: () => validation,
  };
  const workers: Worker[] = [
    startAggregateWorker({
      connection: connect("worker"),
      prefix,
      blobs,
      book,
      flows,
      progress,
      roundClosed,
      evaluate: (model, weights) => evaluateWeights(model as "mnist-2nn", weights, validation.data),
    }),
    startRoundClosedWorker({ ...deps, connection: connect("worker"), prefix }),
    ...holders.map((holderId) =>
      startTrainWorker({
        holderId,
        connection: connect("worker"),
        prefix,
        blobs,
        book,
        data,
        flows,
      }),
    ),
  ];
  for (const id of holders) {
    await repos.holders.register(newHolder({ id }));
  }
  const globalModelHash = await putWeights(blobs, initialWeights("mnist-2nn", 11));

  return {
    blobs,
    book,
    flows,
    repos,
    deps,
    settle,
    roundClosed,
    globalModelHash,
    async newTask(): Promise<string> {
      const task = await repos.tasks.create(newTask());
      return task.id;
    },
    /** Waits until the task's `settle` job exists, i.e. its last round was archived. */
    async waitForSettle(taskId: string, timeoutMs = 90_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const job = await settle.getJob(settleJobId({ taskId }));
        if (job !== undefined) return job;
        if (Date.now() > until) throw new Error(`task ${taskId} never reached settlement`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async close(): Promise<void> {
      await Promise.all(workers.map((worker) => worker.close()));
      await flows.close();
      await Promise.all([aggregateQueue.close(), roundClosed.close(), settle.close()]);
      const keys = await client.keys(`${prefix}:*`);
      if (keys.length > 0) await client.del(...keys);
      await Promise.all(connections.map((redis) => redis.quit()));
      await rm(blobDir, { recursive: true, force: true });
    },
  };
}

type Pipeline = Awaited<ReturnType<typeof startPipeline>>;

/** Everything the consumer writes for a task, to compare two runs row by row. */
async function archiveOf(repos: Repositories, taskId: string) {
  const rounds = await repos.rounds.listForTask(taskId);
  return {
    rounds,
    updates: await Promise.all(rounds.map((r) => repos.rounds.onTimeUpdates(taskId, r.round))),
    contributions: (await repos.contributions.forTask(taskId)).map(
      ({ computedAt: _computedAt, ...row }) => row,
    ),
  };
}

for (const backend of backends) {
  describe(`round-closed worker on ${backend.name} and Redis`, { skip: backend.skip }, () => {
    let database: TestDatabase;
    let pipeline: Pipeline;
    let taskId: string;
    before(async () => {
      database = await backend.open();
      pipeline = await startPipeline(database);
      taskId = await pipeline.newTask();
      await pipeline.flows.startTask(
        {
          taskId,
          ...testTraining,
          rounds: 2,
          holders,
          clientsPerRound: 3,
          overcommit: 0,
          minUpdates: 3,
          roundDurationMs: 60_000,
          seed: "rc",
        },
        pipeline.globalModelHash,
      );
      await pipeline.waitForSettle(taskId);
    });
    after(async () => {
      await pipeline?.close();
      await database?.dispose();
    });

    it("archives every round, scores it from the real updates and queues settlement once", async () => {
      const { repos, book, blobs } = pipeline;
      const rounds = await repos.rounds.listForTask(taskId);
      assert.deepEqual(
        rounds.map((r) => [r.round, r.status]),
        [
          [0, "aggregated"],
          [1, "aggregated"],
        ],
      );
      for (const round of rounds) {
        const result = await book.getResult({ taskId, round: round.round });
        const plan = await book.getPlan({ taskId, round: round.round });
        assert.equal(round.globalModelHash, plan?.globalModelHash);
        assert.equal(round.resultModelHash, result?.modelHash);
        assert.equal(round.accuracy, result?.accuracy);
        assert.equal(round.closedAt?.getTime(), result?.closedAt);
        assert.equal(
          round.openedAt.getTime(),
          plan?.startedAt,
          "opened when it started, not when archived",
        );
        const updates = await repos.rounds.onTimeUpdates(taskId, round.round);
        const booked = await book.listUpdates({ taskId, round: round.round });
        assert.deepEqual(
          updates.map((u) => [u.holderId, u.blobHash, u.samples]),
          booked.map((u) => [u.holderId, u.updateHash, u.samples]),
        );

        // Three holders: exact Shapley, one row each, with inputs that explain them.
        const rows = await repos.contributions.forRound(taskId, round.round);
        assert.deepEqual(
          rows.map((r) => [r.holderId, r.method]),
          holders.map((h) => [h, "exact-shapley"]),
        );
        const inputs = parseContributionInputs(rows[0]?.inputs);
        assert.equal(inputs.startingModelHash, round.globalModelHash);
        assert.equal(inputs.evaluations, 8);
        // The empty coalition is the round's starting model, everyone is the round's model.
        const previous = round.round === 0 ? undefined : rounds[round.round - 1];
        if (previous) assert.equal(inputs.utilities[""], previous.accuracy);
        assert.equal(inputs.utilities["0,1,2"], round.accuracy);
        const global = await getWeights(blobs, inputs.startingModelHash);
        const replies = await loadRoundReplies(blobs, inputs.model, global, inputs.updates);
        const everyone = coalitionModel(
          {
            round: round.round,
            strategy: createStrategy(inputs.strategy, taskId),
            global,
            replies,
          },
          [0, 1, 2],
        );
        assert.equal(weightsHash(everyone as Float32Array), round.resultModelHash);
        // Efficiency: the scores share out exactly what the round gained.
        const total = rows.reduce((sum, r) => sum + r.score, 0);
        const gain = (inputs.utilities["0,1,2"] ?? 0) - (inputs.utilities[""] ?? 0);
        assert.ok(Math.abs(total - gain) < 1e-9, `${total} vs ${gain}`);
        // An auditor gets the same numbers from the stored inputs alone.
        const again = await recomputeContributions(rows[0]?.inputs ?? {}, { blobs });
        assert.deepEqual(again.scores, new Map(rows.map((r) => [r.holderId, r.score])));
      }
      const totals = await repos.contributions.taskTotals(taskId, "exact-shapley");
      assert.deepEqual([...totals.keys()].sort(), holders);
      const counts = await pipeline.settle.getJobCounts();
      assert.equal(
        Object.values(counts).reduce((a, b) => a + b, 0),
        1,
      );
      const settleJob = await pipeline.waitForSettle(taskId);
      assert.deepEqual(settleJob.data, { taskId });
    });

    it("changes nothing when its jobs are delivered again", async () => {
      const { repos, deps } = pipeline;
      const before = await archiveOf(repos, taskId);
      const stamps = (await repos.contributions.forTask(taskId)).map((r) => r.computedAt.getTime());
      for (const [round, lastRound] of [
        [0, false],
        [1, true],
      ] as const) {
        const outcome = await processRoundClosed(
          { taskId, round, status: "aggregated", lastRound },
          deps,
        );
        assert.equal(outcome.updatesArchived, 0);
        assert.deepEqual(outcome.contributions, {
          method: "exact-shapley",
          scoredNow: false,
          recorded: 0,
        });
        assert.equal(outcome.settleQueued, lastRound);
      }
      assert.deepEqual(await archiveOf(repos, taskId), before);
      assert.deepEqual(
        (await repos.contributions.forTask(taskId)).map((r) => r.computedAt.getTime()),
        stamps,
      );
      const counts = await pipeline.settle.getJobCounts();
      assert.equal(
        Object.values(counts).reduce((a, b) => a + b, 0),
        1,
      );
    });

    it("resumes a half-done archive into the same rows, and holds settlement until earlier rounds are in", async () => {
      // A second database that saw a crash: round 0 opened with one update,
      // round 1 with its scores stored but not closed.
      const other = await backend.open();
      try {
        const repos = createRepositories(other.db);
        await repos.tasks.create(newTask({ id: taskId }));
        for (const id of holders) await repos.holders.register(newHolder({ id }));
        const deps = { ...pipeline.deps, rounds: repos.rounds, contributions: repos.contributions };
        const reference = await archiveOf(pipeline.repos, taskId);
        const [round0, round1] = reference.rounds;
        assert.ok(round0 && round1);
        for (const round of [round0, round1]) {
          await repos.rounds.open({ ...round, deadline: round.deadline });
        }
        const first = reference.updates[0]?.[0];
        assert.ok(first);
        await repos.rounds.recordUpdate(first, first.receivedAt);
        for (const update of reference.updates[1] ?? []) {
          await repos.rounds.recordUpdate(update, update.receivedAt);
        }
        await repos.contributions.record(reference.contributions.filter((r) => r.round === 1));

        // The last round's job comes first: it archives its round but will not settle yet.
        await assert.rejects(
          processRoundClosed({ taskId, round: 1, status: "aggregated", lastRound: true }, deps),
          /Earlier rounds are not archived yet/,
        );
        const resumed = await processRoundClosed(
          { taskId, round: 0, status: "aggregated", lastRound: false },
          deps,
        );
        assert.equal(resumed.updatesArchived, holders.length - 1);
        assert.equal(resumed.contributions?.scoredNow, true);
        const last = await processRoundClosed(
          { taskId, round: 1, status: "aggregated", lastRound: true },
          deps,
        );
        assert.equal(last.contributions?.scoredNow, false);
        assert.equal(last.settleQueued, true);
        // Scoring is deterministic: the rescored round 0 has the very same scores and inputs.
        assert.deepEqual(await archiveOf(repos, taskId), reference);
      } finally {
        await other.dispose();
      }
    });

    it("archives a failed round without scores, and settles the task it ends", async () => {
      const { flows, repos } = pipeline;
      const failingTask = await pipeline.newTask();
      await flows.startRound(
        testRoundStart(pipeline.globalModelHash, {
          taskId: failingTask,
          holders: ["h1", "h4"], // h4 has no worker: the round misses its minimum
          minUpdates: 2,
          deadline: Date.now() + 3_000,
        }),
      );
      await pipeline.waitForSettle(failingTask);
      const [round] = await repos.rounds.listForTask(failingTask);
      assert.equal(round?.status, "failed");
      assert.equal(round?.resultModelHash, null);
      const updates = await repos.rounds.onTimeUpdates(failingTask, 0);
      assert.deepEqual(
        updates.map((u) => u.holderId),
        ["h1"],
      );
      assert.deepEqual(await repos.contributions.forTask(failingTask), []);
    });
  });
}
