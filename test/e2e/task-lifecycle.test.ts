import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type BaseWallet, Wallet } from "ethers";
import { databaseBackends } from "../support/databases.ts";
import { Deployment } from "./support/deployment.ts";
import { e2eHolderProfile, e2eSpec, e2eTask } from "./support/market-driver.ts";
import { milestones } from "./support/milestones.ts";
import { expectEachHolderOncePerRound } from "./support/task-archive.ts";

const postgres = (await databaseBackends()).find((backend) => backend.name === "postgres");

/**
 * A task from posting to claims with nothing but the `agora` command line:
 * `agora serve`, three `agora worker` processes, and the owner's and
 * holders' commands, each its own process, as people would run them. The
 * task is on the sandbox rail, so each holder's claim shows its payout.
 */
describe("e2e: a task from posting to claims through the agora CLI", {
  skip: postgres?.skip,
}, () => {
  let deployment: Deployment | undefined;
  after(() => deployment?.dispose());

  it("posts, bids, agrees, trains two rounds, settles and pays every holder", async (t) => {
    const mark = milestones(t);
    deployment = await Deployment.create("cli_flow");
    const live = deployment;
    const inputs = join(live.dataDir, "inputs");
    await mkdir(inputs);
    const owner = Wallet.createRandom();
    const holders = [Wallet.createRandom(), Wallet.createRandom(), Wallet.createRandom()];
    const as = (wallet: BaseWallet) => ({
      AGORA_API_URL: live.apiUrl,
      AGORA_PRIVATE_KEY: wallet.privateKey,
    });
    /** Runs one agora command as `wallet`; `--json` output comes back parsed. */
    const agora = async <T>(wallet: BaseWallet, ...args: string[]): Promise<T> => {
      const run = await live.processes.run(`agora ${args.slice(0, 2).join(" ")}`, args, as(wallet));
      assert.equal(run.code, 0, `agora ${args.join(" ")}\n${run.output}`);
      return (args.includes("--json") ? JSON.parse(run.stdout) : run.stdout) as T;
    };

    const api = await live.startApi();
    const taskFile = join(inputs, "task.json");
    await writeFile(taskFile, JSON.stringify(e2eTask(e2eSpec())));
    const { id: taskId } = await agora<{ id: string }>(
      owner,
      "owner",
      "post",
      "--spec",
      taskFile,
      "--json",
    );
    assert.match(await agora<string>(owner, "owner", "fund", taskId), /status:\s+bidding/);
    mark("posted and funded");

    const holderIds = await Promise.all(
      holders.map(async (wallet, i) => {
        const profile = join(inputs, `holder-${i}.json`);
        await writeFile(profile, JSON.stringify(e2eHolderProfile(wallet)));
        const { id } = await agora<{ id: string }>(
          wallet,
          "holder",
          "register",
          "--profile",
          profile,
          "--json",
        );
        await agora(wallet, "holder", "bid", taskId, "--price", "1000");
        return id;
      }),
    );
    // Each holder's node starts its worker once registered; it waits for train jobs.
    const workers = Promise.all(holderIds.map((holderId, i) => live.startWorker(holderId, i)));
    const selection = await agora<{ winners: { holderId: string }[] }>(
      owner,
      "owner",
      "negotiate",
      taskId,
      "--json",
    );
    assert.deepEqual(selection.winners.map((w) => w.holderId).sort(), [...holderIds].sort());
    await Promise.all(holders.map((wallet) => agora(wallet, "holder", "sign", taskId)));
    for (const holderId of holderIds) await agora(owner, "owner", "sign", taskId, holderId);
    const running = await workers;
    mark("agreed; workers ready");

    const start = await agora<{ status: string; started: boolean }>(
      owner,
      "owner",
      "start",
      taskId,
      "--json",
    );
    assert.deepEqual([start.status, start.started], ["training", true]);
    const watched = await agora<{ task: { status: string }; roundsClosed: number }>(
      owner,
      "owner",
      "status",
      taskId,
      "--watch",
      "--interval",
      "0.5",
      "--json",
    );
    assert.deepEqual([watched.task.status, watched.roundsClosed], ["settled", 2]);
    mark("settled");

    const claims = await Promise.all(
      holders.map((wallet) =>
        agora<{ outcome: string; rail: string; amount: string; holderId: string }>(
          wallet,
          "holder",
          "claim",
          taskId,
          "--json",
        ),
      ),
    );
    assert.deepEqual(claims.map((claim) => claim.holderId).sort(), [...holderIds].sort());
    for (const claim of claims) {
      assert.deepEqual([claim.outcome, claim.rail], ["not-on-chain", "sandbox"]);
    }
    // A holder whose contribution came out at or below zero is a free rider and gets nothing
    // (see the payout rule), so only the total is bound to be positive.
    const paid = claims.reduce((sum, claim) => sum + BigInt(claim.amount), 0n);
    assert.ok(paid > 0n && paid <= 10_000n, `paid ${paid} of the 10,000 budget`);
    await expectEachHolderOncePerRound(await live.store(), taskId, holderIds, 2);

    // Operators stop the processes with SIGTERM; each drains and exits 0.
    for (const child of [...running, api]) {
      assert.deepEqual(await child.stop("SIGTERM"), { code: 0, signal: null }, child.output());
    }
    mark("claimed; processes stopped");
  });
});
