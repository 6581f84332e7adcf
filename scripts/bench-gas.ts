/**
 * `./dev bench:gas`: gas of every settlement operation on the embedded chain, with a 1,000-leaf
 * payout tree, against the references (Uniswap MerkleDistributor, UMA batched claims) and a push
 * baseline (one ERC-20 transfer per holder from a loop). Prints a table and writes
 * bench/results/gas.json (gas units, integers).
 *
 * Every holder set is used in two conditions, because an ERC-20 transfer to an address that has
 * never held the token creates its balance slot (about 17,000 gas more): "new holder" rows pay
 * that, the headline rows are holders that already hold the token (a repeat participant).
 */
import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { Contract, getAddress, type InterfaceAbi, id, keccak256, toUtf8Bytes } from "ethers";
import { loadArtifact } from "../services/settlement/chain/artifacts.ts";
import { deploySettlement } from "../services/settlement/chain/deploy.ts";
import { startEmbeddedChain } from "../services/settlement/chain/embedded-chain.ts";
import { EscrowClient } from "../services/settlement/chain/escrow-client.ts";
import type { PayoutClaim } from "../services/settlement/chain/escrow-types.ts";
import { TransactionSender } from "../services/settlement/chain/transaction-sender.ts";
import { buildPayoutTree, type PayoutTree } from "../services/settlement/merkle/payout-tree.ts";

const HOLDERS = 1_000;
const BATCH = 50;
/** Leaves sampled for the single-claim median: every 20th, 50 claims over the whole tree. */
const SAMPLE_STRIDE = 20;
/** Recipients per push transaction; one transaction must stay under the per-transaction gas cap. */
const PUSH_CHUNK = 200;

// Build first, so the benchmark runs from a fresh clone (a no-op when artifacts are current).
const build = spawnSync("npx", ["hardhat", "build", "--quiet"], { stdio: "inherit" });
if (build.status !== 0) throw new Error("hardhat build failed");

const chain = await startEmbeddedChain();
const [deployer, coordinatorSigner, auditorA, auditorB, auditorC] = chain.signers;
if (!deployer || !coordinatorSigner || !auditorA || !auditorB || !auditorC)
  throw new Error("need 5 accounts");
