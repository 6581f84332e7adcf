import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HDNodeWallet, Wallet } from "ethers";
import { AgoraApiClient } from "../../services/cli/api-client.ts";
import type { TaskView } from "../../services/cli/api-views.ts";
import { serveChain } from "../../services/settlement/chain/chain-rpc-server.ts";
import { balanceOf, type EscrowWorld, startEscrowWorld } from "../contracts/escrow-fixture.ts";
import { taskSpec } from "../market/market-client.ts";
import { expectProblem, startTestApi, type TestApi } from "../support/api-client.ts";
import { deadUrl, expectExit, jsonOf, runAgora } from "./run-agora.ts";

/** Hardhat's development mnemonic: account 1 is the escrow world's coordinator, 12 is unused. */
const hardhatMnemonic = "test test test test test test test test test test test junk";
const accountKey = (index: number) =>
  HDNodeWallet.fromPhrase(hardhatMnemonic, undefined, `m/44'/60'/0'/0/${index}`).privateKey;
const coordinatorKey = accountKey(1);
const ownerKey = accountKey(12);
const budget = 250_000_000n;

interface DepositJson {
  taskId: string;
  status: string;
  escrow: string;
  token: string;
  escrowTaskId: string;
  outcome: string;
  approveTransaction?: string;
  depositTransaction?: string;
}

/**
 * `agora owner deposit` against an API with a chain connection: the owner's
 * own wallet funds the escrow on an embedded chain (reached over JSON-RPC, as
 * CHAIN_RPC_URL), and the API, reading the same chain, opens bidding.
 */
