import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AgoraError } from "../../services/errors/agora-error.ts";
import { createRepositories, type Repositories } from "../../services/store/repositories.ts";
import { databaseBackends, type TestDatabase } from "../support/databases.ts";
import { newHolder, newTask } from "./fixtures.ts";

const backends = await databaseBackends();

for (const backend of backends) {
  describe(`contributions on ${backend.name}`, { skip: backend.skip }, () => {
    let database: TestDatabase;
    let repos: Repositories;
    before(async () => {
      database = await backend.open();
      repos = createRepositories(database.db);
    });
    after(() => database?.dispose());

    async function twoRounds() {
      const task = await repos.tasks.create(newTask());
      const a = await repos.holders.register(newHolder());
      const b = await repos.holders.register(newHolder());
      for (const round of [0, 1]) {
        await repos.rounds.open({
          taskId: task.id,
          round,
          globalModelHash: "a".repeat(64),
          strategy: "fedavg",
          minUpdates: 1,
          deadline: new Date(Date.now() + 60_000),
        });
      }
      return { taskId: task.id, a: a.id, b: b.id };
    }

    it("stores scores with their inputs once, and sums them per holder", async () => {
      const { taskId, a, b } = await twoRounds();
      const inputs = { updates: { [a]: "c".repeat(64) }, seed: "s", utilities: { "": 0.1 } };
      const row = (round: number, holderId: string, score: number) => ({
        taskId,
        round,
        holderId,
        method: "gtg-shapley",
        score,
        inputs,
      });
      assert.equal(await repos.contributions.record([row(0, a, 0.3), row(0, b, 0.1)]), 2);
      // A retried scoring job keeps the first result.
      assert.equal(await repos.contributions.record([row(0, a, 0.9)]), 0);
      await repos.contributions.record([row(1, a, 0.05), row(1, b, -0.02)]);
      const totals = await repos.contributions.taskTotals(taskId, "gtg-shapley");
      assert.ok(Math.abs((totals.get(a) ?? 0) - 0.35) < 1e-12);
      assert.ok(Math.abs((totals.get(b) ?? 0) - 0.08) < 1e-12);
      const round0 = await repos.contributions.forRound(taskId, 0);
      assert.deepEqual(round0.find((r) => r.holderId === a)?.inputs, inputs);
      assert.equal((await repos.contributions.forTask(taskId, "exact-shapley")).length, 0);
    });

    it("refuses a score for a round that was never opened, or one that is not a number", async () => {
      const { taskId, a } = await twoRounds();
      const row = { taskId, round: 7, holderId: a, method: "loo", score: 0.1, inputs: {} };
      await assert.rejects(repos.contributions.record([row]), (e) => {
        return e instanceof AgoraError && e.kind === "conflict";
      });
      await assert.rejects(
        repos.contributions.record([{ ...row, round: 0, score: Number.NaN }]),
        (e) => {
          return e instanceof AgoraError && e.kind === "invalid";
        },
      );
      assert.equal((await repos.contributions.forTask(taskId)).length, 0);
    });
  });
}
