import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { Wallet } from "ethers";
import { settleJobId } from "../../queues/payloads.ts";
import { RedisRoundBook } from "../../queues/redis-round-book.ts";
import { processRoundClosed } from "../../queues/round-closed-worker.ts";
import { startHolderWorker } from "../../queues/worker-main.ts";
import { AuditLog } from "../../services/audit/audit-log.ts";
import { FileBlobStore } from "../../services/learning/blobs/file-blob-store.ts";
import { mnistDemoValidation } from "../../services/learning/contribution/validation-reference.ts";
import { MnistDemoDataSource } from "../../services/learning/data/holder-data-source.ts";
import { termsHashOf } from "../../services/market/agreements/agreement-terms.ts";
import { SandboxFundingGate } from "../../services/market/funding/sandbox-funding-gate.ts";
import { createMarketRepositories } from "../../services/market/market-repositories.ts";
import type { TaskSpecInput } from "../../services/market/task-spec.ts";
import { fundTask } from "../../services/market/tasks/fund-task.ts";
import { escrowAccount } from "../../services/settlement/ledger/accounts.ts";
import { runSettlement } from "../../services/settlement/pipeline/run-settlement.ts";
import { SettlementRunsRepository } from "../../services/store/repositories/settlement-runs-repository.ts";
import { newHolder, newTask } from "../store/fixtures.ts";
import { login, postJson, startTestApi, type TestApi } from "../support/api-client.ts";
import { databaseBackends, dropSchema } from "../support/databases.ts";
import { testPostgresUrl, uniqueName } from "../support/environment.ts";

const holderIds = ["alice", "bob", "carol"];
const dataSeed = "agreed-to-settled";
const validationSize = 300;
const postgres = (await databaseBackends()).find((backend) => backend.name === "postgres");

/** A small task the 2NN trains in seconds: 3 holders, all of them every round, 2 rounds, E = 1. */
const spec: TaskSpecInput = {
  model: { name: "mnist-2nn", maxTier: 1 },
  data: { labels: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] },
  rounds: 2,
  holdersPerRound: 3,
  minHolders: 3,
  localEpochs: 1,
  roundDeadlineS: 60,
  privacy: { epsilon: 50, delta: 1e-5 },
  selection: { overSelection: 0 },
};

/**
 * The coordinator for real: the API process (its aggregate, round-closed and
 * settle workers) on real PostgreSQL and Redis, three holders' train workers
 * as `agora worker` starts them, and a funded sandbox task whose agreements
 * are signed. One owner call starts it; nothing else is driven by the test.
 */
