import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { id } from "ethers";
import {
  balanceOf,
  committedTask,
  type EscrowWorld,
  expectEscrowError,
  startEscrowWorld,
  termsFor,
} from "./escrow-fixture.ts";

describe("settlement escrow: the life of a task", () => {
  let world: EscrowWorld;
  let escrowAddress: string;
  before(async () => {
    world = await startEscrowWorld();
    escrowAddress = world.owner.address;
  });
  after(() => world.close());

  it("the test stablecoin has 6 decimals", async () => {
    assert.equal(await world.token.getFunction("decimals")(), 6n);
  });

  it("createTask pulls the budget and records terms, coordinator, auditors and deadlines", async () => {
    const terms = await termsFor(world);
    const ownerBefore = await balanceOf(world, world.addresses.owner);
    const escrowBefore = await balanceOf(world, escrowAddress);
    const { taskId } = await world.owner.createTask(terms);
    const task = await world.owner.getTask(taskId);
    assert.equal(task.status, "funded");
    assert.equal(task.deposit, terms.budget);
    assert.equal(task.termsHash, terms.termsHash);
    assert.equal(task.owner, world.addresses.owner);
    assert.equal(task.coordinator, world.addresses.coordinator);
    assert.deepEqual([task.threshold, task.auditorCount], [2, 3]);
    assert.equal(task.trainingStartsAt, terms.trainingStartsAt);
    assert.equal(task.commitDeadline, terms.commitDeadline);
    assert.equal(task.challengeWindow, terms.challengeWindow);
    for (const auditor of world.addresses.auditors) {
      assert.equal(await world.owner.contractCall<boolean>("isAuditor", [taskId, auditor]), true);
    }
    assert.equal(await balanceOf(world, world.addresses.owner), ownerBefore - terms.budget);
    assert.equal(await balanceOf(world, escrowAddress), escrowBefore + terms.budget);
  });

  it("a retried createTask finds the task instead of funding it twice", async () => {
    const terms = await termsFor(world);
    const first = await world.owner.createTask(terms);
    const escrowBalance = await balanceOf(world, escrowAddress);
    const again = await world.owner.createTask(terms);
    assert.equal(again.taskId, first.taskId);
    assert.equal(again.outcome.kind, "already-applied");
    assert.equal(await balanceOf(world, escrowAddress), escrowBalance);
  });

  it("k of n attestations finalise; holders claim one by one and in a batch; the owner reclaims the rest", async () => {
    const { taskId, tree } = await committedTask(world);
    const [first, second] = world.auditors;
    await first.attest(taskId, tree.root);
    assert.equal((await world.owner.getTask(taskId)).claimable, false);
    await second.attest(taskId, tree.root);
    const task = await world.owner.getTask(taskId);
    assert.deepEqual([task.status, task.claimable, task.attestations], ["finalized", true, 2]);

    const leaf = tree.proofAt(0);
    const holderBefore = await balanceOf(world, leaf.account);
    await world.stranger.claim(taskId, leaf);
    assert.equal(await balanceOf(world, leaf.account), holderBefore + leaf.amount);
    assert.equal(await world.owner.isClaimed(taskId, leaf.index), true);
    assert.equal((await world.stranger.claim(taskId, leaf)).kind, "already-applied");

    // The batch skips the leaf already claimed.
    await world.stranger.claimMany(taskId, tree.allProofs());
    assert.equal((await world.owner.getTask(taskId)).claimed, tree.total);

    const ownerBefore = await balanceOf(world, world.addresses.owner);
    await world.stranger.reclaim(taskId);
    assert.equal(
      await balanceOf(world, world.addresses.owner),
      ownerBefore + task.deposit - tree.total,
    );
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("reclaim", [taskId]),
      "EscrowNothingToReclaim",
      [taskId],
    );
  });

  it("with no dispute, payouts become claimable once the challenge window has passed", async () => {
    const { taskId, tree } = await committedTask(world);
    await expectEscrowError(
      world,
      world.stranger.claim(taskId, tree.proofAt(1)),
      "EscrowNotClaimable",
      [taskId, 2n],
    );
    await world.chain.increaseTime(86_401);
    assert.equal((await world.owner.getTask(taskId)).claimable, true);
    await world.stranger.claim(taskId, tree.proofAt(1));
    await world.owner.reclaim(taskId);
    assert.equal((await world.owner.getTask(taskId)).status, "finalized");
  });

  it("an auditor's EIP-712 attestation can be relayed by anyone", async () => {
    const { taskId, tree } = await committedTask(world);
    const auditorSigner = world.chain.signers[2];
    assert.ok(auditorSigner);
    const domain = {
      name: "AgoraSettlementEscrow",
      version: "1",
      chainId: world.chain.chainId,
      verifyingContract: escrowAddress,
    };
    const types = {
      Attestation: [
        { name: "taskId", type: "uint256" },
        { name: "root", type: "bytes32" },
        { name: "commitNumber", type: "uint32" },
      ],
    };
    const signature = await auditorSigner.signTypedData(domain, types, {
      taskId,
      root: tree.root,
      commitNumber: 1,
    });
    await world.stranger.sendUnchecked("attestBySignature", [taskId, tree.root, signature]);
    assert.equal(await world.owner.hasAttested(taskId, world.addresses.auditors[0] ?? ""), true);
    const strangerSigner = world.chain.signers[6];
    assert.ok(strangerSigner);
    const forged = await strangerSigner.signTypedData(domain, types, {
      taskId,
      root: tree.root,
      commitNumber: 1,
    });
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("attestBySignature", [taskId, tree.root, forged]),
      "EscrowNotAuditor",
      [taskId, world.addresses.stranger],
    );
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("attestBySignature", [taskId, tree.root, "0x1234"]),
      "EscrowInvalidSignature",
    );
  });

  it("a dispute freezes the task; the arbiter resolves by a new commit", async () => {
    const { taskId, tree } = await committedTask(world);
    await world.auditors[2].dispute(taskId, id("scores look wrong"));
    assert.equal((await world.owner.getTask(taskId)).status, "disputed");
    await world.chain.increaseTime(2 * 86_400);
    await expectEscrowError(
      world,
      world.stranger.claim(taskId, tree.proofAt(0)),
      "EscrowNotClaimable",
      [taskId, 3n],
    );
    await expectEscrowError(
      world,
      world.stranger.resolveByCommit(taskId, tree.root, tree.total, id("ruling")),
      "AccessControlUnauthorizedAccount",
    );
    await world.arbiter.resolveByCommit(taskId, tree.root, tree.total, id("ruling"));
    const task = await world.owner.getTask(taskId);
    assert.deepEqual([task.status, task.commitNumber, task.claimable], ["finalized", 2, true]);
    await world.stranger.claim(taskId, tree.proofAt(3));
  });

  it("a dispute resolved by refund returns the whole deposit to the owner", async () => {
    const { taskId } = await committedTask(world);
    await world.owner.dispute(taskId, id("owner disagrees"));
    const ownerBefore = await balanceOf(world, world.addresses.owner);
    await world.arbiter.resolveByRefund(taskId);
    const task = await world.owner.getTask(taskId);
    assert.equal(task.status, "refunded");
    assert.equal(await balanceOf(world, world.addresses.owner), ownerBefore + task.deposit);
  });

  it("cancel before training refunds the owner", async () => {
    const { taskId } = await world.owner.createTask(await termsFor(world));
    const ownerBefore = await balanceOf(world, world.addresses.owner);
    await world.owner.cancel(taskId);
    const task = await world.owner.getTask(taskId);
    assert.equal(task.status, "cancelled");
    assert.equal(await balanceOf(world, world.addresses.owner), ownerBefore + task.deposit);
    assert.equal((await world.owner.cancel(taskId)).kind, "already-applied");
  });

  it("with nothing committed by the deadline, reclaim returns everything", async () => {
    const terms = await termsFor(world);
    const { taskId } = await world.owner.createTask({
      ...terms,
      commitDeadline: terms.trainingStartsAt + 10,
    });
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("reclaim", [taskId]),
      "EscrowWrongStatus",
      [taskId, 1n],
    );
    await world.chain.increaseTime(3_700);
    const ownerBefore = await balanceOf(world, world.addresses.owner);
    await world.stranger.reclaim(taskId);
    assert.equal(await balanceOf(world, world.addresses.owner), ownerBefore + terms.budget);
    assert.equal((await world.owner.getTask(taskId)).status, "refunded");
  });

  it("anchors the agreement once, and an anchored agreement blocks cancel", async () => {
    const { taskId } = await world.owner.createTask(await termsFor(world));
    await world.coordinator.anchorAgreement(taskId, id("agreement"));
    assert.equal((await world.owner.getTask(taskId)).agreementHash, id("agreement"));
    assert.equal(
      (await world.coordinator.anchorAgreement(taskId, id("agreement"))).kind,
      "already-applied",
    );
    await expectEscrowError(
      world,
      world.owner.sendUnchecked("anchorAgreement", [taskId, id("another")]),
      "EscrowAgreementAlreadyAnchored",
      [taskId],
    );
    await expectEscrowError(
      world,
      world.owner.sendUnchecked("cancel", [taskId]),
      "EscrowTrainingStarted",
      [taskId],
    );
  });
});
