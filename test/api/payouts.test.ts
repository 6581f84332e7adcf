import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { Wallet } from "ethers";
import { SandboxFundingGate } from "../../services/market/funding/sandbox-funding-gate.ts";
import { createMarketRepositories } from "../../services/market/market-repositories.ts";
import { fundTask } from "../../services/market/tasks/fund-task.ts";
import {
  buildPayoutTree,
  PAYOUT_LEAF_ENCODING,
} from "../../services/settlement/merkle/payout-tree.ts";
import { runSettlement } from "../../services/settlement/pipeline/run-settlement.ts";
import { sandboxLabel } from "../../services/settlement/rails/payment-rail.ts";
import { PayoutTreesRepository } from "../../services/store/repositories/payout-trees-repository.ts";
import { seedTrainedTask } from "../settlement/settlement-fixture.ts";
import { newHolder, newTask } from "../store/fixtures.ts";
import { expectProblem, login, startTestApi, type TestApi } from "../support/api-client.ts";

describe("GET /tasks/:taskId/payouts and the holders' proofs", () => {
  let api: TestApi;
  let token: string;
  before(async () => {
    api = await startTestApi();
    token = await login(api, Wallet.createRandom());
  });
  after(() => api?.close());

  const get = (path: string, auth = true) =>
    fetch(api.url(path), auth ? { headers: { authorization: `Bearer ${token}` } } : {});
  const repos = () => createMarketRepositories(api.running.deps.database.db);

  it("shows a settled sandbox table with standings, labelled sandbox, to signed-in callers", async () => {
    const db = api.running.deps.database.db;
    const draft = await repos().tasks.create(newTask({ rail: "sandbox", budget: 3_000n }));
    await fundTask(repos(), new SandboxFundingGate(repos().ledger), draft.id, draft.ownerAddress);
    const [paid, attacker] = await seedTrainedTask(db, await repos().tasks.get(draft.id), [
      { holder: { payoutRail: "sandbox" }, price: 500n, scores: [0.2] },
      { holder: { payoutRail: "sandbox" }, price: 500n, scores: [0.9], flag: "attacker" },
    ]);
    assert.equal((await runSettlement({ db }, draft.id)).status, "settled");

    await expectProblem(await get(`/tasks/${draft.id}/payouts`, false), 401);
    const response = await get(`/tasks/${draft.id}/payouts`);
    assert.equal(response.status, 200);
    const table = (await response.json()) as {
      label?: string;
      taskStatus: string;
      settlement: { step: string };
      payouts: Array<{
        holderId: string;
        amount: string;
        standing: string;
        status: string;
        rail: string;
      }>;
    };
    assert.equal(table.label, sandboxLabel);
    assert.deepEqual([table.taskStatus, table.settlement.step], ["settled", "settled"]);
    assert.deepEqual(
      table.payouts.map((p) => [p.holderId, p.amount, p.standing, p.status, p.rail]),
      [
        [paid, "2500", "contributor", "sent", "sandbox"],
        [attacker, "0", "attacker", "planned", "sandbox"],
      ],
    );
    const proof = await expectProblem(await get(`/tasks/${draft.id}/payouts/${paid}/proof`), 409);
    assert.match(proof.detail ?? "", /sandbox rail/);
    await expectProblem(await get(`/tasks/${draft.id}/payouts/holder-nobody/proof`), 404);
    await expectProblem(await get("/tasks/task-missing/payouts"), 404);
  });

  it("serves a chain holder a proof that verifies against the committed root", async () => {
    const task = await repos().tasks.create(newTask({ rail: "chain", budget: 900n }));
    const holders = [];
    for (let i = 0; i < 3; i++) holders.push(await repos().holders.register(newHolder()));
    const rows = holders.map((holder, leafIndex) => ({
      taskId: task.id,
      holderId: holder.id,
      leafIndex,
      rail: "chain" as const,
      account: holder.payoutAccount,
      base: 100n,
      bonus: BigInt(100 * leafIndex),
      amount: 100n + BigInt(100 * leafIndex),
    }));
    await repos().payouts.savePlan(task.id, rows);
    const notYet = await expectProblem(
      await get(`/tasks/${task.id}/payouts/${holders[1]?.id}/proof`),
      409,
    );
    assert.match(notYet.title, /not committed/);

    const tree = buildPayoutTree(rows.map(({ account, amount }) => ({ account, amount })));
    const escrow = Wallet.createRandom().address;
    await new PayoutTreesRepository(api.running.deps.database.db).save({
      taskId: task.id,
      root: tree.root,
      total: tree.total,
      dump: tree.dump() as unknown as Record<string, unknown>,
      escrow,
      chainId: 31_337n,
      chainTaskId: 7n,
    });
    const response = await get(`/tasks/${task.id}/payouts/${holders[1]?.id}/proof`);
    assert.equal(response.status, 200);
    const claim = (await response.json()) as {
      leaf: { index: string; account: string; amount: string };
      proof: string[];
      root: string;
      escrow: string;
      chainId: string;
      chainTaskId: string;
    };
    assert.deepEqual(
      [claim.leaf.index, claim.leaf.amount, claim.escrow, claim.chainId, claim.chainTaskId],
      ["1", "200", escrow.toLowerCase(), "31337", "7"],
    );
    assert.equal(claim.leaf.account.toLowerCase(), holders[1]?.payoutAccount.toLowerCase());
    const leaf = [claim.leaf.index, claim.leaf.account, claim.leaf.amount];
    assert.ok(StandardMerkleTree.verify(claim.root, [...PAYOUT_LEAF_ENCODING], leaf, claim.proof));
    const forged = [claim.leaf.index, claim.leaf.account, "2000"];
    assert.equal(
      StandardMerkleTree.verify(claim.root, [...PAYOUT_LEAF_ENCODING], forged, claim.proof),
      false,
    );
    const table = (await (await get(`/tasks/${task.id}/payouts`)).json()) as {
      root: string;
      label?: string;
    };
    assert.deepEqual([table.root, table.label], [tree.root, undefined]);
  });

  it("is in the OpenAPI document", async () => {
    const document = (await (await fetch(api.url("/openapi.json"))).json()) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    assert.equal(document.paths["/tasks/{taskId}/payouts"]?.get?.operationId, "taskPayouts");
    assert.equal(
      document.paths["/tasks/{taskId}/payouts/{holderId}/proof"]?.get?.operationId,
      "payoutProof",
    );
  });
});
