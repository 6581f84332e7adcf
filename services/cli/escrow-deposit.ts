import { Contract, getAddress, type Provider, type Signer } from "ethers";
import { AgoraError } from "../errors/agora-error.ts";
import { escrowTermsFor } from "../market/funding/chain-funding-gate.ts";
import { EscrowClient } from "../settlement/chain/escrow-client.ts";
import { escrowTermsHashOf } from "../settlement/chain/escrow-task-terms.ts";
import { TransactionSender } from "../settlement/chain/transaction-sender.ts";

/** The slice of ERC-20 a deposit needs; any standard token has it, not only the test stablecoin. */
const erc20Abi = [
  "function approve(address spender, uint256 amount) returns (bool)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function balanceOf(address account) view returns (uint256)",
];

/** The task as GET /tasks/:id answers it (the fields a deposit reads). */
export interface DepositTask {
  id: string;
  /** Minor units, as the API's decimal string or a bigint. */
  budget: string | bigint;
  /** ISO 8601 text or a Date. */
  deadline: string | Date;
}

/** Where to deposit, as GET /settlement/chain answers it. */
export interface DepositTarget {
  /** Decimal string or bigint; the wallet's provider must serve this chain. */
  chainId: string | bigint;
  escrow: string;
  token: string;
  /** The coordinator the deployment settles with; the terms must name it. */
  coordinator: string;
}

/** The owner's choices that the escrow terms carry besides the budget. */
export interface DepositSettings {
  /** Auditors who may attest to or dispute the payouts (1 to the escrow's maximum). */
  auditors: readonly string[];
  /** Attestations that make the payouts final before the challenge window ends (1..auditors). */
  threshold: number;
  /** Seconds after the payout commit during which auditors may dispute. */
  challengeWindowS: number;
  /** Seconds after the task's deadline by which the coordinator must commit payouts. */
  commitGraceS: number;
}

/** What `depositToEscrow` did. */
export interface DepositResult {
  /** The escrow's id of the task, as `taskIdByTerms(owner, termsHash)` reads it. */
  escrowTaskId: bigint;
  termsHash: string;
  /** `deposited` now, or `already-deposited` (found on chain: nothing was sent). */
  outcome: "deposited" | "already-deposited";
  /** The `approve` transaction, when one was mined now (none when the allowance covered it). */
  approveTransaction?: string;
  /** The `createTask` transaction, when it was mined now. */
  depositTransaction?: string;
}

export interface DepositRequest {
  /** The task's owner, connected to a provider of the escrow's chain. */
  owner: Signer;
  task: DepositTask;
  target: DepositTarget;
  settings: DepositSettings;
  /**
   * The owner's one transaction sender, when the caller already has one (two senders of one
   * account must never send at the same time). Default: a new one for `owner`.
   */
  sender?: TransactionSender;
}

/**
 * Funds a chain-rail task from its owner's wallet: approves the budget to the escrow (skipped
 * when the allowance already covers it), then `createTask` under the task's terms hash, with
 * terms from `escrowTermsFor`. Safe to repeat: the escrow keys a task by owner and terms hash,
 * and a task already there is reported as `already-deposited` without sending anything, not even
 * an approve. It does not open bidding: POST /tasks/:id/fund does, once it sees the deposit.
 *
 * @throws AgoraError `invalid` when the provider serves another chain; `conflict` when the owner
 *   holds too little of the token or the escrow refuses the terms; `unavailable` when the chain
 *   does not confirm a transaction.
 */
export async function depositToEscrow(request: DepositRequest): Promise<DepositResult> {
  const { owner, task, target, settings } = request;
  const provider = providerOf(owner);
  const chainId = (await provider.getNetwork()).chainId;
  if (chainId !== BigInt(target.chainId)) {
    throw new AgoraError("invalid", "Wrong chain", {
      detail: `The RPC endpoint serves chain ${chainId}; the escrow is on chain ${target.chainId}.`,
    });
  }
  const sender = request.sender ?? new TransactionSender(owner, { confirmationTimeoutMs: 120_000 });
  const escrow = await EscrowClient.at(target.escrow, sender, provider);
  const ownerAddress = getAddress(await owner.getAddress());
  const termsHash = escrowTermsHashOf(task);
  const existing = await escrow.taskIdByTerms(ownerAddress, termsHash);
  if (existing !== 0n) return { escrowTaskId: existing, termsHash, outcome: "already-deposited" };

  const budget = BigInt(task.budget);
  const token = new Contract(target.token, erc20Abi, provider);
  const balance = (await token.getFunction("balanceOf")(ownerAddress)) as bigint;
  if (balance < budget) {
    throw new AgoraError("conflict", "Not enough tokens to deposit", {
      detail: `${ownerAddress} holds ${balance} of token ${target.token}; the budget is ${budget}.`,
    });
  }
  const deposited = async () => (await escrow.taskIdByTerms(ownerAddress, termsHash)) !== 0n;
  const approval = await sender.send({
    label: "approve",
    request: await token.getFunction("approve").populateTransaction(target.escrow, budget),
    // Covered already, or spent on a deposit that landed while we were not looking.
    alreadyApplied: async () =>
      ((await token.getFunction("allowance")(ownerAddress, target.escrow)) as bigint) >= budget ||
      (await deposited()),
  });
  const latest = await provider.getBlock("latest");
  const terms = escrowTermsFor(
    { id: task.id, budget, deadline: new Date(task.deadline) },
    {
      coordinator: target.coordinator,
      auditors: settings.auditors,
      threshold: settings.threshold,
      // Training counts as started from now: the owner cannot cancel once bidding opens.
      trainingStartsAt: latest?.timestamp ?? Math.floor(Date.now() / 1_000),
      commitGraceS: settings.commitGraceS,
      challengeWindowS: settings.challengeWindowS,
    },
  );
  const { taskId, outcome } = await escrow.createTask(terms);
  return {
    escrowTaskId: taskId,
    termsHash,
    outcome: outcome.kind === "mined" ? "deposited" : "already-deposited",
    ...(approval.kind === "mined" && { approveTransaction: approval.receipt.hash }),
    ...(outcome.kind === "mined" && { depositTransaction: outcome.receipt.hash }),
  };
}

function providerOf(signer: Signer): Provider {
  if (signer.provider === null) {
    throw new AgoraError("internal", "depositToEscrow needs a signer connected to a provider");
  }
  return signer.provider;
}