describe("an agreed task trains and settles through the coordinator", {
  skip: postgres?.skip,
}, () => {
  const schema = uniqueName("agora_test_coordinator");
  const owner = Wallet.createRandom();
  let api: TestApi;
  let holders: Awaited<ReturnType<typeof startHolderWorker>>[] = [];
  let taskId: string;

  const validation = mnistDemoValidation({ seed: dataSeed, validationSize });

  before(async () => {
    api = await startTestApi(
      { DATABASE_URL: testPostgresUrl() },
      { databaseSchema: schema, coordinator: { validation: () => validation } },
    );
    const data = new MnistDemoDataSource(holderIds, {
      scheme: { kind: "iid" },
      validationSize,
      testSize: 100,
      poolSize: 360,
      seed: dataSeed,
    });
    const env = {
      NODE_ENV: "test",
      LOG_LEVEL: "silent",
      REDIS_URL: api.config.REDIS_URL,
      AGORA_QUEUE_PREFIX: api.config.AGORA_QUEUE_PREFIX,
      AGORA_DATA_DIR: api.config.AGORA_DATA_DIR,
    };
    holders = await Promise.all(
      holderIds.map((holderId) => startHolderWorker({ holderId, env, data })),
    );

    const repos = createMarketRepositories(api.running.deps.database.db);
    const draft = await repos.tasks.create(
      newTask({
        ownerAddress: owner.address,
        rail: "sandbox",
        budget: 10_000n,
        spec: spec as unknown as Record<string, unknown>,
      }),
    );
    taskId = draft.id;
    // Funding on the sandbox rail opens bidding at once.
    await fundTask(repos, new SandboxFundingGate(repos.ledger), taskId, owner.address);
    await repos.tasks.transition(taskId, "bidding", "negotiating");
    for (const id of holderIds) {
      await repos.holders.register(newHolder({ id, payoutRail: "sandbox" }));
    }
    const proposals = holderIds.map((holderId) => {
      const terms = { taskId, holderId, price: "1000", rail: "sandbox", rounds: 2, modelTier: 0 };
      return { taskId, holderId, terms, termsHash: termsHashOf(terms), price: 1_000n };
    });
    await repos.agreementProposals.propose(proposals);
    for (const holderId of holderIds) {
      await repos.agreementProposals.sign(taskId, holderId, "owner", `0x${"11".repeat(65)}`);
      await repos.agreementProposals.sign(taskId, holderId, "holder", `0x${"22".repeat(65)}`);
    }
    await repos.tasks.transition(taskId, "negotiating", "agreed");
  });

  after(async () => {
    await Promise.all(holders.map((holder) => holder.stop()));
    await api?.close();
    await dropSchema(testPostgresUrl(), schema);
    if (api !== undefined) await rm(api.config.AGORA_DATA_DIR, { recursive: true, force: true });
  });

  it("goes agreed → training → two archived, scored rounds → settled, with balanced books", async () => {
    const token = await login(api, owner, ["owner"]);
    const auth = { authorization: `Bearer ${token}` };
    const start = await postJson(api, `/tasks/${taskId}/start`, {}, auth);
    assert.equal(start.status, 202, await start.clone().text());
    const started = (await start.json()) as { status: string; started: boolean; holders: string[] };
    assert.equal(started.status, "training");
    assert.equal(started.started, true);
    assert.deepEqual(started.holders, [...holderIds].sort());

    const again = await postJson(api, `/tasks/${taskId}/start`, {}, auth);
    assert.equal(again.status, 202);
    assert.equal(((await again.json()) as { started: boolean }).started, false, "started once");

    const db = api.running.deps.database.db;
    const repos = createMarketRepositories(db);
    const until = Date.now() + 55_000;
    while ((await repos.tasks.get(taskId)).status !== "settled") {
      if (Date.now() > until) {
        const run = await new SettlementRunsRepository(db).find(taskId);
        const rounds = await repos.rounds.listForTask(taskId);
        assert.fail(
          `task is ${(await repos.tasks.get(taskId)).status}; rounds ${JSON.stringify(
            rounds.map((r) => [r.round, r.status]),
          )}; settlement ${run?.step ?? "not started"} ${run?.lastError ?? ""}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const rounds = await repos.rounds.listForTask(taskId);
    assert.deepEqual(
      rounds.map((r) => [r.round, r.status]),
      [
        [0, "aggregated"],
        [1, "aggregated"],
      ],
    );
    assert.equal(
      rounds[1]?.globalModelHash,
      rounds[0]?.resultModelHash,
      "round 1 starts from round 0's model",
    );
    for (const round of rounds) {
      assert.equal(typeof round.accuracy, "number", "evaluated on the owner's validation set");
      const updates = await repos.rounds.onTimeUpdates(taskId, round.round);
      assert.deepEqual(updates.map((u) => u.holderId).sort(), [...holderIds].sort());
    }
    const contributions = await repos.contributions.forTask(taskId);
    assert.equal(contributions.length, holderIds.length * 2, "every holder scored in every round");
    assert.ok(contributions.every((c) => Number.isFinite(c.score)));

    // The last step marks the task settled a moment before BullMQ records the job as completed.
    const settleJob = await api.running.deps.queues.get("settle").getJob(settleJobId({ taskId }));
    assert.ok(settleJob, "the settle job was queued");
    const completedBy = Date.now() + 10_000;
    while ((await settleJob.getState()) !== "completed") {
      assert.ok(Date.now() < completedBy, `settle job is ${await settleJob.getState()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    const payouts = await repos.payouts.listForTask(taskId);
    assert.deepEqual(payouts.map((p) => p.holderId).sort(), [...holderIds].sort());
    const paid = payouts.reduce((sum, p) => sum + p.amount, 0n);
    assert.ok(paid <= 10_000n, `paid ${paid} of the 10,000 budget`);
    // Three holders under DP-FedAvg noise can leave a round worse than it started, so a
    // holder's total may be ≤ 0; such a holder is a free rider and is paid nothing.
    for (const payout of payouts) {
      const total = contributions
        .filter((c) => c.holderId === payout.holderId)
        .reduce((sum, c) => sum + c.score, 0);
      if (total <= 0) assert.equal(payout.amount, 0n, `${payout.holderId} contributed ${total}`);
    }
    assert.equal(await repos.ledger.trialBalance("USDC"), 0n, "the ledger balances");
    assert.equal(
      await repos.ledger.balance(escrowAccount(taskId), "USDC"),
      0n,
      "escrow discharged",
    );

    // The audit log holds each round's result and scores and every settlement step, and verifies.
    const log = new AuditLog(db);
    const entries = await log.entries({ taskId });
    const only = (kind: string) => entries.filter((entry) => entry.kind === kind);
    for (const round of rounds) {
      const [closed, ...again] = only("round.closed").filter(
        (e) => e.payload.round === round.round,
      );
      assert.equal(again.length, 0, `round ${round.round} logged once`);
      assert.equal(closed?.payload.modelHash, round.resultModelHash);
      assert.equal(closed?.payload.startingModelHash, round.globalModelHash);
      assert.equal(closed?.payload.accuracy, round.accuracy);
      assert.deepEqual(closed?.payload.participants, [...holderIds].sort());
      const updates = await repos.rounds.onTimeUpdates(taskId, round.round);
      assert.deepEqual(
        ((closed?.payload.updates ?? []) as { holderId: string; updateHash: string }[])
          .map((u) => [u.holderId, u.updateHash])
          .sort(),
        updates.map((u) => [u.holderId, u.blobHash]).sort(),
      );
      const [scored] = only("contributions.scored").filter((e) => e.payload.round === round.round);
      assert.deepEqual(
        ((scored?.payload.scores ?? []) as { holderId: string; score: number }[]).map((s) => [
          s.holderId,
          s.score,
        ]),
        (await repos.contributions.forRound(taskId, round.round)).map((c) => [c.holderId, c.score]),
      );
    }
    const lifeKinds = entries.map((e) => e.kind).filter((k) => /^(settlement|task)\./.test(k));
    assert.deepEqual(lifeKinds, [
      // fundTask in the set-up; negotiating and agreed were written past the market, unlogged.
      "task.funded",
      "task.bidding",
      "task.training",
      "task.settling",
      "settlement.settling",
      "settlement.planned",
      "settlement.paid",
      "settlement.refunded",
      "task.settled",
      "settlement.settled",
    ]);
    const [planned] = only("settlement.planned");
    assert.equal(
      ((planned?.payload.payouts ?? []) as { amount: string }[]).reduce(
        (sum, p) => sum + BigInt(p.amount),
        0n,
      ),
      paid,
    );
    assert.deepEqual((await log.verify()).problems, []);

    // A duplicated last round-closed job and a repeated settle run log nothing new.
    const count = (await log.entries()).length;
    const redelivered = await processRoundClosed(
      { taskId, round: 1, status: "aggregated", lastRound: true },
      {
        book: new RedisRoundBook(api.running.deps.redis, api.config.AGORA_QUEUE_PREFIX),
        blobs: FileBlobStore.inDataDir(api.config.AGORA_DATA_DIR),
        rounds: repos.rounds,
        contributions: repos.contributions,
        settle: api.running.deps.queues.get("settle"),
        validationFor: () => validation,
        audit: log,
      },
    );
    assert.equal(redelivered.contributions?.scoredNow, false);
    assert.equal((await runSettlement({ db }, taskId)).status, "settled");
    assert.equal((await log.entries()).length, count, "appended once");
  });
});
