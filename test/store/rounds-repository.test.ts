import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AgoraError } from "../../services/errors/agora-error.ts";
import { createRepositories, type Repositories } from "../../services/store/repositories.ts";
import { databaseBackends, type TestDatabase } from "../support/databases.ts";
import { newHolder, newTask } from "./fixtures.ts";

const backends = await databaseBackends();
const hash = (char: string) => char.repeat(64);

for (const backend of backends) {
  describe(`rounds and updates on ${backend.name}`, { skip: backend.skip }, () => {
    let database: TestDatabase;
    let repos: Repositories;
    before(async () => {
      database = await backend.open();
      repos = createRepositories(database.db);
    });
    after(() => database?.dispose());

    async function openRound(deadline: Date) {
      const task = await repos.tasks.create(newTask());
      const register = () => repos.holders.register(newHolder());
      const holders = [await register(), await register(), await register()] as const;
      const round = await repos.rounds.open({
        taskId: task.id,
        round: 0,
        globalModelHash: hash("a"),
        strategy: "fedavg",
        minUpdates: 2,
        deadline,
      });
      return { task, holders, round };
    }

    const update = (taskId: string, holderId: string, blob = "b") => ({
      taskId,
      round: 0,
      holderId,
      blobHash: hash(blob),
      samples: 600,
      loss: 0.42,
      trainMs: 1200,
      backend: "wasm",
    });

    it("opening a round twice returns the same round", async () => {
      const { round } = await openRound(new Date(Date.now() + 60_000));
      const again = await repos.rounds.open({ ...round, strategy: "median" });
      assert.equal(again.strategy, "fedavg");
      assert.equal(again.status, "open");
    });

    it("stores and counts a duplicated update once, even when both copies race", async () => {
      const { task, holders } = await openRound(new Date(Date.now() + 60_000));
      const [first, second] = holders;
      const results = await Promise.all([
        repos.rounds.recordUpdate(update(task.id, first.id)),
        repos.rounds.recordUpdate(update(task.id, first.id, "c")),
        repos.rounds.recordUpdate(update(task.id, second.id)),
      ]);
      assert.deepEqual(results.filter(Boolean).length, 2);
      const counted = await repos.rounds.onTimeUpdates(task.id, 0);
      assert.equal(counted.length, 2);
      assert.deepEqual(counted.map((row) => row.holderId).sort(), [first.id, second.id].sort());
    });

    it("keeps an update past the deadline as late and does not count it", async () => {
      const deadline = new Date(Date.now() + 60_000);
      const { task, holders } = await openRound(deadline);
      const [onTime, straggler] = holders;
      assert.equal(await repos.rounds.recordUpdate(update(task.id, onTime.id)), true);
      assert.equal(
        await repos.rounds.recordUpdate(
          update(task.id, straggler.id),
          new Date(deadline.getTime() + 1),
        ),
        true,
      );
      const counted = await repos.rounds.onTimeUpdates(task.id, 0);
      assert.deepEqual(
        counted.map((row) => row.holderId),
        [onTime.id],
      );
    });

    it("closes a round once; a retried close and later updates change nothing", async () => {
      const { task, holders } = await openRound(new Date(Date.now() + 60_000));
      const [holder, lateHolder] = holders;
      await repos.rounds.recordUpdate(update(task.id, holder.id));
      const closed = await repos.rounds.close(task.id, 0, {
        status: "aggregated",
        resultModelHash: hash("d"),
        accuracy: 0.91,
        loss: 0.3,
      });
      assert.equal(closed.status, "aggregated");
      assert.equal(closed.accuracy, 0.91);
      await assert.rejects(
        repos.rounds.close(task.id, 0, { status: "failed" }),
        (error) => error instanceof AgoraError && error.kind === "conflict",
      );
      await repos.rounds.recordUpdate(update(task.id, lateHolder.id));
      assert.equal((await repos.rounds.onTimeUpdates(task.id, 0)).length, 1);
    });

    it("refuses an update for a round that was never opened", async () => {
      await assert.rejects(
        repos.rounds.recordUpdate(update("task-missing", "holder-missing")),
        (error) => error instanceof AgoraError && error.kind === "not_found",
      );
    });
  });
}
