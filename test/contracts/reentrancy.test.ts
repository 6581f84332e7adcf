import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Contract, ContractFactory, type InterfaceAbi, id, type Signer } from "ethers";
import { AgoraError } from "../../services/errors/agora-error.ts";
import { loadArtifact } from "../../services/settlement/chain/artifacts.ts";
import { deploySettlement } from "../../services/settlement/chain/deploy.ts";
import {
  type EmbeddedChain,
  startEmbeddedChain,
} from "../../services/settlement/chain/embedded-chain.ts";
import { EscrowClient } from "../../services/settlement/chain/escrow-client.ts";
import {
  decodeRevert,
  TransactionSender,
} from "../../services/settlement/chain/transaction-sender.ts";
import { buildPayoutTree } from "../../services/settlement/merkle/payout-tree.ts";

describe("settlement escrow: a malicious ERC-20 cannot re-enter", () => {
  let chain: EmbeddedChain;
  let token: Contract;
  let escrow: EscrowClient;
  let taskId: bigint;
  const tree = buildPayoutTree([
    { account: "0x00000000000000000000000000000000000000b1", amount: 400n },
    { account: "0x00000000000000000000000000000000000000b2", amount: 500n },
  ]);

  before(async () => {
    chain = await startEmbeddedChain();
    const [owner, coordinator, auditor] = chain.signers as [Signer, Signer, Signer];
    const artifact = await loadArtifact("ReentrantToken");
    const factory = new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode, owner);
    token = (await (await factory.deploy()).waitForDeployment()) as Contract;
    const sender = new TransactionSender(owner);
    const deployment = await deploySettlement({
      sender,
      chainId: chain.chainId,
      token: await token.getAddress(),
    });
    escrow = await EscrowClient.at(deployment.escrow, sender);
    await token.getFunction("mint")(await owner.getAddress(), 10_000n);
    await token.getFunction("approve")(deployment.escrow, 10_000n);
    const now = await chain.latestTimestamp();
    ({ taskId } = await escrow.createTask({
      termsHash: id("reentrancy"),
      coordinator: await coordinator.getAddress(),
      auditors: [await auditor.getAddress()],
      threshold: 1,
      budget: 10_000n,
      trainingStartsAt: now + 10,
      commitDeadline: now + 1_000,
      challengeWindow: 100,
    }));
    await escrow
      .withSender(new TransactionSender(coordinator))
      .commitPayouts(taskId, tree.root, tree.total, id("r"));
    await escrow.withSender(new TransactionSender(auditor)).attest(taskId, tree.root);
  });
  after(() => chain.close());

  const expectGuard = async (action: Promise<unknown>) =>
    assert.rejects(action, (error: unknown) => {
      const cause = error instanceof AgoraError ? error.cause : error;
      assert.equal(decodeRevert(cause, escrow.interface)?.name, "ReentrancyGuardReentrantCall");
      return true;
    });

  it("a transfer that calls back into claim is rejected by the guard, and nothing moves", async () => {
    const second = tree.proofAt(1);
    await token.getFunction("arm")(
      escrow.address,
      escrow.populate("claim", [taskId, second.index, second.account, second.amount, second.proof])
        .data,
    );
    await expectGuard(
      escrow.sendUnchecked("claim", [
        taskId,
        0n,
        tree.proofAt(0).account,
        400n,
        tree.proofAt(0).proof,
      ]),
    );
    assert.equal((await escrow.getTask(taskId)).claimed, 0n);
    assert.equal(await escrow.isClaimed(taskId, 0n), false);
  });

  it("a transfer that calls back into reclaim is rejected by the guard", async () => {
    await token.getFunction("arm")(escrow.address, escrow.populate("reclaim", [taskId]).data);
    await expectGuard(
      escrow.sendUnchecked("claimMany", [
        taskId,
        [[0n, tree.proofAt(0).account, 400n, tree.proofAt(0).proof]],
      ]),
    );
    await expectGuard(escrow.sendUnchecked("reclaim", [taskId]));
    assert.equal((await escrow.getTask(taskId)).remainderReclaimed, false);
  });

  it("once disarmed, the same claim goes through", async () => {
    await token.getFunction("arm")(escrow.address, "0x");
    await escrow.claim(taskId, tree.proofAt(0));
    assert.equal(await token.getFunction("balanceOf")(tree.proofAt(0).account), 400n);
  });
});
