import assert from "node:assert/strict";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, describe, it } from "node:test";
import Stripe from "stripe";
import { createMarketRepositories } from "../../services/market/market-repositories.ts";
import {
  escrowAccount,
  holderPaidAccount,
  ownerRefundedAccount,
} from "../../services/settlement/ledger/accounts.ts";
import { payoutIdMetadataKey } from "../../services/settlement/rails/stripe/stripe-payouts.ts";
import { refundRemainderByStripe } from "../../services/settlement/rails/stripe/stripe-refunds.ts";
import {
  applyStripeEvent,
  verifyStripeWebhook,
} from "../../services/settlement/rails/stripe/stripe-webhook.ts";
import { StripeRail } from "../../services/settlement/rails/stripe-rail.ts";
import { SettlementRunsRepository } from "../../services/store/repositories/settlement-runs-repository.ts";
import { newTask } from "../store/fixtures.ts";
import { databaseBackends, type TestDatabase } from "../support/databases.ts";
import { FakeStripeServer } from "../support/fake-stripe-server.ts";
import {
  journalOf,
  type SettleQueue,
  seedTrainedTask,
  startSettleQueue,
} from "./settlement-fixture.ts";

const backends = await databaseBackends();
const webhookSecret = "whsec_settle_test";

/**
 * Forwards to the fake Stripe server, and can lose the answers to transfer
 * requests after Stripe made the transfer: the client sees a dead connection, exactly
 * as if this process had died between "transfer sent" and "ledger written".
 */
class ResponseDroppingProxy {
  /** Transfer answers still to lose. */
  dropTransferResponses = 0;
  /** Refund answers still to lose. */
  dropRefundResponses = 0;
  #server: Server | undefined;

  async start(target: string): Promise<number> {
    this.#server = createServer((req, res) => {
      const body: Buffer[] = [];
      req.on("data", (chunk: Buffer) => body.push(chunk));
      req.on("end", () => {
        const upstream = httpRequest(
          new URL(req.url ?? "/", target),
          { method: req.method, headers: req.headers },
          (answer) => {
            const chunks: Buffer[] = [];
            answer.on("data", (chunk: Buffer) => chunks.push(chunk));
            answer.on("end", () => {
              if (
                this.dropTransferResponses > 0 &&
                req.method === "POST" &&
                req.url === "/v1/transfers"
              ) {
                this.dropTransferResponses -= 1;
                req.socket.destroy();
                return;
              }
              if (
                this.dropRefundResponses > 0 &&
                req.method === "POST" &&
                req.url === "/v1/refunds"
              ) {
                this.dropRefundResponses -= 1;
                req.socket.destroy();
                return;
              }
              res.writeHead(answer.statusCode ?? 502, answer.headers);
              res.end(Buffer.concat(chunks));
            });
          },
        );
        upstream.end(Buffer.concat(body));
      });
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, "127.0.0.1", resolve));
    return (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }
}

