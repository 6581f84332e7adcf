import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Wallet } from "ethers";
import { escrowTermsFor } from "../../services/market/funding/chain-funding-gate.ts";
import { serveChain } from "../../services/settlement/chain/chain-rpc-server.ts";
import { escrowAccount } from "../../services/settlement/ledger/accounts.ts";
import { type EscrowWorld, startEscrowWorld } from "../contracts/escrow-fixture.ts";
import { call, json, taskSpec } from "../market/market-client.ts";
import { expectProblem, login, startTestApi, type TestApi } from "../support/api-client.ts";

/** Hardhat's development accounts 0 (the world's owner) and 1 (its coordinator): public keys. */
const ownerKey = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const coordinatorKey = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

/**
 * The API's funding gates as a deployment wires them: the sandbox always,
 * the escrow-deposit gate over the process's one chain connection (the same
 * CHAIN_RPC_URL / CHAIN_PRIVATE_KEY / AGORA_ESCROW_ADDRESS the coordinator
 * settles with), and no Stripe here.
 */
describe("funding a task through the API's rail gates", () => {
  let world: EscrowWorld;
  let rpc: Awaited<ReturnType<typeof serveChain>>;
  let api: TestApi;
  let token: string;
  const owner = new Wallet(ownerKey);

  before(async () => {
    world = await startEscrowWorld();
    rpc = await serveChain(world.chain);
    assert.equal(owner.address, world.addresses.owner);
    assert.equal(new Wallet(coordinatorKey).address, world.addresses.coordinator);
    api = await startTestApi({
      CHAIN_RPC_URL: rpc.url,
      CHAIN_PRIVATE_KEY: coordinatorKey,
      AGORA_ESCROW_ADDRESS: world.owner.address,
      // Two blocks: a mined deposit is not enough until one more block buries it.
      AGORA_FUNDING_CONFIRMATIONS: "2",
      AGORA_COORDINATOR: "off",
    });
    token = await login(api, owner, ["owner"]);
  });
  after(async () => {
    await api?.close();
    await rpc?.close();
    await world?.close();
  });

  const postTask = async (rail: string, budget: bigint) =>
    json<{ id: string; status: string; deadline: string; budget: string }>(
      await call(api, token, "POST", "/tasks", {
        spec: taskSpec(),
        budget: budget.toString(),
        currency: "USDC",
        rail,
        deadline: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      }),
      201,
    );
  const fund = (taskId: string) => call(api, token, "POST", `/tasks/${taskId}/fund`);

  it("opens bidding on a chain task only once its escrow deposit is confirmed on chain", async () => {
    const budget = 300_000_000n;
    const task = await postTask("chain", budget);
    const ledger = api.running.deps.market.repos.ledger;

    const early = await expectProblem(await fund(task.id), 409);
    assert.equal(early.title, "No escrow deposit yet");
    assert.match(early.detail ?? "", new RegExp(`escrow ${world.owner.address}`));

    // The owner deposits from its own wallet, under the terms the task implies.
    const { outcome, taskId: escrowTaskId } = await world.owner.createTask(
      escrowTermsFor(
        { id: task.id, budget, deadline: new Date(task.deadline) },
        {
          coordinator: world.addresses.coordinator,
          auditors: world.addresses.auditors,
          threshold: 2,
          trainingStartsAt: await world.chain.latestTimestamp(),
          commitGraceS: 7 * 86_400,
          challengeWindowS: 86_400,
        },
      ),
    );
    assert.equal(outcome.kind, "mined");
    const shallow = await expectProblem(await fund(task.id), 503);
    assert.equal(shallow.title, "Deposit not confirmed yet");
    assert.match(shallow.detail ?? "", /1 of 2 confirmations/);
    assert.equal(
      (await json<{ status: string }>(await call(api, token, "GET", `/tasks/${task.id}`), 200))
        .status,
      "draft",
    );
    assert.equal(await ledger.balance(escrowAccount(task.id), "USDC"), 0n, "nothing booked yet");

    await world.chain.mine(1);
    // The API's provider shares identical reads for 250 ms, so the new block may take a moment.
    let answer = await fund(task.id);
    for (const until = Date.now() + 3_000; answer.status === 503 && Date.now() < until; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await fund(task.id);
    }
    const funded = await json<{ status: string }>(answer, 200);
    assert.equal(funded.status, "bidding");
    const again = await json<{ status: string }>(await fund(task.id), 200);
    assert.equal(again.status, "bidding", "funding again changes nothing");
    assert.equal(await ledger.balance(escrowAccount(task.id), "USDC"), -budget, "booked once");
    const confirmation = await api.running.deps.market.repos.taskFundings.find(task.id);
    assert.equal(confirmation?.gate, "chain");
    assert.equal(confirmation?.amount, budget);
    const stored = await api.running.deps.market.repos.tasks.get(task.id);
    assert.equal(
      BigInt(stored.chainTaskId ?? "0x0"),
      escrowTaskId,
      "the escrow task id is recorded",
    );
  });

  it("refuses a deposit that names another coordinator", async () => {
    const budget = 200_000_000n;
    const task = await postTask("chain", budget);
    await world.owner.createTask({
      ...escrowTermsFor(
        { id: task.id, budget, deadline: new Date(task.deadline) },
        {
          coordinator: world.addresses.stranger,
          auditors: world.addresses.auditors,
          threshold: 2,
          trainingStartsAt: await world.chain.latestTimestamp(),
          commitGraceS: 7 * 86_400,
          challengeWindowS: 86_400,
        },
      ),
    });
    await world.chain.mine(2);
    const problem = await expectProblem(await fund(task.id), 409);
    assert.equal(problem.title, "Escrow deposit does not fund this task");
    assert.match(problem.detail ?? "", /its coordinator is/);
  });

  it("says which settings a rail the deployment lacks needs, and leaves the task in draft", async () => {
    const task = await postTask("stripe", 5_000n);
    const problem = await expectProblem(await fund(task.id), 503);
    assert.equal(problem.title, "Funding rail not available");
    assert.match(problem.detail ?? "", /stripe rail.*STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET/);
    const sandbox = await postTask("sandbox", 5_000n);
    assert.equal((await json<{ status: string }>(await fund(sandbox.id), 200)).status, "bidding");
  });
});
