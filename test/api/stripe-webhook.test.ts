import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type Stripe from "stripe";
import { createStripeClient } from "../../services/settlement/rails/stripe/stripe-client.ts";
import { openStripeFunding } from "../../services/settlement/rails/stripe/stripe-funding.ts";
import { createRepositories } from "../../services/store/repositories.ts";
import { newTask } from "../store/fixtures.ts";
import { expectProblem, startTestApi, type TestApi } from "../support/api-client.ts";
import { FakeStripeServer } from "../support/fake-stripe-server.ts";

const webhookSecret = "whsec_api_test";

describe("POST /webhooks/stripe", () => {
  let fake: FakeStripeServer;
  let api: TestApi;
  let stripe: Stripe;
  before(async () => {
    fake = await new FakeStripeServer().start();
    api = await startTestApi({
      STRIPE_SECRET_KEY: "sk_test_api",
      STRIPE_WEBHOOK_SECRET: webhookSecret,
      STRIPE_API_BASE: fake.url,
    });
    stripe = createStripeClient({ secretKey: "sk_test_api", apiBase: fake.url });
  });
  after(async () => {
    await api?.close();
    await fake?.stop();
  });

  const deliver = (payload: string, signature?: string) =>
    fetch(api.url("/webhooks/stripe"), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(signature !== undefined && { "stripe-signature": signature }),
      },
      body: payload,
    });

  it("funds the task on a signed delivery, once, and refuses tampered or unsigned ones", async () => {
    const repos = createRepositories(api.running.deps.database.db);
    const task = await repos.tasks.create(
      newTask({ rail: "stripe", currency: "USD", budget: 25_000n }),
    );
    const intent = await openStripeFunding(stripe, task);
    const payload = JSON.stringify(fake.succeedPaymentIntent(intent.paymentIntentId));
    const signature = stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });

    const tampered = await deliver(payload.replace("25000", "25001"), signature);
    const problem = await expectProblem(tampered, 401);
    assert.equal(problem.code, "unauthorized");
    await expectProblem(await deliver(payload), 401);
    assert.equal((await repos.tasks.get(task.id)).status, "draft");

    const first = await deliver(payload, signature);
    assert.equal(first.status, 200);
    assert.deepEqual(await first.json(), { received: true, outcome: "funded", taskId: task.id });
    const again = await deliver(payload, signature);
    assert.deepEqual(await again.json(), { received: true, outcome: "duplicate" });
    assert.equal((await repos.tasks.get(task.id)).status, "funded");
  });
});

describe("POST /webhooks/stripe without Stripe configured", () => {
  it("answers 404 problem+json: the deployment runs the sandbox rail", async () => {
    const api = await startTestApi();
    try {
      const response = await fetch(api.url("/webhooks/stripe"), { method: "POST", body: "{}" });
      await expectProblem(response, 404);
    } finally {
      await api.close();
    }
  });
});
