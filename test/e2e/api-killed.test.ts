import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Wallet } from "ethers";
import { databaseBackends } from "../support/databases.ts";
import { Deployment } from "./support/deployment.ts";
import { agreeTask } from "./support/market-driver.ts";
import { milestones } from "./support/milestones.ts";
import { expectEachHolderOncePerRound } from "./support/task-archive.ts";

const postgres = (await databaseBackends()).find((backend) => backend.name === "postgres");

/**
 * The API process (and the coordinator inside it) dies without warning
 * while holders train round 0, and the operator starts it again on the
 * same database, Redis and data directory. Everything it needs is there:
 * tasks and agreements in PostgreSQL, the flow and the round book in
 * Redis, models in the blob store. It is killed right after the owner
 * starts training, so round 0 trains and its updates arrive while no
 * coordinator runs. The owner's `agora owner status --watch` rides out the
 * outage and ends when the task settles.
 */
describe("e2e: the API process is killed mid-task and restarted", {
  skip: postgres?.skip,
}, () => {
  let deployment: Deployment | undefined;
  after(async () => {
    await deployment?.dispose();
  });

  it("recovers from the database and Redis and settles the task", async (t) => {
    const mark = milestones(t);
    deployment = await Deployment.create("api_kill");
    const live = deployment;
    const firstApi = await live.startApi("api (first run)");
    const ownerWallet = Wallet.createRandom();
    const task = await agreeTask(live.apiUrl, ownerWallet, [
      Wallet.createRandom(),
      Wallet.createRandom(),
      Wallet.createRandom(),
    ]);
    await Promise.all(task.holderIds.map((holderId, i) => live.startWorker(holderId, i)));
    mark("agreed, workers up");

    const ownerEnv = {
      AGORA_API_URL: live.apiUrl,
      AGORA_PRIVATE_KEY: ownerWallet.privateKey,
    };
    const watch = live.processes.agora(
      "owner status --watch",
      ["owner", "status", task.taskId, "--watch", "--interval", "0.5", "--json"],
      ownerEnv,
    );
    await watch.waitFor(/: agreed, rounds 0\/2 closed/, 30_000);
    const started = await task.owner.post<{ started: boolean }>(`/tasks/${task.taskId}/start`);
    assert.equal(started.started, true);
    firstApi.child.kill("SIGKILL");
    assert.equal((await firstApi.exited).signal, "SIGKILL");
    const closed = await (await live.store()).db
      .selectFrom("rounds")
      .select("round")
      .where("closed_at", "is not", null)
      .execute();
    assert.deepEqual(closed, [], "killed before any round closed");
    mark("api killed while round 0 trains");
    await watch.waitFor(/API unreachable/, 10_000);
    await live.startApi("api (restarted)");
    mark("api restarted");

    // Any later progress will do: round 0 can close, and round 1 with it, between two polls.
    await watch.waitFor(/rounds [12]\/2 closed/, 90_000);
    mark("round 0 closed");
    const exit = await watch.exitWithin(60_000);
    mark("settled");
    assert.equal(exit.code, 0, watch.output());
    const final = JSON.parse(watch.stdout()) as {
      task: { status: string };
      roundsClosed: number;
      roundsPlanned: number;
    };
    assert.equal(final.task.status, "settled");
    assert.deepEqual([final.roundsClosed, final.roundsPlanned], [2, 2]);
    await expectEachHolderOncePerRound(await live.store(), task.taskId, task.holderIds, 2);
  });
});
