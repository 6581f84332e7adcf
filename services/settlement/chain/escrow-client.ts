import {
  Contract,
  type ContractRunner,
  Interface,
  type InterfaceAbi,
  type TransactionRequest,
} from "ethers";
import { AgoraError } from "../../errors/agora-error.ts";
import { loadArtifact } from "./artifacts.ts";
import {
  type EscrowTask,
  type PayoutClaim,
  TASK_STATUSES,
  type TaskTerms,
  ZERO_HASH,
} from "./escrow-types.ts";
import type { SendOutcome, TransactionSender } from "./transaction-sender.ts";

/** A write's outcome, plus the task id for `createTask`. */
export type EscrowWrite = SendOutcome;

/** The task struct as ethers decodes it: named fields on a Result. */
interface RawTaskView {
  status: bigint;
  threshold: bigint;
  attestations: bigint;
  auditorCount: bigint;
  challengeEndsAt: bigint;
  trainingStartsAt: bigint;
  commitDeadline: bigint;
  challengeWindow: bigint;
  commitNumber: bigint;
  remainderReclaimed: boolean;
  claimable: boolean;
  owner: string;
  coordinator: string;
  deposit: bigint;
  committedTotal: bigint;
  claimed: bigint;
  payoutRoot: string;
  termsHash: string;
  agreementHash: string;
  reportHash: string;
}

const sameHash = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Typed access to one deployed `AgoraSettlementEscrow`, over the ABI in Hardhat's artifacts.
 * Reads go straight to the provider; every write goes through a `TransactionSender` with a
 * chain-state check, so a retried write never applies twice.
 */
export class EscrowClient {
  readonly address: string;
  readonly interface: Interface;
  private readonly contract: Contract;
  private readonly sender: TransactionSender;

  private constructor(
    address: string,
    abi: InterfaceAbi,
    sender: TransactionSender,
    reader: ContractRunner,
  ) {
    this.address = address;
    this.interface = new Interface(abi);
    this.contract = new Contract(address, this.interface, reader);
    this.sender = sender;
  }

  /** Connects to the escrow at `address`; reads use `reader` (default: the sender's signer). */
  static async at(
    address: string,
    sender: TransactionSender,
    reader?: ContractRunner,
  ): Promise<EscrowClient> {
    const artifact = await loadArtifact("AgoraSettlementEscrow");
    return new EscrowClient(address, artifact.abi as InterfaceAbi, sender, reader ?? sender.signer);
  }

  /** The same escrow, writing through another account (an auditor, the owner). */
  withSender(sender: TransactionSender): EscrowClient {
    return new EscrowClient(this.address, this.interface.fragments, sender, sender.signer);
  }

  // ------------------------------------------------------------------ reads

  async token(): Promise<string> {
    return (await this.contract.getFunction("token")()) as string;
  }

  async getTask(taskId: bigint): Promise<EscrowTask> {
    const raw = (await this.contract.getFunction("getTask")(taskId)) as RawTaskView;
    const status = TASK_STATUSES[Number(raw.status)];
    if (status === undefined) throw new AgoraError("internal", `Unknown task status ${raw.status}`);
    return {
      status,
      threshold: Number(raw.threshold),
      attestations: Number(raw.attestations),
      auditorCount: Number(raw.auditorCount),
      challengeEndsAt: Number(raw.challengeEndsAt),
      trainingStartsAt: Number(raw.trainingStartsAt),
      commitDeadline: Number(raw.commitDeadline),
      challengeWindow: Number(raw.challengeWindow),
      commitNumber: Number(raw.commitNumber),
      remainderReclaimed: raw.remainderReclaimed,
      claimable: raw.claimable,
      owner: raw.owner,
      coordinator: raw.coordinator,
      deposit: raw.deposit,
      committedTotal: raw.committedTotal,
      claimed: raw.claimed,
      payoutRoot: raw.payoutRoot,
      termsHash: raw.termsHash,
      agreementHash: raw.agreementHash,
      reportHash: raw.reportHash,
    };
  }

  /** Calls any view of the escrow; for views without a typed method above. */
  async contractCall<T>(method: string, args: readonly unknown[]): Promise<T> {
    return (await this.contract.getFunction(method)(...args)) as T;
  }

  async taskIdByTerms(owner: string, termsHash: string): Promise<bigint> {
    return (await this.contract.getFunction("taskIdByTerms")(owner, termsHash)) as bigint;
  }

  async isClaimed(taskId: bigint, index: bigint): Promise<boolean> {
    return (await this.contract.getFunction("isClaimed")(taskId, index)) as boolean;
  }

  async hasAttested(taskId: bigint, auditor: string): Promise<boolean> {
    return (await this.contract.getFunction("hasAttested")(taskId, auditor)) as boolean;
  }

  // ----------------------------------------------------------------- writes

  /**
   * Funds a task; the sender's account is the owner and must have approved the budget. A retry
   * after a lost receipt finds the task by (owner, termsHash) instead of funding it twice.
   */
  async createTask(terms: TaskTerms): Promise<{ taskId: bigint; outcome: EscrowWrite }> {
    const owner = await this.sender.address();
    const outcome = await this.write(
      "createTask",
      [termsTuple(terms)],
      async () => (await this.taskIdByTerms(owner, terms.termsHash)) !== 0n,
    );
    const taskId = await this.taskIdByTerms(owner, terms.termsHash);
    return { taskId, outcome };
  }

