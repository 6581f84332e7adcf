import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { escrowAccount } from "../../services/settlement/ledger/accounts.ts";
import { sandboxLabel } from "../../services/settlement/rails/payment-rail.ts";
import { SandboxRail } from "../../services/settlement/rails/sandbox-rail.ts";
import { createRepositories, type Repositories } from "../../services/store/repositories.ts";
import { newHolder, newTask } from "../store/fixtures.ts";
import { databaseBackends, type TestDatabase } from "../support/databases.ts";

const backends = await databaseBackends();
const pglite = backends.filter((backend) => backend.name === "pglite");

for (const backend of pglite) {
  describe("sandbox rail", () => {
    let database: TestDatabase;
    let repos: Repositories;
    before(async () => {
      database = await backend.open();
      repos = createRepositories(database.db);
    });
    after(async () => {
      assert.equal(await repos.ledger.trialBalance("USDC"), 0n);
      await database?.dispose();
    });

    it("funds and pays out through the ledger only, labelled as sandbox, idempotently", async () => {
      const rail = new SandboxRail(database.db);
      const task = await repos.tasks.create(newTask({ rail: "sandbox", budget: 9_000n }));
      const instructions = await rail.startFunding(task);
      assert.deepEqual(instructions, {
        rail: "sandbox",
        reference: `sandbox-fund-${task.id}`,
        label: sandboxLabel,
      });
      await rail.startFunding(await repos.tasks.get(task.id));
      assert.equal((await repos.tasks.get(task.id)).status, "funded");
      assert.equal(await repos.ledger.balance(escrowAccount(task.id), "USDC"), -9_000n);

      const holder = await repos.holders.register(newHolder({ payoutRail: "sandbox" }));
      const payouts = await repos.payouts.savePlan(task.id, [
        {
          taskId: task.id,
          holderId: holder.id,
          leafIndex: 0,
          rail: "sandbox",
          account: holder.id,
          base: 4_000n,
          bonus: 1_000n,
          amount: 5_000n,
        },
      ]);
      const paid = await rail.payOut(task, payouts);
      await rail.payOut(task, await repos.payouts.listForTask(task.id));
      assert.deepEqual(paid, [
        { payoutId: payouts[0]?.id, reference: `sandbox-${payouts[0]?.id}` },
      ]);
      assert.equal(await repos.ledger.balance(escrowAccount(task.id), "USDC"), -4_000n);
      assert.equal(await repos.ledger.balance("rail:sandbox:cash", "USDC"), 4_000n);
    });
  });
}
