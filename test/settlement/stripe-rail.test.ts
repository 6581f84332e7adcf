import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type Stripe from "stripe";
import { AgoraError } from "../../services/errors/agora-error.ts";
import {
  cashAccount,
  escrowAccount,
  holderPaidAccount,
} from "../../services/settlement/ledger/accounts.ts";
import { createStripeClient } from "../../services/settlement/rails/stripe/stripe-client.ts";
import { openStripeFunding } from "../../services/settlement/rails/stripe/stripe-funding.ts";
import { payOutByStripe } from "../../services/settlement/rails/stripe/stripe-payouts.ts";
import { reconcileStripeTransfers } from "../../services/settlement/rails/stripe/stripe-reconciliation.ts";
import {
  applyStripeEvent,
  verifyStripeWebhook,
} from "../../services/settlement/rails/stripe/stripe-webhook.ts";
import type { JournalEntry } from "../../services/store/repositories/ledger-repository.ts";
import type { TaskRecord } from "../../services/store/repositories/tasks-repository.ts";
import { createRepositories, type Repositories } from "../../services/store/repositories.ts";
import { newHolder, newTask } from "../store/fixtures.ts";
import { databaseBackends, type TestDatabase } from "../support/databases.ts";
import { FakeStripeServer } from "../support/fake-stripe-server.ts";

const backends = await databaseBackends();
const webhookSecret = "whsec_test_agora";
const isKind = (kind: string) => (error: unknown) =>
  error instanceof AgoraError && error.kind === kind;

