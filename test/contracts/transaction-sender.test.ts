import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { id, JsonRpcProvider, type Provider, type Signer, toQuantity, Wallet } from "ethers";
import { AgoraError } from "../../services/errors/agora-error.ts";
import { serveChain } from "../../services/settlement/chain/chain-rpc-server.ts";
import { readEscrowEvents } from "../../services/settlement/chain/event-reader.ts";
import { TransactionSender } from "../../services/settlement/chain/transaction-sender.ts";
import { type EscrowWorld, payoutTree, startEscrowWorld, termsFor } from "./escrow-fixture.ts";

/**
 * A provider whose first confirmation wait fails after the transaction was mined (a dropped
 * connection), and which never finds receipts by hash (a node that lost them). Everything else is
 * the real chain.
 */
function receiptLosingProvider(real: Provider): Provider {
  let lost = false;
  return new Proxy(real, {
    get(target, property) {
      if (property === "waitForTransaction") {
        return async (hash: string, confirms?: number, timeout?: number) => {
          const receipt = await target.waitForTransaction(hash, confirms, timeout);
          if (!lost) {
            lost = true;
            throw new Error("socket hang up");
          }
          return receipt;
        };
      }
      if (property === "getTransactionReceipt") return async () => null;
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

describe("transaction sender", () => {
  let world: EscrowWorld;
  before(async () => {
    world = await startEscrowWorld();
  });
  after(() => world.close());

  it("confirms at once on a chain that mines on demand, behind JSON-RPC", async () => {
    // The transaction is mined as it is sent. Waiting for it by block events
    // instead would first see a block number the provider cached a moment
    // earlier, then wait for its next poll (ethers' default: every 4 s), past
    // this sender's 2 s limit; nothing else sends, so no block comes sooner.
    const rpc = await serveChain(world.chain);
    const provider = new JsonRpcProvider(rpc.url, undefined, { staticNetwork: true });
    try {
      const wallet = new Wallet(Wallet.createRandom().privateKey, provider);
      await provider.send("hardhat_setBalance", [wallet.address, toQuantity(10n ** 18n)]);
      const sender = new TransactionSender(wallet, {
        confirmationTimeoutMs: 2_000,
        maxAttempts: 1,
      });
      for (let i = 0; i < 3; i++) {
        await provider.getBlockNumber(); // what a caller polling the chain leaves cached
        const outcome = await sender.send({
          label: `transfer ${i}`,
          request: { to: Wallet.createRandom().address, value: 1n },
        });
        assert.equal(outcome.kind, "mined");
      }
    } finally {
      provider.destroy();
      await rpc.close();
    }
  });

  it("a commit whose receipt was lost is not committed twice on retry", async () => {
    const { taskId } = await world.owner.createTask(await termsFor(world));
    const tree = payoutTree(world);
    const coordinatorSigner = world.chain.signers[1] as Signer;
    const lossy = new TransactionSender(coordinatorSigner, {
      receiptProvider: receiptLosingProvider(world.chain.provider),
      retryDelayMs: 1,
    });
    const fromBlock = await world.chain.provider.getBlockNumber();
    const outcome = await world.coordinator
      .withSender(lossy)
      .commitPayouts(taskId, tree.root, tree.total, id("r"));
    assert.equal(outcome.kind, "already-applied");
    const commits = await readEscrowEvents(world.chain.provider, world.owner, {
      fromBlock,
      names: ["PayoutsCommitted"],
      taskId,
    });
    assert.equal(commits.length, 1);
    assert.equal((await world.owner.getTask(taskId)).commitNumber, 1);
    // The sender recovers its nonce and keeps working.
    await world.coordinator
      .withSender(lossy)
      .anchorAgreement(taskId, id("x"))
      .catch(() => undefined);
    const next = await world.owner.createTask(await termsFor(world));
    const outcome2 = await world.coordinator
      .withSender(lossy)
      .commitPayouts(next.taskId, tree.root, tree.total, id("r"));
    assert.equal(outcome2.kind, "mined");
  });

  it("hands out sequential nonces to concurrent sends", async () => {
    const signer = world.chain.signers[11] as Signer;
    const sender = new TransactionSender(signer);
    const start = await world.chain.provider.getTransactionCount(await signer.getAddress());
    const to = await (world.chain.signers[12] as Signer).getAddress();
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () =>
        sender.send({ label: "transfer", request: { to, value: 1n } }),
      ),
    );
    const nonces = await Promise.all(
      outcomes.map(async (outcome) => {
        assert.equal(outcome.kind, "mined");
        const tx =
          outcome.kind === "mined"
            ? await world.chain.provider.getTransaction(outcome.receipt.hash)
            : null;
        return tx?.nonce;
      }),
    );
    assert.deepEqual(nonces, [start, start + 1, start + 2, start + 3, start + 4]);
  });

  it("waits for the requested confirmations", async () => {
    const signer = world.chain.signers[13] as Signer;
    const sender = new TransactionSender(signer, {
      confirmations: 3,
      confirmationTimeoutMs: 10_000,
    });
    const pending = sender.send({
      label: "transfer",
      request: { to: await signer.getAddress(), value: 0n },
    });
    let settled = false;
    void pending.then(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(settled, false);
    await world.chain.mine(2);
    const outcome = await pending;
    assert.equal(outcome.kind, "mined");
  });

  it("a revert is reported at once as a conflict, with the custom error", async () => {
    await assert.rejects(world.stranger.sendUnchecked("reclaim", [424242n]), (error: unknown) => {
      assert.ok(error instanceof AgoraError);
      assert.equal(error.kind, "conflict");
      assert.match(error.detail ?? "", /EscrowUnknownTask\(424242\)/);
      return true;
    });
  });
});
