import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HDNodeWallet, id, Wallet } from "ethers";
import { AgoraApiClient } from "../../services/cli/api-client.ts";
import { serveChain } from "../../services/settlement/chain/chain-rpc-server.ts";
import { buildPayoutTree } from "../../services/settlement/merkle/payout-tree.ts";
import { PayoutTreesRepository } from "../../services/store/repositories/payout-trees-repository.ts";
import { createRepositories } from "../../services/store/repositories.ts";
import {
  balanceOf,
  type EscrowWorld,
  startEscrowWorld,
  termsFor,
} from "../contracts/escrow-fixture.ts";
import { e2eHolderProfile } from "../e2e/support/market-driver.ts";
import { startTestApi, type TestApi } from "../support/api-client.ts";
import { expectExit, runAgora } from "./run-agora.ts";

/** Hardhat's development mnemonic: account 7 is the escrow world's first paid holder. */
const hardhatMnemonic = "test test test test test test test test test test test junk";
const holderKey = HDNodeWallet.fromPhrase(hardhatMnemonic, undefined, "m/44'/60'/0'/0/7");
const budget = 1_500_000_000n;

/**
 * `agora holder claim` against a settled chain task: the API serves the
 * payout and its proof from its database, the escrow on an embedded chain
 * (reached over JSON-RPC, as CHAIN_RPC_URL) holds the committed root.
 */
describe("agora holder claim", () => {
  let world: EscrowWorld;
  let rpc: { url: string; close(): Promise<void> };
  let api: TestApi;
  let taskId: string;
  let chainTaskId: bigint;
  let root: string;
  let amount: bigint;
  const claimAs = (key: string, env: Record<string, string> = {}, ...extra: string[]) =>
    runAgora(["holder", "claim", taskId, ...extra], {
      AGORA_API_URL: api.running.url.origin,
      AGORA_PRIVATE_KEY: key,
      CHAIN_RPC_URL: rpc.url,
      ...env,
    });

  before(async () => {
    world = await startEscrowWorld();
    assert.equal(holderKey.address, world.holders[0]);
    rpc = await serveChain(world.chain);
    api = await startTestApi();

    // The holder registers through the API like any holder, paid on chain to its own address.
    const client = new AgoraApiClient({ baseUrl: api.running.url.origin });
    await client.signIn(new Wallet(holderKey.privateKey), "holder");
    const holder = await client.post<{ id: string }>("/holders", {
      ...e2eHolderProfile(new Wallet(holderKey.privateKey)),
      payoutRail: "chain",
    });

    // The rest is what settlement leaves behind: the payout table, its tree, the committed root.
    const db = api.running.deps.database.db;
    const repos = createRepositories(db);
    const owner = world.addresses.owner.toLowerCase();
    taskId = `task-claim-${Date.now().toString(36)}`;
    await repos.tasks.create({
      id: taskId,
      ownerAddress: owner,
      rail: "chain",
      currency: "USDC",
      budget,
      spec: { data: { labels: ["0"] }, privacy: { epsilon: 1, delta: 1e-5 } },
      deadline: new Date(Date.now() + 86_400_000),
    });
    const other = Wallet.createRandom();
    await repos.holders.register({
      id: `holder-other-${taskId}`,
      address: other.address.toLowerCase(),
      payoutRail: "chain",
      payoutAccount: (world.holders[1] as string).toLowerCase(),
      dataSummary: {},
      hardware: {},
      privacyEpsilon: 8,
      privacyDelta: 1e-5,
      priceFloor: 1n,
    });
    amount = 300_000_000n;
    const lines = [
      { holderId: holder.id, account: holderKey.address.toLowerCase(), amount },
      { holderId: `holder-other-${taskId}`, account: world.holders[1] as string, amount: 200n },
    ];
    await repos.payouts.savePlan(
      taskId,
      lines.map((line, leafIndex) => ({
        taskId,
        holderId: line.holderId,
        leafIndex,
        rail: "chain" as const,
        account: line.account.toLowerCase(),
        base: line.amount,
        bonus: 0n,
        amount: line.amount,
      })),
    );
    const tree = buildPayoutTree(lines.map(({ account, amount }) => ({ account, amount })));
    root = tree.root;
    ({ taskId: chainTaskId } = await world.owner.createTask(await termsFor(world, { budget })));
    await new PayoutTreesRepository(db).save({
      taskId,
      root: tree.root,
      total: tree.total,
      dump: tree.dump() as unknown as Record<string, unknown>,
      escrow: world.owner.address,
      chainId: world.chain.chainId,
      chainTaskId,
    });
    await world.coordinator.commitPayouts(chainTaskId, tree.root, tree.total, id("report"));
    await repos.tasks.transition(taskId, "draft", "settled", {
      chainTaskId: `0x${chainTaskId.toString(16).padStart(64, "0")}`,
    });
  });

  after(async () => {
    await api?.close();
    await rpc?.close();
    await world?.close();
  });

  it("refuses while the challenge window is open, and says when it closes", async () => {
    const run = expectExit(await claimAs(holderKey.privateKey), 2);
    assert.match(run.stderr, /Payout not claimable yet \(HTTP 409, payout_not_claimable\)/);
    assert.match(run.stderr, /is committed\. It becomes claimable .* after \d{4}-/);
  });

  it("claims from the holder's key once auditors attest, then reports it claimed", async () => {
    await world.auditors[0].attest(chainTaskId, root);
    await world.auditors[1].attest(chainTaskId, root);
    const before = await balanceOf(world, holderKey.address);
    const first = JSON.parse(
      expectExit(await claimAs(holderKey.privateKey, {}, "--json"), 0).stdout,
    );
    assert.equal(first.outcome, "claimed");
    assert.equal(first.amount, amount.toString());
    assert.match(first.transaction, /^0x[0-9a-f]{64}$/);
    assert.equal(await balanceOf(world, holderKey.address), before + amount);

    const again = expectExit(await claimAs(holderKey.privateKey), 0);
    assert.match(again.stdout, /claim:\s+already claimed: nothing sent/);
    assert.equal(await balanceOf(world, holderKey.address), before + amount, "paid once");
  });

  it("explains a missing RPC endpoint, an unreachable chain and a holder without a payout", async () => {
    const noRpc = expectExit(await claimAs(holderKey.privateKey, { CHAIN_RPC_URL: "" }), 1);
    assert.match(noRpc.stderr, /set CHAIN_RPC_URL or pass --rpc/);

    const stranger = Wallet.createRandom();
    const client = new AgoraApiClient({ baseUrl: api.running.url.origin });
    await client.signIn(stranger, "holder");
    await client.post("/holders", e2eHolderProfile(stranger));
    const nothing = expectExit(await claimAs(stranger.privateKey), 2);
    assert.match(nothing.stderr, /No payout for you \(HTTP 404, payout_not_found\)/);

    const deadChain = expectExit(
      await claimAs(holderKey.privateKey, { CHAIN_RPC_URL: "http://127.0.0.1:9" }),
      3,
    );
    assert.match(deadChain.stderr, /cannot reach the chain at 127\.0\.0\.1:9/);
  });
});
