import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { trainJobId } from "../../queues/payloads.ts";
import type { TaskPlan } from "../../queues/round-flows.ts";
import { runTrainJob } from "../../queues/train-worker.ts";
import { startRoundHarness, testTraining } from "../learning/round-harness.ts";

type Harness = Awaited<ReturnType<typeof startRoundHarness>>;

async function waitForJob(harness: Harness, holderId: string, jobId: string) {
  const queue = harness.trainQueue(holderId);
  try {
    for (let i = 0; i < 300; i++) {
      const job = await queue.getJob(jobId);
      const state = job ? await job.getState() : "missing";
      if (state === "completed" || state === "failed") return job;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`job ${jobId} never finished`);
  } finally {
    await queue.close();
  }
}

/** A two-holder FedAvg task on the harness's holders; tests override what they exercise. */
function taskPlan(overrides: Partial<TaskPlan> & Pick<TaskPlan, "taskId">): TaskPlan {
  return {
    ...testTraining,
    rounds: 2,
    holders: ["h1", "h2"],
    clientsPerRound: 2,
    overcommit: 0,
    minUpdates: 2,
    roundDurationMs: 30_000,
    seed: overrides.taskId,
    ...overrides,
  };
}

describe("FL rounds as BullMQ flows (real Redis)", () => {
  let harness: Harness;
  before(async () => {
    harness = await startRoundHarness();
    for (const holder of ["h1", "h2", "h9"]) harness.startHolder(holder);
  });
  after(async () => harness.close());

  it("aggregates a round once, even when the flow and a train job are duplicated", async () => {
    const start = harness.roundStart({
      taskId: "task-dup",
      holders: ["h1", "h2"],
      minUpdates: 2,
      tiers: { h2: 1 },
    });
    await harness.flows.startRound(start);
    await harness.flows.startRound(start); // the producer retried: nothing new is queued
    const queue = harness.trainQueue("h1");
    const counts = await queue.getJobCounts();
    await queue.close();
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      1,
    );

    const result = await harness.waitForResult({ taskId: "task-dup", round: 0 });
    assert.equal(result.status, "aggregated", JSON.stringify(result));
    assert.deepEqual(result.participants, ["h1", "h2"]);
    assert.ok((result.accuracy ?? 0) > 0.2, `validation accuracy ${result.accuracy}`);
    assert.notEqual(result.modelHash, harness.globalModelHash);
    assert.ok(await harness.blobs.has(result.modelHash ?? ""));
    const updates = await harness.book.listUpdates({ taskId: "task-dup", round: 0 });
    assert.deepEqual(
      updates.map((u) => [u.holderId, u.tier, u.backend.length > 0]),
      [
        ["h1", 0, true],
        ["h2", 1, true],
      ],
    );

    // A redelivered job after the round closed changes nothing.
    const again = await runTrainJob(
      { ...start, holderId: "h1", modelTier: 0, localEpochs: 1 },
      {
        holderId: "h1",
        blobs: harness.blobs,
        book: harness.book,
        data: harness.data,
        flows: harness.flows,
      },
    );
    assert.equal(again.status, "duplicate");
    assert.equal((await harness.book.listUpdates({ taskId: "task-dup", round: 0 })).length, 2);
    const progress = await harness.progress.history("task-dup");
    assert.equal(progress.length, 1);
    assert.equal(progress[0]?.accuracy, result.accuracy);
  });

  it("stores and counts two simultaneous copies of one train job once", async () => {
    const start = harness.roundStart({ taskId: "task-race", holders: ["h1"] });
    await harness.book.openRound({
      taskId: start.taskId,
      round: 0,
      model: start.model,
      globalModelHash: start.globalModelHash,
      holders: ["h1"],
      targetUpdates: 5,
      minUpdates: 1,
      deadline: start.deadline,
      strategy: start.strategy,
      startedAt: Date.now(),
    });
    const deps = {
      holderId: "h1",
      blobs: harness.blobs,
      book: harness.book,
      data: harness.data,
      flows: harness.flows,
    };
    const job = { ...start, holderId: "h1", modelTier: 0 };
    const [a, b] = await Promise.all([runTrainJob(job, deps), runTrainJob(job, deps)]);
    assert.deepEqual([a.status, b.status].sort(), ["duplicate", "recorded"]);
    // Seeded local training: both copies produced the very same bytes, hence one blob.
    assert.equal(a.updateHash, b.updateHash);
    assert.equal((await harness.book.listUpdates({ taskId: "task-race", round: 0 })).length, 1);
  });

  it("closes at the deadline without a straggler, and a failing holder does not block", async () => {
    const deadline = Date.now() + 4_000;
    await harness.flows.startRound(
      harness.roundStart({
        taskId: "task-late",
        holders: ["h1", "h2", "h3", "h9"],
        minUpdates: 2,
        deadline,
      }),
    );
    const result = await harness.waitForResult({ taskId: "task-late", round: 0 });
    assert.equal(result.status, "aggregated");
    assert.deepEqual(result.participants, ["h1", "h2"]);
    assert.deepEqual(result.dropped, ["h3", "h9"]);
    assert.deepEqual(
      result.failures.map((f) => f.holderId),
      ["h9"],
    );
    assert.ok(result.closedAt >= deadline, "closed by the deadline job, not before");

    // The straggler's worker comes online after the deadline: its update is dropped.
    harness.startHolder("h3");
    const job = await waitForJob(
      harness,
      "h3",
      trainJobId({ taskId: "task-late", round: 0, holderId: "h3" }),
    );
    assert.equal(job?.returnvalue?.status, "late");
    const updates = await harness.book.listUpdates({ taskId: "task-late", round: 0 });
    assert.deepEqual(
      updates.map((u) => u.holderId),
      ["h1", "h2"],
    );
  });

  it("fails a round that cannot reach its minimum number of updates", async () => {
    await harness.flows.startRound(
      harness.roundStart({ taskId: "task-short", holders: ["h1", "h9"], minUpdates: 2 }),
    );
    const result = await harness.waitForResult({ taskId: "task-short", round: 0 });
    assert.equal(result.status, "failed");
    assert.match(result.reason ?? "", /1 updates by the deadline, at least 2 needed/);
    assert.equal(result.modelHash, undefined);
  });

  it("over-commits: closes as soon as the target number of updates arrived", async () => {
    const deadline = Date.now() + 60_000;
    await harness.flows.startRound(
      harness.roundStart({
        taskId: "task-quorum",
        holders: ["h1", "h2", "h4"], // h4 has no worker running
        targetUpdates: 2,
        minUpdates: 2,
        deadline,
      }),
    );
    const result = await harness.waitForResult({ taskId: "task-quorum", round: 0 }, 30_000);
    assert.equal(result.status, "aggregated");
    assert.deepEqual(result.participants, ["h1", "h2"]);
    assert.ok(result.closedAt < deadline - 30_000);
  });

  it("runs a whole task: each round starts the next, and progress is published", async () => {
    await harness.flows.startTask(
      taskPlan({
        taskId: "task-run",
        strategy: { name: "fedprox", mu: 0.01 },
        dp: { clipNorm: 5, noiseMultiplier: 0.01, noiseAt: "holder" },
        seed: "run",
      }),
      harness.globalModelHash,
    );
    const last = await harness.waitForResult({ taskId: "task-run", round: 1 });
    assert.equal(last.status, "aggregated");
    // Progress is published right after the result is stored: give it a moment.
    let progress = await harness.progress.history("task-run");
    for (let i = 0; i < 50 && progress.length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      progress = await harness.progress.history("task-run");
    }
    assert.deepEqual(
      progress.map((p) => [p.round, p.status]),
      [
        [0, "aggregated"],
        [1, "aggregated"],
        [1, "task-completed"],
      ],
    );
  });

  it("invites each round's holders from the schedule when the plan has one", async () => {
    // h9 has no data and fails every job: a round that invited it could not reach 2 updates.
    harness.startHolder("h3");
    const schedule = [
      ["h2", "h1"],
      ["h3", "h2"],
    ];
    await harness.flows.startTask(
      taskPlan({ taskId: "task-scheduled", holders: ["h1", "h2", "h3", "h9"], schedule }),
      harness.globalModelHash,
    );
    const last = await harness.waitForResult({ taskId: "task-scheduled", round: 1 });
    assert.equal(last.status, "aggregated");
    for (const [round, invited] of schedule.entries()) {
      const plan = await harness.book.getPlan({ taskId: "task-scheduled", round });
      assert.deepEqual(
        plan?.holders,
        invited.toSorted(),
        `round ${round} asks its scheduled holders`,
      );
      const updates = await harness.book.listUpdates({ taskId: "task-scheduled", round });
      assert.deepEqual(
        updates.map((update) => update.holderId).sort(),
        invited.toSorted(),
        `round ${round} aggregates only them`,
      );
    }
  });

  it("skips one failed round, starting the next from the same model, and stops after two in a row", async () => {
    // h9 fails every job, so a round that needs both of its holders fails when it asks h9.
    const task = (taskId: string, schedule: string[][]) =>
      harness.flows.startTask(
        taskPlan({ taskId, rounds: schedule.length, holders: ["h1", "h2", "h9"], schedule }),
        harness.globalModelHash,
      );
    const statuses = async (taskId: string, rounds: number) =>
      Promise.all(
        Array.from({ length: rounds }, async (_, round) => {
          const result = await harness.book.getResult({ taskId, round });
          return result?.status ?? "never started";
        }),
      );

    await task("task-skip", [
      ["h1", "h9"],
      ["h1", "h2"],
    ]);
    const recovered = await harness.waitForResult({ taskId: "task-skip", round: 1 });
    assert.equal(recovered.status, "aggregated");
    assert.deepEqual(await statuses("task-skip", 2), ["failed", "aggregated"]);
    const [first, second] = await Promise.all(
      [0, 1].map((round) => harness.book.getPlan({ taskId: "task-skip", round })),
    );
    assert.equal(second?.globalModelHash, first?.globalModelHash, "round 1 starts where 0 did");

    await task("task-stop", [
      ["h1", "h9"],
      ["h2", "h9"],
      ["h1", "h2"],
    ]);
    await harness.waitForResult({ taskId: "task-stop", round: 1 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(await statuses("task-stop", 3), ["failed", "failed", "never started"]);
    assert.equal(await harness.book.getPlan({ taskId: "task-stop", round: 2 }), undefined);
  });
});
