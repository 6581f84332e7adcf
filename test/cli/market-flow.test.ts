import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Wallet } from "ethers";
import { holderBody, taskSpec } from "../market/market-client.ts";
import { startTestApi, type TestApi } from "../support/api-client.ts";
import { type AgoraRun, expectExit, jsonOf, runAgora, scratchFiles } from "./run-agora.ts";

const owner = Wallet.createRandom();
const holder = Wallet.createRandom();
const auditor = Wallet.createRandom();

describe("agora CLI: a task from post to signed agreement, then audited", () => {
  let api: TestApi;
  let files: Awaited<ReturnType<typeof scratchFiles>>;
  let taskId: string;
  let holderId: string;
  let bidId: string;

  const as =
    (wallet: typeof owner) =>
    (...args: string[]): Promise<AgoraRun> =>
      runAgora(args, {
        AGORA_API_URL: api.running.url.origin,
        AGORA_PRIVATE_KEY: wallet.privateKey,
      });
  const asOwner = as(owner);
  const asHolder = as(holder);
  const asAuditor = as(auditor);

  before(async () => {
    api = await startTestApi({ AGORA_AUDITORS: auditor.address });
    files = await scratchFiles();
  });
  after(async () => {
    await files?.remove();
    await api?.close();
  });

  it("posts a task from a spec file and funds it", async () => {
    const spec = await files.write("task.json", {
      spec: taskSpec({ holdersPerRound: 1, minHolders: 1 }),
      budget: "10000",
      currency: "USDC",
      rail: "sandbox",
      deadline: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    });
    const posted = jsonOf<{ id: string; status: string; budget: string }>(
      await asOwner("owner", "post", "--spec", spec, "--json"),
    );
    assert.equal(posted.status, "draft");
    assert.equal(posted.budget, "10000");
    taskId = posted.id;

    const funded = expectExit(await asOwner("owner", "fund", taskId), 0);
    assert.match(funded.stdout, /status:\s+bidding/);
  });

  it("registers the holder, sets its policy, and bids with an EIP-712 signature", async () => {
    const profile = await files.write(
      "holder.json",
      holderBody(holder, { "0": 500, "1": 500 }, 1_000n),
    );
    holderId = jsonOf<{ id: string }>(
      await asHolder("holder", "register", "--profile", profile, "--json"),
    ).id;
    const policy = jsonOf<{ priceFloor: string; privacyEpsilon: number }>(
      await asHolder("--json", "holder", "policy", "--price-floor", "900", "--epsilon", "6"),
    );
    assert.deepEqual([policy.priceFloor, policy.privacyEpsilon], ["900", 6]);

    const bid = jsonOf<{ id: string; price: string; status: string; terms: { samples: number } }>(
      await asHolder("holder", "bid", taskId, "--price", "1200", "--json"),
    );
    assert.equal(bid.price, "1200");
    assert.equal(bid.terms.samples, 1_000);
    bidId = bid.id;
  });

  it("shows the bid to the owner, as a table and in the status", async () => {
    const table = expectExit(await asOwner("owner", "bids", taskId), 0).stdout;
    assert.match(table, /^BID\s+HOLDER\s+PRICE/m);
    assert.match(table, new RegExp(`${bidId}\\s+${holderId}\\s+1200\\s`));

    const status = jsonOf<{ task: { status: string }; bids: number; selection: unknown }>(
      await asOwner("owner", "status", taskId, "--json"),
    );
    assert.deepEqual([status.task.status, status.bids, status.selection], ["bidding", 1, null]);
  });

  it("negotiates, then both sides sign the agreement", async () => {
    const selection = jsonOf<{ winners: { holderId: string }[] }>(
      await asOwner("owner", "negotiate", taskId, "--json"),
    );
    assert.deepEqual(
      selection.winners.map((winner) => winner.holderId),
      [holderId],
    );
    const offers = jsonOf<{ offers: { bidId: string; moves: unknown[] }[] }>(
      await asHolder("holder", "offers", "--json"),
    );
    assert.equal(offers.offers[0]?.bidId, bidId);
    assert.ok((offers.offers[0]?.moves.length ?? 0) > 0);

    const ownerSigned = expectExit(await asOwner("owner", "sign", taskId, holderId), 0);
    assert.match(ownerSigned.stdout, /signed as:\s+owner/);
    assert.match(ownerSigned.stdout, /complete:\s+no/);
    const holderSigned = jsonOf<{ party: string; complete: boolean }>(
      await asHolder("holder", "sign", taskId, "--json"),
    );
    assert.deepEqual([holderSigned.party, holderSigned.complete], ["holder", true]);

    const agreements = expectExit(await asHolder("holder", "agreements"), 0).stdout;
    assert.match(agreements, new RegExp(`${taskId}\\s+\\d+\\s+0x\\S+\\s+yes\\s+yes`));
    const status = jsonOf<{ task: { status: string } }>(
      await asOwner("owner", "status", taskId, "--json"),
    );
    assert.equal(status.task.status, "agreed");
  });

  it("lets the auditor read every decision with its rationale", async () => {
    const { decisions } = jsonOf<{
      decisions: { taskId: string; agent: string; kind: string; rationale: string }[];
    }>(await asAuditor("audit", "decisions", "--task", taskId, "--json"));
    const kinds = decisions.map((decision) => `${decision.agent}:${decision.kind}`);
    assert.ok(kinds.includes("orchestrator:select"), kinds.join(", "));
    for (const decision of decisions) {
      assert.equal(decision.taskId, taskId);
      assert.ok(decision.rationale.length > 0);
    }
    const table = expectExit(await asAuditor("audit", "decisions", "--task", taskId), 0).stdout;
    assert.match(table, /orchestrator:select\s+.*budget-feasible/);
  });

  it("refuses the auditor's commands to a key that is not appointed (exit 2, problem title)", async () => {
    const refused = expectExit(await asHolder("audit", "decisions"), 2);
    assert.match(refused.stderr, /Role not granted/);
    assert.match(refused.stderr, /may not act as auditor/);
    assert.equal(refused.stdout, "");
  });
});