describe("agora owner deposit", () => {
  let world: EscrowWorld;
  let rpc: { url: string; close(): Promise<void> };
  let api: TestApi;
  let owner: AgoraApiClient;
  const ownerWallet = new Wallet(ownerKey);
  const post = (rail: string) =>
    owner.post<TaskView>("/tasks", {
      spec: taskSpec(),
      budget: budget.toString(),
      currency: "USDC",
      rail,
      deadline: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    });
  const deposit = (taskId: string, env: Record<string, string> = {}, ...extra: string[]) =>
    runAgora(
      [
        "owner",
        "deposit",
        taskId,
        "--auditors",
        world.addresses.auditors.join(","),
        "--threshold",
        "2",
        ...extra,
      ],
      {
        AGORA_API_URL: api.running.url.origin,
        AGORA_PRIVATE_KEY: ownerKey,
        CHAIN_RPC_URL: rpc.url,
        ...env,
      },
    );
  const sentBy = (address: string) => world.chain.provider.getTransactionCount(address);

  before(async () => {
    world = await startEscrowWorld();
    rpc = await serveChain(world.chain);
    assert.equal(new Wallet(coordinatorKey).address, world.addresses.coordinator);
    api = await startTestApi({
      CHAIN_RPC_URL: rpc.url,
      CHAIN_PRIVATE_KEY: coordinatorKey,
      AGORA_ESCROW_ADDRESS: world.owner.address,
      AGORA_COORDINATOR: "off",
    });
    await world.token.getFunction("mint")(ownerWallet.address, budget * 2n);
    owner = new AgoraApiClient({ baseUrl: api.running.url.origin });
    await owner.signIn(ownerWallet, "owner");
  });

  after(async () => {
    await api?.close();
    await rpc?.close();
    await world?.close();
  });

  it("GET /settlement/chain names the chain, escrow, token and coordinator", async () => {
    const info = (await (await fetch(api.url("/settlement/chain"))).json()) as Record<
      string,
      unknown
    >;
    assert.deepEqual(info, {
      chainId: world.chain.chainId.toString(),
      escrow: world.owner.address,
      coordinator: world.addresses.coordinator,
      token: await world.owner.token(),
      confirmations: 1,
    });
    const document = (await (await fetch(api.url("/openapi.json"))).json()) as {
      paths: Record<string, { get?: unknown }>;
    };
    assert.ok(document.paths["/settlement/chain"]?.get, "documented in /openapi.json");
  });

  it("deposits the budget from the owner's wallet and opens bidding; a repeat sends nothing", async () => {
    const task = await post("chain");
    const escrowBefore = await balanceOf(world, world.owner.address);
    const ownerBefore = await balanceOf(world, ownerWallet.address);

    const first = jsonOf<DepositJson>(await deposit(task.id, {}, "--json"));
    assert.equal(first.outcome, "deposited");
    assert.equal(first.status, "bidding");
    assert.match(first.approveTransaction ?? "", /^0x[0-9a-f]{64}$/, "approved first");
    assert.match(first.depositTransaction ?? "", /^0x[0-9a-f]{64}$/);
    assert.equal(await balanceOf(world, world.owner.address), escrowBefore + budget);
    assert.equal(await balanceOf(world, ownerWallet.address), ownerBefore - budget);
    const onChain = await world.owner.getTask(BigInt(first.escrowTaskId));
    assert.equal(onChain.owner, ownerWallet.address);
    assert.equal(onChain.coordinator, world.addresses.coordinator);
    assert.equal(onChain.deposit, budget);
    assert.equal(onChain.threshold, 2);
    assert.equal(onChain.challengeWindow, 86_400);
    assert.equal((await owner.get<TaskView>(`/tasks/${task.id}`)).status, "bidding");

    const nonce = await sentBy(ownerWallet.address);
    const again = expectExit(await deposit(task.id), 0);
    assert.match(again.stdout, /deposit:\s+already deposited: nothing sent/);
    assert.match(again.stdout, /status:\s+bidding/);
    assert.match(again.stdout, new RegExp(`escrow task:\\s+${first.escrowTaskId}\\b`));
    assert.equal(await sentBy(ownerWallet.address), nonce, "no transaction the second time");
    assert.equal(await balanceOf(world, world.owner.address), escrowBefore + budget, "once");
  });

  it("refuses a task on another rail, and bad auditor settings, before sending anything", async () => {
    const sandbox = await post("sandbox");
    const nonce = await sentBy(ownerWallet.address);
    const refused = expectExit(await deposit(sandbox.id), 1);
    assert.match(refused.stderr, /on the sandbox rail: there is no chain deposit to make/);
    assert.match(refused.stderr, new RegExp(`agora owner fund ${sandbox.id}`));
    assert.equal((await owner.get<TaskView>(`/tasks/${sandbox.id}`)).status, "draft");

    const chainTask = await post("chain");
    const tooMany = expectExit(await deposit(chainTask.id, {}, "--threshold", "4"), 1);
    assert.match(tooMany.stderr, /--threshold 4 is more than the 3 auditor\(s\) given/);
    const badAuditor = expectExit(
      await runAgora(["owner", "deposit", chainTask.id, "--auditors", "0x12", "--threshold", "1"], {
        AGORA_API_URL: api.running.url.origin,
        AGORA_PRIVATE_KEY: ownerKey,
        CHAIN_RPC_URL: rpc.url,
      }),
      1,
    );
    assert.match(badAuditor.stderr, /expected comma-separated 0x addresses/);
    const noRpc = expectExit(await deposit(chainTask.id, { CHAIN_RPC_URL: "" }), 1);
    assert.match(noRpc.stderr, /set CHAIN_RPC_URL or pass --rpc/);
    assert.equal(await sentBy(ownerWallet.address), nonce, "nothing sent");
  });

  it("exits 3 when the chain does not answer, and leaves the task in draft", async () => {
    const task = await post("chain");
    const run = expectExit(await deposit(task.id, { CHAIN_RPC_URL: await deadUrl() }), 3);
    assert.match(run.stderr, /cannot reach the chain at 127\.0\.0\.1:\d+/);
    assert.equal((await owner.get<TaskView>(`/tasks/${task.id}`)).status, "draft");
  });

  it("GET /settlement/chain answers 503 on an API without a chain connection", async () => {
    const plain = await startTestApi({ AGORA_COORDINATOR: "off" });
    try {
      const problem = await expectProblem(await fetch(plain.url("/settlement/chain")), 503);
      assert.equal(problem.title, "Chain settlement not available");
      assert.match(
        problem.detail ?? "",
        /CHAIN_RPC_URL, CHAIN_PRIVATE_KEY and AGORA_ESCROW_ADDRESS/,
      );
      // The CLI reports that refusal as a problem (exit 2), after checking the task.
      const client = new AgoraApiClient({ baseUrl: plain.running.url.origin });
      await client.signIn(ownerWallet, "owner");
      const task = await client.post<TaskView>("/tasks", {
        spec: taskSpec(),
        budget: budget.toString(),
        currency: "USDC",
        rail: "chain",
        deadline: new Date(Date.now() + 7 * 86_400_000).toISOString(),
      });
      const run = expectExit(
        await deposit(task.id, { AGORA_API_URL: plain.running.url.origin }),
        2,
      );
      assert.match(run.stderr, /Chain settlement not available \(HTTP 503/);
    } finally {
      await plain.close();
    }
  });
});