  /** Anchors the signed agreement's hash; a no-op when that hash is already anchored. */
  anchorAgreement(taskId: bigint, agreementHash: string): Promise<EscrowWrite> {
    return this.write("anchorAgreement", [taskId, agreementHash], async () =>
      sameHash((await this.getTask(taskId)).agreementHash, agreementHash),
    );
  }

  /**
   * Commits the payout root. Idempotent: if the task already carries this root, nothing is sent;
   * a different root already committed makes the contract revert, as it should.
   */
  commitPayouts(
    taskId: bigint,
    root: string,
    total: bigint,
    reportHash: string,
  ): Promise<EscrowWrite> {
    return this.write("commitPayouts", [taskId, root, total, reportHash], async () => {
      const task = await this.getTask(taskId);
      return task.status !== "funded" && sameHash(task.payoutRoot, root);
    });
  }

  /** Attests the committed root as the sender's auditor account; a no-op if already attested. */
  async attest(taskId: bigint, root: string): Promise<EscrowWrite> {
    const auditor = await this.sender.address();
    return this.write("attest", [taskId, root], () => this.hasAttested(taskId, auditor));
  }

  /** Disputes the committed payouts; a no-op if the task is already disputed or settled by the arbiter. */
  dispute(taskId: bigint, reasonHash: string): Promise<EscrowWrite> {
    return this.write("dispute", [taskId, reasonHash], async () => {
      const status = (await this.getTask(taskId)).status;
      return status === "disputed";
    });
  }

  /** Claims one leaf; a no-op if it was already claimed (by anyone, for the same account). */
  claim(taskId: bigint, leaf: PayoutClaim): Promise<EscrowWrite> {
    return this.write(
      "claim",
      [taskId, leaf.index, leaf.account, leaf.amount, [...leaf.proof]],
      () => this.isClaimed(taskId, leaf.index),
    );
  }

  /**
   * Claims a batch of leaves in one transaction. Leaves already claimed are left out first, so a
   * retried batch pays only what is still owed.
   */
  async claimMany(taskId: bigint, leaves: readonly PayoutClaim[]): Promise<EscrowWrite> {
    const open: PayoutClaim[] = [];
    for (const leaf of leaves) if (!(await this.isClaimed(taskId, leaf.index))) open.push(leaf);
    if (open.length === 0) return { kind: "already-applied", attempts: 0 };
    const tuples = open.map((leaf) => [leaf.index, leaf.account, leaf.amount, [...leaf.proof]]);
    return this.write("claimMany", [taskId, tuples], async () => {
      for (const leaf of open) if (!(await this.isClaimed(taskId, leaf.index))) return false;
      return true;
    });
  }

  /** Returns the unspent remainder (or the whole deposit after a missed deadline) to the owner. */
  reclaim(taskId: bigint): Promise<EscrowWrite> {
    return this.write("reclaim", [taskId], async () => {
      const task = await this.getTask(taskId);
      return task.status === "refunded" || task.remainderReclaimed;
    });
  }

  /** Cancels the task before training and refunds the owner. */
  cancel(taskId: bigint): Promise<EscrowWrite> {
    return this.write(
      "cancel",
      [taskId],
      async () => (await this.getTask(taskId)).status === "cancelled",
    );
  }

  /** Arbiter: settles a dispute with a corrected table. */
  resolveByCommit(
    taskId: bigint,
    root: string,
    total: bigint,
    reportHash: string,
  ): Promise<EscrowWrite> {
    return this.write("resolveByCommit", [taskId, root, total, reportHash], async () => {
      const task = await this.getTask(taskId);
      return task.status === "finalized" && sameHash(task.payoutRoot, root);
    });
  }

  /** Arbiter: settles a dispute by refunding the owner. */
  resolveByRefund(taskId: bigint): Promise<EscrowWrite> {
    return this.write(
      "resolveByRefund",
      [taskId],
      async () => (await this.getTask(taskId)).status === "refunded",
    );
  }

  /**
   * Sends any escrow method without the already-applied check, so the contract itself gives the
   * verdict (its custom error on a repeat). For arbiters' tools and tests.
   */
  sendUnchecked(method: string, args: readonly unknown[]): Promise<EscrowWrite> {
    return this.sender.send({
      label: method,
      request: this.populate(method, args),
      errorInterface: this.interface,
    });
  }

  /** The raw transaction of a call, for callers that batch or simulate. */
  populate(method: string, args: readonly unknown[]): TransactionRequest {
    return { to: this.address, data: this.interface.encodeFunctionData(method, args) };
  }

  private write(method: string, args: readonly unknown[], alreadyApplied: () => Promise<boolean>) {
    if (args.some((arg) => arg === ZERO_HASH)) {
      throw new AgoraError("invalid", `${method} needs non-zero hashes`);
    }
    return this.sender.send({
      label: method,
      request: this.populate(method, args),
      alreadyApplied,
      errorInterface: this.interface,
    });
  }
}

/** The `TaskTerms` tuple in ABI field order. */
export function termsTuple(terms: TaskTerms) {
  return [
    terms.termsHash,
    terms.coordinator,
    [...terms.auditors],
    terms.threshold,
    terms.budget,
    terms.trainingStartsAt,
    terms.commitDeadline,
    terms.challengeWindow,
  ];
}
