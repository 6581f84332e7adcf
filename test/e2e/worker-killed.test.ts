import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Wallet } from "ethers";
import { databaseBackends } from "../support/databases.ts";
import { Deployment } from "./support/deployment.ts";
import { agreeTask } from "./support/market-driver.ts";
import { milestones } from "./support/milestones.ts";
import { TrainQueueProbe } from "./support/queue-probe.ts";
import { expectEachHolderOncePerRound, waitForTaskStatus } from "./support/task-archive.ts";

const postgres = (await databaseBackends()).find((backend) => backend.name === "postgres");

/**
 * A holder's machine dies (SIGKILL: no graceful close, the job's lock is
 * left to expire) while it trains, and the holder starts its worker again.
 * BullMQ finds the job stalled (lock expired, about 30 s) and hands it to
 * the new worker, which trains it from scratch; the round waits for it
 * because its deadline (100 s) is longer than that. The wait for the lock
 * makes this test take about a minute, and up to two on a loaded 2-core
 * machine, hence its 150 s timeout.
 */
describe("e2e: a holder's worker is killed mid-round and restarted", {
  skip: postgres?.skip,
}, () => {
  let deployment: Deployment | undefined;
  let probe: TrainQueueProbe | undefined;
  after(async () => {
    await probe?.close();
    await deployment?.dispose();
  });

  it("completes the round with every update counted once", { timeout: 150_000 }, async (t) => {
    const mark = milestones(t);
    deployment = await Deployment.create("worker_kill");
    const live = deployment;
    await live.startApi();
    mark("api up");
    const task = await agreeTask(live.apiUrl, Wallet.createRandom(), [
      Wallet.createRandom(),
      Wallet.createRandom(),
      Wallet.createRandom(),
    ]);
    mark("agreed");
    const [first, second, victim] = task.holderIds as [string, string, string];
    await Promise.all([live.startWorker(first, 0), live.startWorker(second, 1)]);
    const doomed = await live.startWorker(victim, 2, `${victim} (first run)`);
    probe = new TrainQueueProbe(live, victim);
    mark("workers up");

    await task.owner.post(`/tasks/${task.taskId}/start`);
    const job = await probe.activeJob(30_000);
    doomed.child.kill("SIGKILL");
    mark("killed");
    assert.equal((await doomed.exited).signal, "SIGKILL");
    assert.equal(job.data.round, 0);
    assert.equal(
      await probe.stateOf(job.id ?? ""),
      "active",
      "killed while training: the job is left active, its lock held by a dead worker",
    );

    await live.startWorker(victim, 2, `${victim} (restarted)`);
    mark("restarted");

    await waitForTaskStatus(task.owner, task.taskId, "settled", 120_000, () =>
      live.processes.report(),
    );
    mark("settled");
    assert.equal(await probe.stateOf(job.id ?? ""), "completed", "the stalled job was redone");
    await expectEachHolderOncePerRound(await live.store(), task.taskId, task.holderIds, 2);
  });
});
