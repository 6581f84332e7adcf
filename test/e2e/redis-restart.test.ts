import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Wallet } from "ethers";
import { databaseBackends } from "../support/databases.ts";
import { Deployment } from "./support/deployment.ts";
import { agreeTask } from "./support/market-driver.ts";
import { milestones } from "./support/milestones.ts";
import { PrivateRedis, privateRedisUnavailable } from "./support/private-redis.ts";
import { TrainQueueProbe } from "./support/queue-probe.ts";
import { expectEachHolderOncePerRound, waitForTaskStatus } from "./support/task-archive.ts";

const postgres = (await databaseBackends()).find((backend) => backend.name === "postgres");

/**
 * Redis goes away while holders train (an operator restarts it, or it
 * fails over) and comes back with its append-only file. The API, its
 * coordinator and the workers reconnect on their own; queue state (the
 * flow, the round book, the delayed deadline job) survives in the file,
 * and the task resumes and settles with nothing lost or doubled.
 */
describe("e2e: Redis is restarted mid-round", {
  skip: postgres?.skip || privateRedisUnavailable(),
}, () => {
  let redis: PrivateRedis | undefined;
  let deployment: Deployment | undefined;
  let probe: TrainQueueProbe | undefined;
  after(async () => {
    await probe?.close();
    await deployment?.dispose();
    await redis?.dispose();
  });

  it("resumes the task and settles it", async (t) => {
    const mark = milestones(t);
    redis = await PrivateRedis.start();
    deployment = await Deployment.create("redis_restart", { redisUrl: redis.url });
    const live = deployment;
    await live.startApi();
    const task = await agreeTask(live.apiUrl, Wallet.createRandom(), [
      Wallet.createRandom(),
      Wallet.createRandom(),
      Wallet.createRandom(),
    ]);
    await Promise.all(task.holderIds.map((holderId, i) => live.startWorker(holderId, i)));
    probe = new TrainQueueProbe(live, task.holderIds[0] ?? "");
    mark("agreed, workers up");

    await task.owner.post(`/tasks/${task.taskId}/start`);
    const job = await probe.activeJob(30_000);
    assert.equal(job.data.round, 0);
    await redis.stop();
    mark("redis stopped mid-round");
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await redis.restart();
    mark("redis back");

    await waitForTaskStatus(task.owner, task.taskId, "settled", 90_000, () =>
      live.processes.report(),
    );
    mark("settled");
    await expectEachHolderOncePerRound(await live.store(), task.taskId, task.holderIds, 2);
    for (const child of live.processes.all()) {
      assert.ok(child.running, `${child.name} survived the restart`);
    }
  });
});