for (const backend of backends) {
  describe(`settling a task through Stripe (${backend.name})`, { skip: backend.skip }, () => {
    let database: TestDatabase;
    let fake: FakeStripeServer;
    let proxy: ResponseDroppingProxy;
    let stripe: Stripe;
    let settle: SettleQueue;

    before(async () => {
      database = await backend.open();
      fake = await new FakeStripeServer().start();
      proxy = new ResponseDroppingProxy();
      const port = await proxy.start(fake.url);
      // The real SDK, without its own retries, so a lost answer surfaces as a crash.
      stripe = new Stripe("sk_test_settle", {
        host: "127.0.0.1",
        port,
        protocol: "http",
        maxNetworkRetries: 0,
      });
      settle = await startSettleQueue({ db: database.db, stripe });
    });
    afterEach(async () => {
      const ledger = createMarketRepositories(database.db).ledger;
      assert.equal(await ledger.trialBalance("USD"), 0n);
      assert.equal(await ledger.trialBalance("usd"), 0n);
    });
    after(async () => {
      await settle?.close();
      await proxy?.stop();
      await fake?.stop();
      await database?.dispose();
    });

    /** Posts a Stripe task, funds it by a signed webhook (delivered twice), trains it. */
    async function trainedStripeTask(budget: bigint) {
      const repos = createMarketRepositories(database.db);
      const draft = await repos.tasks.create(newTask({ rail: "stripe", currency: "USD", budget }));
      const funding = await new StripeRail(stripe, database.db).startFunding(draft);
      assert.equal(funding.rail, "stripe");
      const paymentIntentId = funding.rail === "stripe" ? funding.paymentIntentId : "";
      const payload = JSON.stringify(fake.succeedPaymentIntent(paymentIntentId));
      const header = stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });
      const event = verifyStripeWebhook(stripe, Buffer.from(payload), header, webhookSecret);
      assert.equal((await applyStripeEvent(database.db, event)).outcome, "funded");
      assert.equal((await applyStripeEvent(database.db, event)).outcome, "duplicate");
      const stripeHolder = () => ({
        payoutRail: "stripe" as const,
        payoutAccount: fake.createAccount(),
      });
      const holders = await seedTrainedTask(database.db, await repos.tasks.get(draft.id), [
        { holder: stripeHolder(), price: 10_000n, scores: [0.6] },
        { holder: stripeHolder(), price: 10_000n, scores: [0.3] },
        { holder: stripeHolder(), price: 10_000n, scores: [0] },
      ]);
      return { task: await repos.tasks.get(draft.id), holders, paymentIntentId };
    }

    const transfersOf = (taskId: string) =>
      fake.transfers.filter((t) => t.transfer_group === taskId);

    it("pays by Connect transfers keyed by payout id, reconciles, and settles", async () => {
      const repos = createMarketRepositories(database.db);
      const { task, holders, paymentIntentId } = await trainedStripeTask(50_000n);
      const ownerBefore = await repos.ledger.balance(
        ownerRefundedAccount(task.ownerAddress),
        "USD",
      );
      await settle.enqueue(task.id);
      assert.equal(await settle.waitFor(task.id, ["completed", "failed"]), "completed");

      assert.equal((await repos.tasks.get(task.id)).status, "settled");
      const payouts = await repos.payouts.listForTask(task.id);
      // Pool 20,000 split 2 : 1; the holder that added nothing forfeits its base.
      assert.deepEqual(
        payouts.map((p) => [p.holderId, p.amount, p.status]),
        [
          [holders[0], 23_333n, "sent"],
          [holders[1], 16_667n, "sent"],
          [holders[2], 0n, "planned"],
        ],
      );
      const transfers = transfersOf(task.id);
      assert.deepEqual(
        transfers.map((t) => [
          t.amount,
          t.destination,
          (t.metadata as Record<string, string>)[payoutIdMetadataKey],
        ]),
        payouts.slice(0, 2).map((p) => [Number(p.amount), p.account, p.id]),
      );
      assert.deepEqual(
        payouts.slice(0, 2).map((p) => p.externalRef),
        transfers.map((t) => t.id),
      );
      const run = await new SettlementRunsRepository(database.db).find(task.id);
      assert.deepEqual(run?.state.reconciliation, {
        taskId: task.id,
        transfers: 2,
        repaired: [],
        discrepancies: [],
      });
      const ledger = repos.ledger;
      assert.equal(await ledger.balance(holderPaidAccount(holders[0] ?? ""), "USD"), 23_333n);
      // The unspent 10,000 goes back to the owner's payment, and the escrow is discharged.
      const refunds = fake.refunds.filter((r) => r.payment_intent === paymentIntentId);
      assert.deepEqual(
        refunds.map((r) => [
          r.amount,
          r.status,
          (r.metadata as Record<string, string>).agora_task_id,
        ]),
        [[10_000, "succeeded", task.id]],
      );
      assert.deepEqual(run?.state.refund, {
        id: refunds[0]?.id,
        paymentIntent: paymentIntentId,
        amount: "10000",
      });
      assert.equal(
        (await ledger.balance(ownerRefundedAccount(task.ownerAddress), "USD")) - ownerBefore,
        10_000n,
      );
      assert.equal(await ledger.balance(escrowAccount(task.id), "USD"), 0n);
    });

    it("refunds the remainder once, though the answer to the refund is lost and the step runs again", async () => {
      const repos = createMarketRepositories(database.db);
      const { task, paymentIntentId } = await trainedStripeTask(45_000n);
      const refundCalls = () => fake.requests.filter((r) => r === "POST /v1/refunds").length;
      const before = refundCalls();
      // Stripe makes the refund; this process never hears of it and the attempt dies. The SDK
      // resends once on a dropped connection (same idempotency key), so lose both answers.
      proxy.dropRefundResponses = 2;
      await settle.enqueue(task.id, { attempts: 2 });
      assert.equal(await settle.waitFor(task.id, ["completed", "failed"]), "completed");
      const run = await new SettlementRunsRepository(database.db).find(task.id);
      assert.deepEqual([run?.attempts, run?.step, run?.lastError], [2, "settled", null]);
      assert.equal(refundCalls() - before, 2, "the dying attempt's send and the SDK's resend");
      assert.ok(
        fake.requests.lastIndexOf("GET /v1/refunds") >
          fake.requests.lastIndexOf("POST /v1/refunds"),
        "the retry read the PaymentIntent's refunds, found its own, and sent no new request",
      );
      const refunds = fake.refunds.filter((r) => r.payment_intent === paymentIntentId);
      assert.equal(refunds.length, 1);
      const paid = (await repos.payouts.listForTask(task.id)).reduce(
        (sum, p) => sum + p.amount,
        0n,
      );
      assert.equal(BigInt(refunds[0]?.amount as number), 45_000n - paid);
      const booked = (await journalOf(database.db, task.id)).filter((e) => e.kind === "refund");
      assert.deepEqual(
        booked.map((e) => e.reference),
        [refunds[0]?.id],
      );
      assert.equal(await repos.ledger.balance(escrowAccount(task.id), "USD"), 0n);

      // Dying after the booking and before the checkpoint: the step runs once more, moves nothing.
      const again = await refundRemainderByStripe(
        { stripe, db: database.db },
        task,
        45_000n - paid,
      );
      assert.deepEqual([again?.refundId, again?.createdNow], [refunds[0]?.id, false]);
      assert.equal(refundCalls() - before, 2);
      assert.equal(
        (await journalOf(database.db, task.id)).filter((e) => e.kind === "refund").length,
        1,
      );
    });

    it("speaks Stripe's refund protocol: key replay, list by PaymentIntent, no refund above what was paid", async () => {
      const { paymentIntentId } = await trainedStripeTask(8_000n);
      const params = { payment_intent: paymentIntentId, amount: 3_000 };
      const first = await stripe.refunds.create(params, { idempotencyKey: `k-${paymentIntentId}` });
      const replay = await stripe.refunds.create(params, {
        idempotencyKey: `k-${paymentIntentId}`,
      });
      assert.equal(replay.id, first.id, "the key replays the first refund");
      assert.equal(first.object, "refund");
      assert.equal(first.payment_intent, paymentIntentId);
      await assert.rejects(
        stripe.refunds.create({ payment_intent: paymentIntentId, amount: 5_001 }),
        (error: Stripe.errors.StripeError) =>
          error.type === "StripeInvalidRequestError" &&
          error.code === "amount_too_large" &&
          /greater than unrefunded amount on charge \(5000 usd\)/.test(error.message),
      );
      const rest = await stripe.refunds.create({ payment_intent: paymentIntentId });
      assert.equal(rest.amount, 5_000, "the default is everything still refundable");
      const listed = [];
      for await (const refund of stripe.refunds.list({
        payment_intent: paymentIntentId,
        limit: 1,
      })) {
        listed.push(refund.id);
      }
      assert.deepEqual(listed, [rest.id, first.id], "newest first, across pages");
      await assert.rejects(
        stripe.refunds.create({ payment_intent: "pi_missing", amount: 1 }),
        (error: Stripe.errors.StripeError) => error.code === "resource_missing",
      );
    });

    it("resumes after a crash between 'transfer sent' and 'ledger written' without paying twice", async () => {
      const repos = createMarketRepositories(database.db);
      const { task } = await trainedStripeTask(40_000n);
      const ownerBefore = await repos.ledger.balance(
        ownerRefundedAccount(task.ownerAddress),
        "USD",
      );
      // The SDK resends once on a dropped connection (same idempotency key), so lose both answers.
      proxy.dropTransferResponses = 2;
      await settle.enqueue(task.id, { attempts: 2 });
      assert.equal(await settle.waitFor(task.id, ["completed", "failed"]), "completed");

      const job = await settle.queue.getJob(`settle|${task.id}`);
      assert.equal(
        job?.attemptsStarted,
        2,
        "the first attempt died after Stripe made the transfer",
      );
      const run = await new SettlementRunsRepository(database.db).find(task.id);
      assert.deepEqual([run?.attempts, run?.step, run?.lastError], [2, "settled", null]);

      const payouts = (await repos.payouts.listForTask(task.id)).filter((p) => p.amount > 0n);
      const transfers = transfersOf(task.id);
      assert.equal(
        transfers.length,
        payouts.length,
        "one transfer per payout, the lost one reused",
      );
      const journal = await journalOf(database.db, task.id);
      assert.deepEqual(
        journal
          .filter((e) => e.kind === "payout")
          .map((e) => e.reference)
          .sort(),
        transfers.map((t) => t.id).sort(),
      );
      const paid = payouts.reduce((sum, p) => sum + p.amount, 0n);
      assert.equal(
        (await repos.ledger.balance(ownerRefundedAccount(task.ownerAddress), "USD")) - ownerBefore,
        40_000n - paid,
      );
      assert.equal(await repos.ledger.balance(escrowAccount(task.id), "USD"), 0n);
    });
  });
}
