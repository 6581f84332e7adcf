import assert from "node:assert/strict";
import { Contract, type InterfaceAbi, id, type Signer } from "ethers";
import { AgoraError } from "../../services/errors/agora-error.ts";
import { loadArtifact } from "../../services/settlement/chain/artifacts.ts";
import { deploySettlement } from "../../services/settlement/chain/deploy.ts";
import {
  type EmbeddedChain,
  startEmbeddedChain,
} from "../../services/settlement/chain/embedded-chain.ts";
import { EscrowClient } from "../../services/settlement/chain/escrow-client.ts";
import type { TaskTerms } from "../../services/settlement/chain/escrow-types.ts";
import {
  decodeRevert,
  TransactionSender,
} from "../../services/settlement/chain/transaction-sender.ts";
import { buildPayoutTree, type PayoutTree } from "../../services/settlement/merkle/payout-tree.ts";

/** A fresh embedded chain with the settlement contracts and one client per role. */
export interface EscrowWorld {
  chain: EmbeddedChain;
  token: Contract;
  owner: EscrowClient;
  coordinator: EscrowClient;
  auditors: [EscrowClient, EscrowClient, EscrowClient];
  arbiter: EscrowClient;
  stranger: EscrowClient;
  addresses: {
    owner: string;
    coordinator: string;
    auditors: string[];
    arbiter: string;
    stranger: string;
  };
  /** Holders paid by `payoutTree()`. */
  holders: string[];
  close(): Promise<void>;
}

export async function startEscrowWorld(): Promise<EscrowWorld> {
  const chain = await startEmbeddedChain();
  const signer = (index: number): Signer => {
    const found = chain.signers[index];
    if (found === undefined) throw new Error(`no signer ${index}`);
    return found;
  };
  const senderOf = (index: number) => new TransactionSender(signer(index), { retryDelayMs: 5 });
  const ownerSender = senderOf(0);
  const deployment = await deploySettlement({
    sender: ownerSender,
    chainId: chain.chainId,
    arbiter: await signer(5).getAddress(),
  });
  const owner = await EscrowClient.at(deployment.escrow, ownerSender);
  const client = (index: number) => owner.withSender(senderOf(index));
  const token = new Contract(
    deployment.token,
    (await loadArtifact("AgoraTestStablecoin")).abi as InterfaceAbi,
    signer(0),
  );
  const addressOf = (index: number) => signer(index).getAddress();
  const addresses = {
    owner: await addressOf(0),
    coordinator: await addressOf(1),
    auditors: [await addressOf(2), await addressOf(3), await addressOf(4)],
    arbiter: await addressOf(5),
    stranger: await addressOf(6),
  };
  await token.getFunction("mint")(addresses.owner, 10n ** 12n);
  await token.getFunction("approve")(deployment.escrow, 10n ** 12n);
  const holders = await Promise.all([7, 8, 9, 10].map(addressOf));
  return {
    chain,
    token,
    owner,
    coordinator: client(1),
    auditors: [client(2), client(3), client(4)],
    arbiter: client(5),
    stranger: client(6),
    addresses,
    holders,
    close: () => chain.close(),
  };
}

let termsCounter = 0;

/** Terms funded by the world's owner: 2 of 3 auditors, training in an hour, deadline in a week. */
export async function termsFor(
  world: EscrowWorld,
  overrides: Partial<TaskTerms> = {},
): Promise<TaskTerms> {
  const now = await world.chain.latestTimestamp();
  return {
    termsHash: id(`terms-${termsCounter++}-${Math.random()}`),
    coordinator: world.addresses.coordinator,
    auditors: world.addresses.auditors,
    threshold: 2,
    budget: 1_500_000_000n,
    trainingStartsAt: now + 3_600,
    commitDeadline: now + 7 * 86_400,
    challengeWindow: 86_400,
    ...overrides,
  };
}

/** Pays the world's four holders 100, 200, 300 and 400 (units of 10^6). */
export function payoutTree(world: EscrowWorld): PayoutTree {
  return buildPayoutTree(
    world.holders.map((account, i) => ({ account, amount: BigInt(i + 1) * 100_000_000n })),
  );
}

/** Creates a task and commits the world's payout tree; returns its id and tree. */
export async function committedTask(world: EscrowWorld, overrides: Partial<TaskTerms> = {}) {
  const { taskId } = await world.owner.createTask(await termsFor(world, overrides));
  const tree = payoutTree(world);
  await world.coordinator.commitPayouts(taskId, tree.root, tree.total, id("report"));
  return { taskId, tree };
}

/** Asserts that `action` reverts with the escrow's custom error `name` (and `args`, if given). */
export async function expectEscrowError(
  world: EscrowWorld,
  action: Promise<unknown>,
  name: string,
  args?: readonly unknown[],
): Promise<void> {
  await assert.rejects(action, (error: unknown) => {
    const cause = error instanceof AgoraError ? error.cause : error;
    const revert = decodeRevert(cause, world.owner.interface);
    assert.equal(revert?.name, name, `expected ${name}, got ${String(error)}`);
    if (args !== undefined) assert.deepEqual([...(revert?.args ?? [])], [...args]);
    return true;
  });
}

export const balanceOf = async (world: EscrowWorld, account: string): Promise<bigint> =>
  (await world.token.getFunction("balanceOf")(account)) as bigint;
