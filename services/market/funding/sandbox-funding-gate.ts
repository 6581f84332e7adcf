import { AgoraError } from "../../errors/agora-error.ts";
import type { LedgerRepository } from "../../store/repositories/ledger-repository.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import type { FundingConfirmation, FundingGate } from "./funding-gate.ts";

/**
 * SANDBOX ONLY: "funds" a task by a ledger entry, without any real money.
 * It debits the task's escrow account and credits the owner's sandbox
 * account, so the books show the budget as locked. Only tasks on the
 * `sandbox` rail are accepted; chain and Stripe tasks need the real gates
 * (escrow deposit, verified Stripe webhook) from the settlement service.
 */
export class SandboxFundingGate implements FundingGate {
  readonly #ledger: LedgerRepository;

  constructor(ledger: LedgerRepository) {
    this.#ledger = ledger;
  }

  async confirm(task: TaskRecord): Promise<FundingConfirmation> {
    if (task.rail !== "sandbox") {
      throw new AgoraError("unavailable", "Funding rail not available", {
        detail: `Task ${task.id} is on the ${task.rail} rail; only the sandbox rail can be funded here so far.`,
      });
    }
    const reference = `sandbox-funding:${task.id}`;
    // Posting is idempotent on the reference, so a retried funding locks the budget once.
    await this.#ledger.post({
      id: `journal-${reference}`,
      kind: "sandbox_funding",
      reference,
      taskId: task.id,
      memo: "sandbox funding: no real money moved",
      postings: [
        { account: `escrow:task:${task.id}`, currency: task.currency, amount: task.budget },
        {
          account: `sandbox:owner:${task.ownerAddress}`,
          currency: task.currency,
          amount: -task.budget,
        },
      ],
    });
    return { gate: "sandbox", reference, amount: task.budget };
  }
}
