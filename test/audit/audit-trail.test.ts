import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type TypedDataDomain, Wallet } from "ethers";
import { type AuditEntry, AuditLog } from "../../services/audit/audit-log.ts";
import { createMarketRepositories } from "../../services/market/market-repositories.ts";
import {
  call,
  holderBody,
  json,
  signedAgreement,
  signedBid,
  taskSpec,
} from "../market/market-client.ts";
import { login, startTestApi, type TestApi } from "../support/api-client.ts";
import { databaseBackends } from "../support/databases.ts";

const backends = await databaseBackends();

for (const backend of backends) {
  describe(`idempotent appends on ${backend.name}`, { skip: backend.skip }, () => {
    it("appends a keyed fact once, however often and however concurrently it is retried", async () => {
      const database = await backend.open();
      try {
        const log = new AuditLog(database.db);
        await log.append({ kind: "before", actor: "system", payload: {} });
        const fact = { kind: "round.closed", taskId: "task-d", actor: "coordinator", payload: {} };
        const attempts = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            log.append({ ...fact, payload: { attempt: i } }, { dedupeKey: "round-closed:d:0" }),
          ),
        );
        assert.equal(new Set(attempts.map((entry) => entry.hash)).size, 1, "one entry returned");
        const again = await log.append(fact, { dedupeKey: "round-closed:d:0" });
        assert.equal(again.seq, attempts[0]?.seq);
        await log.append({ ...fact, payload: { unkeyed: true } });
        const entries = await log.entries();
        assert.deepEqual(
          entries.map((entry) => entry.kind),
          ["before", "round.closed", "round.closed"],
        );
        assert.deepEqual((await log.verify()).problems, []);

        // An append that rolls back with its caller's transaction leaves neither entry nor key.
        await assert.rejects(
          database.db.transaction().execute(async (trx) => {
            await new AuditLog(trx).append(fact, { dedupeKey: "rolled-back" });
            throw new Error("caller failed");
          }),
          /caller failed/,
        );
        assert.equal((await log.entries()).length, 3);
        const kept = await log.append(fact, { dedupeKey: "rolled-back" });
        assert.equal((await log.entries()).at(-1)?.seq, kept.seq);
        assert.equal((await log.verify()).ok, true);
      } finally {
        await database.dispose();
      }
    });
  });
}

const owner = Wallet.createRandom();
const cheap = Wallet.createRandom();
const pricey = Wallet.createRandom();

/** Kinds in log order, with runs of one kind (bid batches, agent decisions) collapsed. */
const kindsInOrder = (entries: readonly AuditEntry[]): string[] =>
  entries.map((entry) => entry.kind).filter((kind, i, all) => kind !== all[i - 1]);

