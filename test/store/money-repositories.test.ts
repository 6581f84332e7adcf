import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import { AgoraError } from "../../services/errors/agora-error.ts";
import { createRepositories, type Repositories } from "../../services/store/repositories.ts";
import { databaseBackends, type TestDatabase } from "../support/databases.ts";

const backends = await databaseBackends();
const isKind = (kind: string) => (error: unknown) =>
  error instanceof AgoraError && error.kind === kind;

for (const backend of backends) {
  describe(`ledger, idempotency keys and webhook events on ${backend.name}`, {
    skip: backend.skip,
  }, () => {
    let database: TestDatabase;
    let repos: Repositories;
    before(async () => {
      database = await backend.open();
      repos = createRepositories(database.db);
    });
    after(() => database?.dispose());

    it("posts balanced entries once per reference and reports balances", async () => {
      const funding = {
        id: "j-fund",
        kind: "funding",
        reference: "pi_123",
        postings: [
          { account: "escrow:task-1", currency: "USD", amount: 10_000n },
          { account: "owner:alice", currency: "USD", amount: -10_000n },
        ],
      };
      assert.equal(await repos.ledger.post(funding), true);
      assert.equal(await repos.ledger.post({ ...funding, id: "j-fund-retry" }), false);
      await repos.ledger.post({
        id: "j-pay",
        kind: "payout",
        reference: "tr_1",
        postings: [
          { account: "holder:h1", currency: "USD", amount: 6_000n },
          { account: "holder:h2", currency: "USD", amount: 3_999n },
          { account: "escrow:task-1", currency: "USD", amount: -9_999n },
        ],
      });
      assert.equal(await repos.ledger.balance("escrow:task-1", "USD"), 1n);
      assert.deepEqual(
        [...(await repos.ledger.balances("holder:", "USD"))],
        [
          ["holder:h1", 6_000n],
          ["holder:h2", 3_999n],
        ],
      );
      assert.equal(await repos.ledger.trialBalance("USD"), 0n);
    });

    it("refuses an unbalanced entry in code, and the database refuses one that bypasses the code", async () => {
      await assert.rejects(
        repos.ledger.post({
          id: "j-bad",
          kind: "payout",
          reference: "bad",
          postings: [
            { account: "a", currency: "USD", amount: 5n },
            { account: "b", currency: "USD", amount: -4n },
          ],
        }),
        isKind("invalid"),
      );
      await assert.rejects(
        database.db.transaction().execute(async (trx) => {
          await sql`insert into ledger_journal (id, kind, reference) values ('j-raw', 'x', 'raw')`.execute(
            trx,
          );
          await sql`insert into ledger_postings (journal_id, account, currency, amount) values ('j-raw', 'a', 'USD', 5)`.execute(
            trx,
          );
        }),
        /does not balance/,
      );
      await assert.rejects(
        sql`update ledger_postings set amount = amount * 2`.execute(database.db),
        /append-only/,
      );
      assert.equal(await repos.ledger.trialBalance("USD"), 0n);
    });

    it("replays a completed idempotent request and refuses a different body under the same key", async () => {
      const hashA = "a".repeat(64);
      assert.deepEqual(await repos.idempotencyKeys.claim("tasks", "key-1", hashA), {
        state: "new",
      });
      await assert.rejects(
        repos.idempotencyKeys.claim("tasks", "key-1", hashA),
        isKind("conflict"),
      );
      await repos.idempotencyKeys.complete("tasks", "key-1", 201, { id: "task-9" });
      assert.deepEqual(await repos.idempotencyKeys.claim("tasks", "key-1", hashA), {
        state: "replay",
        responseCode: 201,
        response: { id: "task-9" },
      });
      await assert.rejects(
        repos.idempotencyKeys.claim("tasks", "key-1", "b".repeat(64)),
        isKind("conflict"),
      );
      // Another scope does not see the key; an expired key is free again.
      assert.deepEqual(await repos.idempotencyKeys.claim("bids", "key-1", hashA), { state: "new" });
      await repos.idempotencyKeys.claim("tasks", "key-2", hashA, -1);
      assert.deepEqual(await repos.idempotencyKeys.claim("tasks", "key-2", hashA), {
        state: "new",
      });
    });

    it("marks a webhook event processed once, however often it is delivered", async () => {
      const deliveries = await Promise.all(
        [1, 2, 3].map(() =>
          repos.webhookEvents.markProcessed(
            "stripe",
            "evt_1",
            "payment_intent.succeeded",
            "c".repeat(64),
          ),
        ),
      );
      assert.deepEqual(deliveries.filter(Boolean).length, 1);
      assert.equal(await repos.webhookEvents.wasProcessed("stripe", "evt_1"), true);
      assert.equal(await repos.webhookEvents.wasProcessed("stripe", "evt_2"), false);
    });
  });
}

describe("PGlite serialises sessions", () => {
  it("a query issued while another caller's transaction is open does not run inside it", async () => {
    const pglite = backends.find((backend) => backend.name === "pglite");
    const database = await (pglite as NonNullable<typeof pglite>).open();
    try {
      const repos = createRepositories(database.db);
      let release: () => void = () => {};
      let entered: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const rolledBack = database.db
        .transaction()
        .execute(async (trx) => {
          await sql`insert into ledger_journal (id, kind, reference) values ('j-tx', 'x', 'tx')`.execute(
            trx,
          );
          entered();
          await held;
          throw new Error("roll back");
        })
        .catch((error: Error) => error.message);
      await inside;
      // Issued while the transaction is open: it must wait, not join it and be rolled back.
      const outside = repos.webhookEvents.markProcessed(
        "stripe",
        "evt_outside",
        "t",
        "d".repeat(64),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      release();
      assert.equal(await rolledBack, "roll back");
      assert.equal(await outside, true);
      assert.equal(await repos.webhookEvents.wasProcessed("stripe", "evt_outside"), true);
    } finally {
      await database.dispose();
    }
  });
});