const senderOf = (signer: typeof deployer) => new TransactionSender(signer, { retryDelayMs: 10 });
const owner = senderOf(deployer);
const deployment = await deploySettlement({ sender: owner, chainId: chain.chainId });
const escrow = await EscrowClient.at(deployment.escrow, owner);
const coordinator = escrow.withSender(senderOf(coordinatorSigner));
const auditors = [auditorA, auditorB, auditorC].map((signer) =>
  escrow.withSender(senderOf(signer)),
);
const stablecoin = new Contract(
  deployment.token,
  (await loadArtifact("AgoraTestStablecoin")).abi as InterfaceAbi,
  deployer,
);
const ownerAddress = await deployer.getAddress();
const gasOf = (outcome: Awaited<ReturnType<EscrowClient["claim"]>>): number => {
  if (outcome.kind !== "mined") throw new Error("expected a mined transaction");
  return Number(outcome.receipt.gasUsed);
};
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : Math.round(((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2);
};

/** Deterministic holder addresses, so every run measures the same calldata. */
const holders = (label: string) =>
  Array.from({ length: HOLDERS }, (_, i) =>
    getAddress(`0x${keccak256(toUtf8Bytes(`${label}-${i}`)).slice(26)}`),
  );
const payoutTable = (accounts: string[]) =>
  accounts.map((account, i) => ({ account, amount: 1_000_000n + BigInt(i) * 1_337n }));

await stablecoin.getFunction("mint")(ownerAddress, 10n ** 15n);
await stablecoin.getFunction("approve")(deployment.escrow, 2n ** 255n);

let termsNonce = 0;
const coordinatorAddress = await coordinatorSigner.getAddress();
const auditorAddresses = await Promise.all(
  [auditorA, auditorB, auditorC].map((s) => s.getAddress()),
);
const [auditor1, auditor2] = auditors as [EscrowClient, EscrowClient, EscrowClient];
/** Creates, anchors, commits and finalises (2 of 3 attest) a task paying `tree`. */
async function settledTask(tree: PayoutTree) {
  const now = await chain.latestTimestamp();
  const created = await escrow.createTask({
    termsHash: id(`bench-terms-${termsNonce++}`),
    coordinator: coordinatorAddress,
    auditors: auditorAddresses,
    threshold: 2,
    budget: tree.total + 1_000_000n,
    trainingStartsAt: now + 3_600,
    commitDeadline: now + 86_400,
    challengeWindow: 86_400,
  });
  const taskId = created.taskId;
  const gas = {
    createTask: gasOf(created.outcome),
    anchorAgreement: gasOf(await coordinator.anchorAgreement(taskId, id(`agreement-${taskId}`))),
    commitPayouts: gasOf(
      await coordinator.commitPayouts(taskId, tree.root, tree.total, id("report")),
    ),
    attest: gasOf(await auditor1.attest(taskId, tree.root)),
    attest_finalizing: gasOf(await auditor2.attest(taskId, tree.root)),
  };
  return { taskId, gas };
}

/** Claims sampled leaves one by one, then every other leaf in batches of 50. */
async function claimAll(taskId: bigint, tree: PayoutTree) {
  const leaves: PayoutClaim[] = tree.allProofs();
  const sampled = leaves.filter((_, i) => i % SAMPLE_STRIDE === 0);
  const single: number[] = [];
  for (const leaf of sampled) single.push(gasOf(await escrow.claim(taskId, leaf)));
  const rest = leaves.filter((_, i) => i % SAMPLE_STRIDE !== 0);
  const perRecipient: number[] = [];
  for (let start = 0; start + BATCH <= rest.length; start += BATCH) {
    const batch = rest.slice(start, start + BATCH);
    perRecipient.push(Math.round(gasOf(await escrow.claimMany(taskId, batch)) / batch.length));
  }
  const remainder = rest.slice(rest.length - (rest.length % BATCH));
  if (remainder.length > 0) await escrow.claimMany(taskId, remainder);
  return { first: single[0] ?? 0, median: median(single), batchedMedian: median(perRecipient) };
}

/** Pays `accounts` by one transferFrom each, in chunks; gas per recipient. */
async function push(accounts: string[]) {
  const baseline = (await deploySettlementBaseline()) as Contract;
  let total = 0;
  const amounts = payoutTable(accounts).map((row) => row.amount);
  for (let start = 0; start < accounts.length; start += PUSH_CHUNK) {
    const tx = await baseline.getFunction("pushAll")(
      deployment.token,
      accounts.slice(start, start + PUSH_CHUNK),
      amounts.slice(start, start + PUSH_CHUNK),
    );
    const receipt = await tx.wait();
    total += Number(receipt.gasUsed);
  }
  return Math.round(total / accounts.length);
}

let baselineContract: Contract | undefined;
async function deploySettlementBaseline() {
  if (baselineContract === undefined) {
    const artifact = await loadArtifact("PushPayoutBaseline");
    const { ContractFactory } = await import("ethers");
    const factory = new ContractFactory(artifact.abi as InterfaceAbi, artifact.bytecode, deployer);
    baselineContract = (await (await factory.deploy()).waitForDeployment()) as Contract;
    await stablecoin.getFunction("approve")(await baselineContract.getAddress(), 2n ** 255n);
  }
  return baselineContract;
}

// Holders of set A claim from the escrow as new holders; set B is pushed to as new holders.
const setA = holders("agora-bench-holder-a");
const setB = holders("agora-bench-holder-b");
const treeA = buildPayoutTree(payoutTable(setA));
const first = await settledTask(treeA);
const claimsNew = await claimAll(first.taskId, treeA);
const pushNew = await push(setB);
// Now both sets hold the token: set B claims from a second task, set A is pushed to again.
const treeB = buildPayoutTree(payoutTable(setB));
const second = await settledTask(treeB);
const claimsHeld = await claimAll(second.taskId, treeB);
const pushHeld = await push(setA);
const reclaim = gasOf(await escrow.reclaim(second.taskId));

// The coordinator's commit does not depend on the tree's size: compare with a 10-leaf table.
const small = await settledTask(buildPayoutTree(payoutTable(setA.slice(0, 10))));

const results = {
  createTask: second.gas.createTask,
  anchorAgreement: second.gas.anchorAgreement,
  commitPayouts: second.gas.commitPayouts,
  commitPayouts_10_leaves: small.gas.commitPayouts,
  attest: second.gas.attest,
  attest_finalizing: second.gas.attest_finalizing,
  claim_first: claimsHeld.first,
  claim_median: claimsHeld.median,
  claimMany_per_recipient: claimsHeld.batchedMedian,
  reclaim,
  push_per_recipient: pushHeld,
  claim_first_new_holder: claimsNew.first,
  claim_median_new_holder: claimsNew.median,
  claimMany_per_recipient_new_holder: claimsNew.batchedMedian,
  push_per_recipient_new_holder: pushNew,
};

const references: Partial<Record<keyof typeof results, string>> = {
  claim_median: "target <= 60,000; Uniswap MerkleDistributor ~78,000-81,000",
  claim_median_new_holder: "Uniswap MerkleDistributor ~78,000-81,000",
  claimMany_per_recipient: "target <= 45,000; UMA batched ~56,800",
  claimMany_per_recipient_new_holder: "UMA batched ~56,800",
  commitPayouts_10_leaves: "same as commitPayouts: cost independent of holders",
};

console.log(
  `\nsettlement gas, ${HOLDERS}-leaf tree, batches of ${BATCH} (chain: ${chain.label})\n`,
);
console.log(`${"operation".padEnd(36)} ${"gas".padStart(9)}  reference`);
for (const [operation, gas] of Object.entries(results)) {
  const reference = references[operation as keyof typeof results] ?? "";
  console.log(`${operation.padEnd(36)} ${gas.toLocaleString("en-US").padStart(9)}  ${reference}`);
}

const out = new URL("../bench/results/gas.json", import.meta.url);
await mkdir(new URL(".", out), { recursive: true });
await writeFile(
  out,
  `${JSON.stringify({ holders: HOLDERS, batchSize: BATCH, unit: "gas", ...results }, null, 2)}\n`,
);
console.log("\nwrote bench/results/gas.json");
await chain.close();
