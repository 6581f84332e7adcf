import { after, before, describe, it } from "node:test";
import { id, ZeroAddress } from "ethers";
import { termsTuple } from "../../services/settlement/chain/escrow-client.ts";
import { buildPayoutTree, type PayoutProof } from "../../services/settlement/merkle/payout-tree.ts";
import {
  committedTask,
  type EscrowWorld,
  expectEscrowError,
  startEscrowWorld,
  termsFor,
} from "./escrow-fixture.ts";

describe("settlement escrow: every revert names its custom error", () => {
  let world: EscrowWorld;
  before(async () => {
    world = await startEscrowWorld();
  });
  after(() => world.close());

  const create = async (overrides: Parameters<typeof termsFor>[1]) =>
    world.owner.sendUnchecked("createTask", [termsTuple(await termsFor(world, overrides))]);

  it("createTask rejects bad terms", async () => {
    const [a1, a2] = world.addresses.auditors as [string, string];
    const now = await world.chain.latestTimestamp();
    await expectEscrowError(world, create({ termsHash: `0x${"0".repeat(64)}` }), "EscrowZeroHash");
    await expectEscrowError(world, create({ budget: 0n }), "EscrowInvalidTerms", ["zero budget"]);
    await expectEscrowError(world, create({ coordinator: ZeroAddress }), "EscrowInvalidTerms", [
      "zero coordinator",
    ]);
    await expectEscrowError(world, create({ auditors: [] }), "EscrowInvalidTerms", [
      "auditor count",
    ]);
    await expectEscrowError(world, create({ threshold: 0 }), "EscrowInvalidTerms", ["threshold"]);
    await expectEscrowError(world, create({ threshold: 4 }), "EscrowInvalidTerms", ["threshold"]);
    await expectEscrowError(world, create({ commitDeadline: now - 1 }), "EscrowInvalidTerms", [
      "commit deadline passed",
    ]);
    await expectEscrowError(
      world,
      create({ trainingStartsAt: now + 8 * 86_400 }),
      "EscrowInvalidTerms",
      ["training after deadline"],
    );
    await expectEscrowError(world, create({ challengeWindow: 0 }), "EscrowInvalidTerms", [
      "challenge window",
    ]);
    await expectEscrowError(world, create({ challengeWindow: 31 * 86_400 }), "EscrowInvalidTerms", [
      "challenge window",
    ]);
    await expectEscrowError(world, create({ auditors: [a1, a2, a1] }), "EscrowInvalidTerms", [
      "duplicate auditor",
    ]);
    await expectEscrowError(world, create({ auditors: [a1, ZeroAddress] }), "EscrowInvalidTerms", [
      "zero auditor",
    ]);
    const terms = await termsFor(world);
    const { taskId } = await world.owner.createTask(terms);
    await expectEscrowError(
      world,
      world.owner.sendUnchecked("createTask", [termsTuple(terms)]),
      "EscrowTaskAlreadyCreated",
      [taskId],
    );
  });

  it("unknown tasks, wrong callers and wrong states are refused", async () => {
    await expectEscrowError(
      world,
      world.owner.sendUnchecked("anchorAgreement", [999n, id("a")]),
      "EscrowUnknownTask",
      [999n],
    );
    const { taskId } = await world.owner.createTask(await termsFor(world));
    const tree = buildPayoutTree(world.holders.map((account) => ({ account, amount: 1_000n })));
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("anchorAgreement", [taskId, id("a")]),
      "EscrowNotOwner",
    );
    await expectEscrowError(
      world,
      world.owner.sendUnchecked("anchorAgreement", [taskId, `0x${"0".repeat(64)}`]),
      "EscrowZeroHash",
    );
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("cancel", [taskId]),
      "EscrowNotOwner",
    );
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("commitPayouts", [taskId, tree.root, tree.total, id("r")]),
      "EscrowNotCoordinator",
      [taskId, world.addresses.stranger],
    );
    await expectEscrowError(
      world,
      world.coordinator.sendUnchecked("commitPayouts", [
        taskId,
        tree.root,
        1_500_000_001n,
        id("r"),
      ]),
      "EscrowTotalExceedsDeposit",
      [1_500_000_001n, 1_500_000_000n],
    );
    await expectEscrowError(
      world,
      world.coordinator.sendUnchecked("commitPayouts", [
        taskId,
        `0x${"0".repeat(64)}`,
        1n,
        id("r"),
      ]),
      "EscrowZeroHash",
    );
    await expectEscrowError(
      world,
      world.auditors[0].sendUnchecked("attest", [taskId, tree.root]),
      "EscrowWrongStatus",
      [taskId, 1n],
    );
    await expectEscrowError(
      world,
      world.auditors[0].sendUnchecked("dispute", [taskId, id("x")]),
      "EscrowWrongStatus",
    );
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("claimMany", [taskId, []]),
      "EscrowEmptyBatch",
    );
    await expectEscrowError(
      world,
      world.arbiter.sendUnchecked("resolveByRefund", [taskId]),
      "EscrowWrongStatus",
    );
    await world.coordinator.commitPayouts(taskId, tree.root, tree.total, id("r"));
    await expectEscrowError(
      world,
      world.coordinator.sendUnchecked("commitPayouts", [taskId, tree.root, tree.total, id("r")]),
      "EscrowWrongStatus",
      [taskId, 2n],
    );
    await expectEscrowError(
      world,
      world.owner.sendUnchecked("cancel", [taskId]),
      "EscrowWrongStatus",
    );
    await expectEscrowError(
      world,
      world.owner.sendUnchecked("anchorAgreement", [taskId, id("late")]),
      "EscrowWrongStatus",
    );
  });

  it("commit after the deadline and cancel after training starts are refused", async () => {
    const { taskId } = await world.owner.createTask(await termsFor(world));
    await world.chain.increaseTime(3_601);
    await expectEscrowError(
      world,
      world.owner.sendUnchecked("cancel", [taskId]),
      "EscrowTrainingStarted",
      [taskId],
    );
    await world.chain.increaseTime(7 * 86_400);
    const tree = buildPayoutTree([{ account: world.holders[0] ?? "", amount: 5n }]);
    await expectEscrowError(
      world,
      world.coordinator.sendUnchecked("commitPayouts", [taskId, tree.root, 5n, id("r")]),
      "EscrowCommitDeadlinePassed",
    );
  });

  it("attest and dispute check the auditor set, the root and the window", async () => {
    const { taskId, tree } = await committedTask(world);
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("attest", [taskId, tree.root]),
      "EscrowNotAuditor",
      [taskId, world.addresses.stranger],
    );
    await expectEscrowError(
      world,
      world.auditors[0].sendUnchecked("attest", [taskId, id("other")]),
      "EscrowRootMismatch",
      [tree.root, id("other")],
    );
    await world.auditors[0].attest(taskId, tree.root);
    await expectEscrowError(
      world,
      world.auditors[0].sendUnchecked("attest", [taskId, tree.root]),
      "EscrowAlreadyAttested",
    );
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("dispute", [taskId, id("x")]),
      "EscrowNotOwnerOrAuditor",
    );
    await expectEscrowError(
      world,
      world.auditors[1].sendUnchecked("dispute", [taskId, `0x${"0".repeat(64)}`]),
      "EscrowZeroHash",
    );
    await world.chain.increaseTime(86_401);
    await expectEscrowError(
      world,
      world.auditors[1].sendUnchecked("attest", [taskId, tree.root]),
      "EscrowChallengeWindowClosed",
    );
    await expectEscrowError(
      world,
      world.auditors[1].sendUnchecked("dispute", [taskId, id("late")]),
      "EscrowChallengeWindowClosed",
    );
  });

  it("claims check finality, proofs, flags and the committed total", async () => {
    const { taskId } = await world.owner.createTask(await termsFor(world));
    const tree = buildPayoutTree(world.holders.map((account) => ({ account, amount: 1_000n })));
    // Commits less than the leaves add up to: the last claim must fail.
    await world.coordinator.commitPayouts(taskId, tree.root, 3_000n, id("r"));
    const [l0, l1, l2, l3] = [0, 1, 2, 3].map((i) => tree.proofAt(i)) as [
      PayoutProof,
      PayoutProof,
      PayoutProof,
      PayoutProof,
    ];
    const args = (leaf: typeof l0, amount = leaf.amount) => [
      taskId,
      leaf.index,
      leaf.account,
      amount,
      leaf.proof,
    ];
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("claim", args(l0)),
      "EscrowNotClaimable",
      [taskId, 2n],
    );
    await world.auditors[0].attest(taskId, tree.root);
    await world.auditors[1].attest(taskId, tree.root);
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("claim", args(l0, 1_001n)),
      "EscrowInvalidProof",
      [taskId, l0.index],
    );
    await world.stranger.sendUnchecked("claim", args(l0));
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("claim", args(l0)),
      "EscrowAlreadyClaimed",
      [taskId, l0.index],
    );
    await world.stranger.claimMany(taskId, [l1, l2]);
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("claim", args(l3)),
      "EscrowClaimsExceedTotal",
      [taskId],
    );
    await world.stranger.reclaim(taskId);
    await expectEscrowError(
      world,
      world.stranger.sendUnchecked("reclaim", [taskId]),
      "EscrowNothingToReclaim",
      [taskId],
    );
  });
});
