import { getAddress, type Provider, toBeHex } from "ethers";
import { AgoraError } from "../../errors/agora-error.ts";
import type { EscrowClient } from "../../settlement/chain/escrow-client.ts";
import { escrowTaskIdOf, escrowTermsHashOf } from "../../settlement/chain/escrow-task-terms.ts";
import type { TaskTerms } from "../../settlement/chain/escrow-types.ts";
import { readEscrowEvents } from "../../settlement/chain/event-reader.ts";
import { fundingEntry } from "../../settlement/ledger/accounts.ts";
import type { LedgerRepository } from "../../store/repositories/ledger-repository.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import type { FundingConfirmation, FundingGate } from "./funding-gate.ts";

export interface ChainFundingGateOptions {
  escrow: EscrowClient;
  provider: Provider;
  ledger: LedgerRepository;
  /** The coordinator account that settles; a deposit naming anyone else could not be paid out. */
  coordinator: string;
  /** Blocks the deposit must be buried under before bidding opens. Default 1 (mined). */
  confirmations?: number;
  /** First block to look for the deposit in (the escrow's deployment block). Default 0. */
  fromBlock?: number;
}

/** What an owner's wallet passes to `createTask` (or `createTaskWithPermit`) to fund a task. */
export function escrowTermsFor(
  task: Pick<TaskRecord, "id" | "budget" | "deadline">,
  settings: {
    coordinator: string;
    auditors: readonly string[];
    threshold: number;
    /** Unix seconds; defaults to now, so the owner cannot cancel once bidding opened. */
    trainingStartsAt: number;
    /** Seconds after the task's deadline by which payouts must be committed. */
    commitGraceS: number;
    challengeWindowS: number;
  },
): TaskTerms {
  return {
    termsHash: escrowTermsHashOf(task),
    coordinator: settings.coordinator,
    auditors: settings.auditors,
    threshold: settings.threshold,
    budget: task.budget,
    trainingStartsAt: settings.trainingStartsAt,
    commitDeadline: Math.floor(task.deadline.getTime() / 1_000) + settings.commitGraceS,
    challengeWindow: settings.challengeWindowS,
  };
}

/**
 * Confirms a chain task's funding from chain state alone: the escrow holds a
 * task its owner created under the task's terms hash, still funded, with the
 * whole budget, our coordinator, and a commit deadline after the task's
 * deadline; and the deposit transaction is deep enough. The owner deposits
 * from its own wallet (`createTask`, or `createTaskWithPermit` in one
 * transaction); nothing here trusts the owner's word. The deposit is booked
 * in the ledger under its transaction hash, once however often this runs.
 */
export class ChainFundingGate implements FundingGate {
  readonly #options: ChainFundingGateOptions;

  constructor(options: ChainFundingGateOptions) {
    this.#options = options;
  }

  async confirm(task: TaskRecord): Promise<FundingConfirmation> {
    const { escrow, provider, ledger } = this.#options;
    if (task.rail !== "chain") {
      throw new AgoraError("conflict", "Task is not funded on chain", {
        detail: `Task ${task.id} uses the ${task.rail} rail.`,
      });
    }
    const chainTaskId = await escrowTaskIdOf(escrow, task);
    if (chainTaskId === 0n) {
      throw new AgoraError("conflict", "No escrow deposit yet", {
        detail: `Deposit ${task.budget} into escrow ${escrow.address} with termsHash ${escrowTermsHashOf(task)} from ${task.ownerAddress}.`,
      });
    }
    const deposit = await escrow.getTask(chainTaskId);
    const problems: string[] = [];
    if (deposit.status !== "funded") problems.push(`the escrow task is ${deposit.status}`);
    if (deposit.deposit !== task.budget) {
      problems.push(`it holds ${deposit.deposit}, the budget is ${task.budget}`);
    }
    if (getAddress(deposit.coordinator) !== getAddress(this.#options.coordinator)) {
      problems.push(`its coordinator is ${deposit.coordinator}`);
    }
    if (deposit.commitDeadline * 1_000 <= task.deadline.getTime()) {
      problems.push("its commit deadline is not after the task's deadline");
    }
    if (problems.length > 0) {
      throw new AgoraError("conflict", "Escrow deposit does not fund this task", {
        detail: `Escrow task ${chainTaskId}: ${problems.join("; ")}.`,
      });
    }
    const [created] = await readEscrowEvents(provider, escrow, {
      fromBlock: this.#options.fromBlock ?? 0,
      taskId: chainTaskId,
      names: ["TaskCreated"],
    });
    if (created === undefined) {
      throw new AgoraError("unavailable", "Deposit not visible yet", {
        detail: `The node has not returned the TaskCreated log of escrow task ${chainTaskId}.`,
      });
    }
    const depth = (await provider.getBlockNumber()) - created.blockNumber + 1;
    const confirmations = this.#options.confirmations ?? 1;
    if (depth < confirmations) {
      throw new AgoraError("unavailable", "Deposit not confirmed yet", {
        detail: `${depth} of ${confirmations} confirmations; retry shortly.`,
      });
    }
    await ledger.post(
      fundingEntry({
        rail: "chain",
        taskId: task.id,
        currency: task.currency,
        amount: deposit.deposit,
        reference: created.transactionHash,
      }),
    );
    return {
      gate: "chain",
      reference: created.transactionHash,
      amount: deposit.deposit,
      chainTaskId: toBeHex(chainTaskId, 32),
    };
  }
}