describe("a task's market life leaves a verifiable audit trail (HTTP API)", () => {
  let api: TestApi;
  let domain: TypedDataDomain;
  const tokens: Record<string, string> = {};
  let taskId: string;

  before(async () => {
    api = await startTestApi();
    tokens.owner = await login(api, owner, ["owner"]);
    tokens.cheap = await login(api, cheap, ["holder"]);
    tokens.pricey = await login(api, pricey, ["holder"]);
    domain = (await json<{ domain: TypedDataDomain }>(await fetch(api.url("/market/domain")), 200))
      .domain;
  });
  after(() => api?.close());

  it("logs posting, funding, bids, every agent decision, signatures and each status change", async () => {
    const bodies = {
      cheap: holderBody(cheap, { "0": 800, "1": 200 }, 1_000n),
      pricey: holderBody(pricey, { "0": 200, "1": 800 }, 4_800n),
    };
    for (const name of ["cheap", "pricey"] as const) {
      await json(await call(api, tokens[name] ?? "", "POST", "/holders", bodies[name]), 201);
    }
    const deadline = new Date(Date.now() + 7 * 86_400_000).toISOString();
    taskId = (
      await json<{ id: string }>(
        await call(api, tokens.owner ?? "", "POST", "/tasks", {
          spec: taskSpec(),
          budget: "10000",
          currency: "USDC",
          rail: "sandbox",
          deadline,
        }),
        201,
      )
    ).id;
    await json(await call(api, tokens.owner ?? "", "POST", `/tasks/${taskId}/fund`), 200);
    // Fund again: the call is idempotent, and so is the log.
    await json(await call(api, tokens.owner ?? "", "POST", `/tasks/${taskId}/fund`), 200);
    const bids = await Promise.all([
      signedBid(cheap, domain, taskId, bodies.cheap, 1_000n).then((bid) =>
        call(api, tokens.cheap ?? "", "POST", `/tasks/${taskId}/bids`, bid),
      ),
      signedBid(pricey, domain, taskId, bodies.pricey, 6_000n).then((bid) =>
        call(api, tokens.pricey ?? "", "POST", `/tasks/${taskId}/bids`, bid),
      ),
    ]);
    for (const response of bids) await json(response, 201);
    await json(await call(api, tokens.owner ?? "", "POST", `/tasks/${taskId}/negotiate`), 200);
    const { agreements } = await json<{ agreements: { holderId: string; termsHash: string }[] }>(
      await call(api, tokens.owner ?? "", "GET", `/tasks/${taskId}/agreements`),
      200,
    );
    assert.equal(agreements.length, 2);
    const repos = createMarketRepositories(api.running.deps.database.db);
    for (const agreement of agreements) {
      const holder = await repos.holders.get(agreement.holderId);
      const [wallet, token] =
        holder.address === cheap.address.toLowerCase()
          ? [cheap, tokens.cheap]
          : [pricey, tokens.pricey];
      const path = `/tasks/${taskId}/agreements/${agreement.holderId}/signatures`;
      for (const [signer, bearer] of [
        [owner, tokens.owner],
        [wallet, token],
      ] as const) {
        await json(
          await call(
            api,
            bearer ?? "",
            "POST",
            path,
            await signedAgreement(signer, domain, taskId, agreement.termsHash),
          ),
          200,
        );
      }
    }
    assert.equal((await repos.tasks.get(taskId)).status, "agreed");

    const log = new AuditLog(api.running.deps.database.db);
    const entries = await log.entries({ taskId });
    assert.deepEqual(kindsInOrder(entries), [
      "task.posted",
      "task.funded",
      "task.bidding",
      "bids.received",
      "task.negotiating",
      "agent.decision",
      "agreement.signed",
      "task.agreed",
    ]);
    const verification = await log.verify();
    assert.deepEqual(verification.problems, []);
    assert.equal(verification.head, (await log.entries()).at(-1)?.hash);

    const only = (kind: string) => entries.filter((entry) => entry.kind === kind);
    const [posted] = only("task.posted");
    assert.equal(posted?.actor, owner.address.toLowerCase());
    assert.equal(posted?.payload.budget, "10000");
    assert.deepEqual(posted?.payload.spec, (await repos.tasks.get(taskId)).spec);
    const [funded, ...fundedAgain] = only("task.funded");
    assert.equal(fundedAgain.length, 0, "a repeated funding call logs nothing new");
    assert.deepEqual(funded?.payload, {
      funding: { gate: "sandbox", reference: `sandbox-fund-${taskId}`, amount: "10000" },
      from: "draft",
      to: "funded",
      version: 1,
    });

    // Every stored bid is listed with its holder and the digest its signature covers.
    const stored = await repos.bids.listForTask(taskId);
    const logged = only("bids.received").flatMap(
      (entry) => entry.payload.bids as { id: string; holderId: string; digest: string }[],
    );
    assert.deepEqual(
      logged.map((bid) => [bid.id, bid.holderId, bid.digest]).sort(),
      stored.map((bid) => [bid.id, bid.holderId, bid.digest]).sort(),
    );
    const [firstBid] = stored;
    const firstLogged = logged.find((bid) => bid.id === firstBid?.id) as Record<string, unknown>;
    assert.equal(
      firstLogged.signatureHash,
      createHash("sha256")
        .update(firstBid?.signature ?? "")
        .digest("hex"),
    );

    // Every recorded agent decision is in the log, with its verdict and reasons.
    const decisions = await repos.agentDecisions.list({ taskId });
    const loggedDecisions = only("agent.decision");
    assert.equal(loggedDecisions.length, decisions.length);
    assert.ok(decisions.length >= 4, `${decisions.length} decisions`);
    for (const [i, decision] of decisions.entries()) {
      const entry = loggedDecisions[i];
      assert.equal(entry?.actor, decision.agent);
      assert.equal(entry?.payload.decisionId, decision.id.toString());
      assert.equal(entry?.payload.verdict, decision.verdict);
      assert.equal(entry?.payload.rationale, decision.rationale);
      assert.ok(decision.rationale.length > 0);
    }
    assert.ok(loggedDecisions.some((entry) => entry.payload.decision === "select"));

    const signatures = only("agreement.signed");
    assert.deepEqual(
      signatures.map((entry) => [entry.payload.party, entry.payload.complete]),
      [
        ["owner", false],
        ["holder", true],
        ["owner", false],
        ["holder", true],
      ],
    );
    for (const entry of signatures.filter((e) => e.payload.complete)) {
      const terms = entry.payload.terms as { price: string; holderId: string };
      assert.equal(entry.payload.price, terms.price);
      assert.equal(terms.holderId, entry.payload.holderId);
    }
    const [agreed] = only("task.agreed");
    assert.equal(agreed?.payload.from, "negotiating");
  });
});
