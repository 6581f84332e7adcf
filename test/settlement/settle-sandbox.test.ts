import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { SandboxFundingGate } from "../../services/market/funding/sandbox-funding-gate.ts";
import { createMarketRepositories } from "../../services/market/market-repositories.ts";
import { fundTask } from "../../services/market/tasks/fund-task.ts";
import {
  cashAccount,
  escrowAccount,
  holderPaidAccount,
  ownerRefundedAccount,
} from "../../services/settlement/ledger/accounts.ts";
import { runSettlement } from "../../services/settlement/pipeline/run-settlement.ts";
import { sandboxLabel } from "../../services/settlement/rails/payment-rail.ts";
import { SettlementRunsRepository } from "../../services/store/repositories/settlement-runs-repository.ts";
import { newTask } from "../store/fixtures.ts";
import { databaseBackends, type TestDatabase } from "../support/databases.ts";
import {
  journalOf,
  type SettleQueue,
  seedTrainedTask,
  startSettleQueue,
} from "./settlement-fixture.ts";

const backends = await databaseBackends();

for (const backend of backends) {
  describe(`settling a task on the sandbox rail (${backend.name})`, { skip: backend.skip }, () => {
    let database: TestDatabase;
    let settle: SettleQueue;
    before(async () => {
      database = await backend.open();
      settle = await startSettleQueue({ db: database.db });
    });
    afterEach(async () => {
      assert.equal(await createMarketRepositories(database.db).ledger.trialBalance("USDC"), 0n);
    });
    after(async () => {
      await settle?.close();
      await database?.dispose();
    });

    it("pays base plus contribution-weighted bonus through the settle queue, on paper only", async () => {
      const repos = createMarketRepositories(database.db);
      const draft = await repos.tasks.create(newTask({ rail: "sandbox", budget: 10_000n }));
      await fundTask(repos, new SandboxFundingGate(repos.ledger), draft.id, draft.ownerAddress);
      const [strong, weak, idle, attacker] = await seedTrainedTask(
        database.db,
        await repos.tasks.get(draft.id),
        [
          { holder: { payoutRail: "sandbox" }, price: 1_000n, scores: [0.3, 0.2] },
          { holder: { payoutRail: "sandbox" }, price: 1_000n, scores: [0.1, 0.1] },
          { holder: { payoutRail: "sandbox" }, price: 1_000n, scores: [-0.05, 0] },
          {
            holder: { payoutRail: "sandbox" },
            price: 1_000n,
            scores: [0.4, 0.4],
            flag: "attacker",
          },
        ],
      );
      await settle.enqueue(draft.id);
      assert.equal(await settle.waitFor(draft.id, ["completed", "failed"]), "completed");

      const task = await repos.tasks.get(draft.id);
      assert.equal(task.status, "settled");
      // Pool 6,000 split 0.5 : 0.2 → 4,285.71 / 1,714.29; the spare unit goes to the larger remainder.
      const payouts = await repos.payouts.listForTask(task.id);
      assert.deepEqual(
        payouts.map((p) => [p.holderId, p.base, p.bonus, p.amount, p.status]),
        [
          [strong, 1_000n, 4_286n, 5_286n, "sent"],
          [weak, 1_000n, 1_714n, 2_714n, "sent"],
          [idle, 0n, 0n, 0n, "planned"],
          [attacker, 0n, 0n, 0n, "planned"],
        ],
      );
      assert.ok(
        payouts.every((p) => p.externalRef === null || p.externalRef.startsWith("sandbox-")),
      );
      const ledger = repos.ledger;
      assert.equal(await ledger.balance(holderPaidAccount(strong ?? ""), "USDC"), 5_286n);
      assert.equal(await ledger.balance(holderPaidAccount(weak ?? ""), "USDC"), 2_714n);
      assert.equal(await ledger.balance(holderPaidAccount(idle ?? ""), "USDC"), 0n);
      assert.equal(await ledger.balance(ownerRefundedAccount(task.ownerAddress), "USDC"), 2_000n);
      assert.equal(
        await ledger.balance(escrowAccount(task.id), "USDC"),
        0n,
        "escrow fully discharged",
      );
      assert.ok(
        (await journalOf(database.db, task.id)).every((e) => e.reference.startsWith("sandbox-")),
      );

      const run = await new SettlementRunsRepository(database.db).find(task.id);
      assert.equal(run?.step, "settled");
      assert.equal(run?.state.label, sandboxLabel);
      assert.ok(run?.completedAt instanceof Date);
    });

    it("running a settled task again moves nothing and books nothing", async () => {
      const repos = createMarketRepositories(database.db);
      const draft = await repos.tasks.create(newTask({ rail: "sandbox", budget: 5_000n }));
      await fundTask(repos, new SandboxFundingGate(repos.ledger), draft.id, draft.ownerAddress);
      await seedTrainedTask(database.db, await repos.tasks.get(draft.id), [
        { holder: { payoutRail: "sandbox" }, price: 2_000n, scores: [0.2] },
      ]);
      const first = await runSettlement({ db: database.db }, draft.id);
      const journal = await journalOf(database.db, draft.id);
      const again = await runSettlement({ db: database.db }, draft.id);
      assert.deepEqual([first.status, again.status], ["settled", "settled"]);
      assert.deepEqual(await journalOf(database.db, draft.id), journal);
      assert.equal(journal.length, 2, "one funding, one payout, nothing left to refund");
      assert.equal((await repos.ledger.balance(cashAccount("sandbox"), "USDC")) >= 0n, true);
    });

    it("refuses a task that is not training and leaves it untouched", async () => {
      const repos = createMarketRepositories(database.db);
      const draft = await repos.tasks.create(newTask({ rail: "sandbox", budget: 5_000n }));
      await assert.rejects(runSettlement({ db: database.db }, draft.id), /not ready to settle/);
      assert.equal((await repos.tasks.get(draft.id)).status, "draft");
      assert.deepEqual(await repos.payouts.listForTask(draft.id), []);
    });
  });
}
