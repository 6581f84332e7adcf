import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type TypedDataDomain, Wallet } from "ethers";
import {
  call,
  holderBody,
  json,
  signedAgreement,
  signedBid,
  taskSpec,
} from "../market/market-client.ts";
import { expectProblem, login, startTestApi, type TestApi } from "../support/api-client.ts";

const owner = Wallet.createRandom();
const auditor = Wallet.createRandom();
const cheap = Wallet.createRandom();
const pricey = Wallet.createRandom();
const private_ = Wallet.createRandom();

interface Selection {
  winners: { holderId: string; price: string; payment: string }[];
  negotiationFailed: { bidId: string; reason: string }[];
  totalPayment: string;
  labelTv: number;
  participationGini: number;
  rounds: string[][];
}

describe("market end to end through the API (owner, holders, auditor)", () => {
  let api: TestApi;
  let domain: TypedDataDomain;
  const tokens: Record<string, string> = {};
  const holderIds: Record<string, string> = {};
  let taskId: string;

  before(async () => {
    api = await startTestApi({ AGORA_AUDITORS: auditor.address });
    tokens.owner = await login(api, owner, ["owner"]);
    tokens.auditor = await login(api, auditor, ["auditor"]);
    for (const [name, wallet] of Object.entries({ cheap, pricey, private_ })) {
      tokens[name] = await login(api, wallet, ["holder"]);
    }
    domain = (await json<{ domain: TypedDataDomain }>(await fetch(api.url("/market/domain")), 200))
      .domain;
  });
  after(() => api?.close());

  const bodies = {
    cheap: holderBody(cheap, { "0": 800, "1": 200 }, 1_000n),
    pricey: holderBody(pricey, { "0": 200, "1": 800 }, 4_800n),
    private_: holderBody(private_, { "0": 500, "1": 500 }, 100n, 0.5),
  };

  it("registers holders and posts a draft task that takes no bids until funded", async () => {
    for (const name of ["cheap", "pricey", "private_"] as const) {
      const holder = await json<{ id: string }>(
        await call(api, tokens[name] ?? "", "POST", "/holders", bodies[name]),
        201,
      );
      holderIds[name] = holder.id;
    }
    const deadline = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const task = await json<{ id: string; status: string }>(
      await call(api, tokens.owner ?? "", "POST", "/tasks", {
        spec: taskSpec(),
        budget: "10000",
        currency: "USDC",
        rail: "sandbox",
        deadline,
      }),
      201,
    );
    assert.equal(task.status, "draft");
    taskId = task.id;
    const early = await signedBid(cheap, domain, taskId, bodies.cheap, 1_000n);
    const problem = await expectProblem(
      await call(api, tokens.cheap ?? "", "POST", `/tasks/${taskId}/bids`, early),
      409,
    );
    assert.match(problem.detail ?? "", /taken only while it is bidding/);
  });

  it("funds through the sandbox gate, opens bidding, and refuses a replayed bid", async () => {
    const funded = await json<{ status: string }>(
      await call(api, tokens.owner ?? "", "POST", `/tasks/${taskId}/fund`),
      200,
    );
    assert.equal(funded.status, "bidding");
    const cheapBid = await signedBid(cheap, domain, taskId, bodies.cheap, 1_000n);
    await json(await call(api, tokens.cheap ?? "", "POST", `/tasks/${taskId}/bids`, cheapBid), 201);
    await expectProblem(
      await call(api, tokens.cheap ?? "", "POST", `/tasks/${taskId}/bids`, cheapBid),
      409,
    );
    // A bid whose attributes differ from what was signed is refused.
    const tampered = {
      ...cheapBid,
      attributes: { ...cheapBid.attributes, labelCoverage: { "1": 1 } },
    };
    await expectProblem(
      await call(api, tokens.cheap ?? "", "POST", `/tasks/${taskId}/bids`, tampered),
      422,
    );
    // Someone else's signature on the caller's bid is refused.
    const forged = await signedBid(pricey, domain, taskId, bodies.pricey, 6_000n);
    await expectProblem(
      await call(api, tokens.cheap ?? "", "POST", `/tasks/${taskId}/bids`, forged),
      403,
    );
    await json(
      await call(
        api,
        tokens.pricey ?? "",
        "POST",
        `/tasks/${taskId}/bids`,
        await signedBid(pricey, domain, taskId, bodies.pricey, 6_000n),
      ),
      201,
    );
    await json(
      await call(
        api,
        tokens.private_ ?? "",
        "POST",
        `/tasks/${taskId}/bids`,
        await signedBid(private_, domain, taskId, bodies.private_, 100n),
      ),
      201,
    );
    const { bids } = await json<{ bids: unknown[] }>(
      await call(api, tokens.owner ?? "", "GET", `/tasks/${taskId}/bids`),
      200,
    );
    assert.equal(bids.length, 3);
  });

  it("negotiates: accepts a bid within reserve, counters one above it, and the guardian guards its privacy budget", async () => {
    const selection = await json<Selection>(
      await call(api, tokens.owner ?? "", "POST", `/tasks/${taskId}/negotiate`),
      200,
    );
    if (process.env.DEBUG_MARKET) console.log(JSON.stringify(selection, null, 1), holderIds);
    const winners = new Map(selection.winners.map((winner) => [winner.holderId, winner]));
    assert.deepEqual([...winners.keys()].sort(), [holderIds.cheap, holderIds.pricey].sort());
    // The pricey holder bid 6000 against a reserve of 5000 and settled at 5000 after counters.
    assert.equal(winners.get(holderIds.pricey ?? "")?.price, "5000");
    for (const winner of selection.winners)
      assert.ok(BigInt(winner.payment) >= BigInt(winner.price));
    assert.ok(BigInt(selection.totalPayment) <= 10_000n);
    assert.equal(selection.negotiationFailed.length, 1);
    assert.match(selection.negotiationFailed[0]?.reason ?? "", /privacy budget/);
    assert.ok(selection.labelTv <= 0.1, `label TV ${selection.labelTv}`);
    assert.equal(selection.rounds.length, 2);

    const { offers } = await json<{
      offers: { moves: { party: string; action: string; price: string | null }[] }[];
    }>(await call(api, tokens.pricey ?? "", "GET", "/holders/me/offers"), 200);
    const moves = offers[0]?.moves ?? [];
    assert.deepEqual(
      moves.map((move) => `${move.party}:${move.action}:${move.price}`),
      [
        "orchestrator:offer:4500",
        "guardian:counter:5600",
        "orchestrator:offer:4750",
        "guardian:counter:5200",
        "orchestrator:offer:5000",
        "guardian:accept:5000",
      ],
    );
    // Negotiation closed bidding: a second run is an illegal transition.
    const again = await expectProblem(
      await call(api, tokens.owner ?? "", "POST", `/tasks/${taskId}/negotiate`),
      409,
    );
    assert.match(again.title, /Illegal task transition/);
  });

  it("completes agreements signed by both sides, charges privacy, and moves the task to agreed", async () => {
    const { agreements } = await json<{ agreements: { holderId: string; termsHash: string }[] }>(
      await call(api, tokens.owner ?? "", "GET", `/tasks/${taskId}/agreements`),
      200,
    );
    assert.equal(agreements.length, 2);
    const walletOf: Record<string, [Wallet | typeof cheap, string]> = {
      [holderIds.cheap ?? ""]: [cheap, tokens.cheap ?? ""],
      [holderIds.pricey ?? ""]: [pricey, tokens.pricey ?? ""],
    };
    for (const agreement of agreements) {
      const [wallet, token] = walletOf[agreement.holderId] ?? [cheap, ""];
      const path = `/tasks/${taskId}/agreements/${agreement.holderId}/signatures`;
      const wrongTerms = await signedAgreement(owner, domain, taskId, `0x${"ab".repeat(32)}`);
      await expectProblem(await call(api, tokens.owner ?? "", "POST", path, wrongTerms), 422);
      await json(
        await call(
          api,
          tokens.owner ?? "",
          "POST",
          path,
          await signedAgreement(owner, domain, taskId, agreement.termsHash),
        ),
        200,
      );
      const signed = await json<{ complete: boolean }>(
        await call(
          api,
          token,
          "POST",
          path,
          await signedAgreement(wallet, domain, taskId, agreement.termsHash),
        ),
        200,
      );
      assert.equal(signed.complete, true);
    }
    const task = await json<{ status: string }>(
      await call(api, tokens.owner ?? "", "GET", `/tasks/${taskId}`),
      200,
    );
    assert.equal(task.status, "agreed");
    const me = await json<{ privacySpent: number }>(
      await call(api, tokens.cheap ?? "", "GET", "/holders/me"),
      200,
    );
    assert.equal(me.privacySpent, 1);
  });

  it("lets auditors, and only auditors, read every decision with its rationale", async () => {
    await expectProblem(
      await call(api, tokens.owner ?? "", "GET", `/decisions?taskId=${taskId}`),
      403,
    );
    const { decisions } = await json<{
      decisions: { agent: string; kind: string; rationale: string; verdict: string }[];
    }>(await call(api, tokens.auditor ?? "", "GET", `/decisions?taskId=${taskId}`), 200);
    const kinds = new Set(decisions.map((decision) => `${decision.agent}:${decision.kind}`));
    for (const kind of ["orchestrator:negotiate", "guardian:respond", "orchestrator:select"])
      assert.ok(kinds.has(kind), kind);
    for (const decision of decisions) assert.ok(decision.rationale.length > 0);
    const privacyRejection = decisions.find(
      (decision) => decision.agent === "guardian" && /privacy budget/.test(decision.rationale),
    );
    assert.ok(privacyRejection, "the guardian's privacy refusal is on record");
    const { moves } = await json<{ moves: unknown[] }>(
      await call(api, tokens.auditor ?? "", "GET", `/tasks/${taskId}/negotiation`),
      200,
    );
    assert.ok(moves.length >= 8);
  });
});