for (const backend of backends) {
  describe(`Stripe rail on ${backend.name}`, { skip: backend.skip }, () => {
    let database: TestDatabase;
    let repos: Repositories;
    let fake: FakeStripeServer;
    let stripe: Stripe;

    before(async () => {
      database = await backend.open();
      repos = createRepositories(database.db);
      fake = await new FakeStripeServer().start();
      stripe = createStripeClient({ secretKey: "sk_test_agora", apiBase: fake.url });
    });
    after(async () => {
      // Every test leaves the books balanced.
      assert.equal(await repos.ledger.trialBalance("USD"), 0n);
      assert.equal(await repos.ledger.trialBalance("usd"), 0n);
      await fake?.stop();
      await database?.dispose();
    });

    const signedDelivery = (event: object, timestamp?: number) => {
      const payload = JSON.stringify(event);
      const header = stripe.webhooks.generateTestHeaderString({
        payload,
        secret: webhookSecret,
        ...(timestamp !== undefined && { timestamp }),
      });
      return { payload, header };
    };

    async function fundedStripeTask(budget = 50_000n): Promise<TaskRecord> {
      const task = await repos.tasks.create(newTask({ rail: "stripe", currency: "USD", budget }));
      const intent = await openStripeFunding(stripe, task);
      const { payload, header } = signedDelivery(fake.succeedPaymentIntent(intent.paymentIntentId));
      const event = verifyStripeWebhook(stripe, Buffer.from(payload), header, webhookSecret);
      assert.deepEqual(await applyStripeEvent(database.db, event), {
        outcome: "funded",
        taskId: task.id,
      });
      return repos.tasks.get(task.id);
    }

    it("opens one PaymentIntent per task however often funding is retried", async () => {
      const task = await repos.tasks.create(
        newTask({ rail: "stripe", currency: "USD", budget: 12_345n }),
      );
      const first = await openStripeFunding(stripe, task);
      const again = await openStripeFunding(stripe, task);
      assert.equal(again.paymentIntentId, first.paymentIntentId);
      assert.equal(first.amount, 12_345n);
      assert.equal(
        [...fake.paymentIntents.values()].filter((pi) => pi.transfer_group === task.id).length,
        1,
      );
      await assert.rejects(
        openStripeFunding(stripe, await repos.tasks.create(newTask({ rail: "chain" }))),
        isKind("conflict"),
      );
    });

    it("funds a task only from a verified webhook, once however often it is delivered", async () => {
      const task = await fundedStripeTask();
      assert.equal(task.status, "funded");
      assert.equal(await repos.ledger.balance(escrowAccount(task.id), "USD"), -50_000n);
      const intent = [...fake.paymentIntents.values()].find((pi) => pi.transfer_group === task.id);
      // Stripe redelivers the same event id: nothing happens twice.
      const redelivery = fake.succeedPaymentIntent(intent?.id ?? "");
      const duplicate = { ...redelivery, id: "evt_same" };
      const { payload, header } = signedDelivery(duplicate);
      const event = verifyStripeWebhook(stripe, Buffer.from(payload), header, webhookSecret);
      assert.equal((await applyStripeEvent(database.db, event)).outcome, "funded");
      assert.deepEqual(await applyStripeEvent(database.db, event), { outcome: "duplicate" });
      // A second distinct success event for the same PaymentIntent books nothing new.
      assert.equal(await repos.ledger.balance(escrowAccount(task.id), "USD"), -50_000n);
    });

    it("refuses tampered, stale and unsigned deliveries", async () => {
      const task = await repos.tasks.create(
        newTask({ rail: "stripe", currency: "USD", budget: 777n }),
      );
      const intent = await openStripeFunding(stripe, task);
      const event = fake.succeedPaymentIntent(intent.paymentIntentId);
      const { payload, header } = signedDelivery(event);
      const tampered = payload.replace('"amount":777', '"amount":1');
      assert.notEqual(tampered, payload);
      assert.throws(
        () => verifyStripeWebhook(stripe, Buffer.from(tampered), header, webhookSecret),
        isKind("unauthorized"),
      );
      const stale = signedDelivery(event, Math.floor(Date.now() / 1000) - 600);
      assert.throws(
        () => verifyStripeWebhook(stripe, Buffer.from(stale.payload), stale.header, webhookSecret),
        isKind("unauthorized"),
      );
      assert.throws(
        () => verifyStripeWebhook(stripe, Buffer.from(payload), undefined, webhookSecret),
        isKind("unauthorized"),
      );
      assert.throws(
        () => verifyStripeWebhook(stripe, Buffer.from(payload), header, "whsec_other"),
        isKind("unauthorized"),
      );
      assert.equal((await repos.tasks.get(task.id)).status, "draft");
    });

    it("books a payment that does not match the task to suspense and leaves the task unfunded", async () => {
      const task = await repos.tasks.create(
        newTask({ rail: "stripe", currency: "USD", budget: 1_000n }),
      );
      const intent = await openStripeFunding(stripe, task);
      const event = fake.succeedPaymentIntent(intent.paymentIntentId) as unknown as {
        data: { object: Record<string, unknown> };
      };
      event.data.object.amount_received = 999;
      const { payload, header } = signedDelivery(event);
      const verified = verifyStripeWebhook(stripe, Buffer.from(payload), header, webhookSecret);
      const outcome = await applyStripeEvent(database.db, verified);
      assert.equal(outcome.outcome, "ignored", JSON.stringify(outcome));
      assert.equal((await repos.tasks.get(task.id)).status, "draft");
      assert.equal(await repos.ledger.balance("suspense:stripe", "usd"), -999n);
    });

    async function plannedPayouts(task: TaskRecord) {
      const holders = [
        await repos.holders.register(newHolder({ payoutRail: "stripe" })),
        await repos.holders.register(newHolder({ payoutRail: "stripe" })),
        await repos.holders.register(newHolder({ payoutRail: "chain" })),
      ];
      return repos.payouts.savePlan(
        task.id,
        holders.map((holder, leafIndex) => ({
          taskId: task.id,
          holderId: holder.id,
          leafIndex,
          rail: holder.payoutRail,
          account: holder.payoutRail === "stripe" ? fake.createAccount() : holder.payoutAccount,
          base: 10_000n,
          bonus: BigInt(1_000 * (leafIndex + 1)),
          amount: 10_000n + BigInt(1_000 * (leafIndex + 1)),
        })),
      );
    }

    it("pays Stripe holders by Connect transfers and books each one", async () => {
      const task = await fundedStripeTask();
      const payouts = await plannedPayouts(task);
      const results = await payOutByStripe({ stripe, ...repos }, "USD", payouts);
      assert.equal(results.length, 2, "the chain holder is not paid through Stripe");
      const transfers = fake.transfers.filter((t) => t.transfer_group === task.id);
      assert.deepEqual(
        transfers.map((t) => t.amount),
        [11_000, 12_000],
      );
      assert.equal(await repos.ledger.balance(escrowAccount(task.id), "USD"), -(50_000n - 23_000n));
      assert.equal(
        await repos.ledger.balance(holderPaidAccount(payouts[1]?.holderId ?? ""), "USD"),
        12_000n,
      );
      const saved = await repos.payouts.listForTask(task.id);
      assert.deepEqual(
        saved.map((p) => p.status),
        ["sent", "sent", "planned"],
      );
      // Paying again is a no-op end to end.
      await payOutByStripe({ stripe, ...repos }, "USD", saved);
      assert.equal(fake.transfers.filter((t) => t.transfer_group === task.id).length, 2);
      assert.equal((await repos.ledger.balance(cashAccount("stripe"), "USD")) >= 0n, true);
    });

    it("resumes after a crash between 'transfer sent' and 'ledger written' without paying twice", async () => {
      const task = await fundedStripeTask();
      const payouts = await plannedPayouts(task);
      let crashes = 1;
      const crashingLedger = {
        post: async (entry: JournalEntry) => {
          if (crashes-- > 0) throw new Error("process died after the transfer");
          return repos.ledger.post(entry);
        },
      };
      await assert.rejects(
        payOutByStripe({ stripe, payouts: repos.payouts, ledger: crashingLedger }, "USD", payouts),
        /process died/,
      );
      assert.equal(fake.transfers.filter((t) => t.transfer_group === task.id).length, 1);
      await payOutByStripe({ stripe, ...repos }, "USD", payouts);
      const transfers = fake.transfers.filter((t) => t.transfer_group === task.id);
      assert.equal(transfers.length, 2, "the retried payout reused its transfer");
      assert.equal(await repos.ledger.balance(escrowAccount(task.id), "USD"), -(50_000n - 23_000n));
    });

    it("reconciliation repairs missing bookkeeping and reports what it cannot explain", async () => {
      const task = await fundedStripeTask();
      const payouts = await plannedPayouts(task);
      const losingLedger = { post: async () => Promise.reject(new Error("database unreachable")) };
      await assert.rejects(
        payOutByStripe({ stripe, payouts: repos.payouts, ledger: losingLedger }, "USD", payouts),
      );
      await stripe.transfers.create({
        amount: 5,
        currency: "usd",
        destination: [...fake.accounts][0] ?? "",
        transfer_group: task.id,
      });
      const report = await reconcileStripeTransfers({ stripe, ...repos }, task.id, "USD");
      assert.equal(report.transfers, 2);
      assert.equal(report.repaired.length, 2, report.repaired.join("; "));
      assert.equal(report.discrepancies.length, 1);
      assert.match(report.discrepancies[0] ?? "", /matches no payout/);
      assert.equal((await repos.payouts.get(payouts[0]?.id ?? "")).status, "sent");
      const again = await reconcileStripeTransfers({ stripe, ...repos }, task.id, "USD");
      assert.deepEqual(again.repaired, []);
    });
  });
}
