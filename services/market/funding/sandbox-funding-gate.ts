import { AgoraError } from "../../errors/agora-error.ts";
import { sandboxFundingEntry } from "../../settlement/rails/sandbox-rail.ts";
import type { LedgerRepository } from "../../store/repositories/ledger-repository.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import type { FundingConfirmation, FundingGate } from "./funding-gate.ts";

/**
 * SANDBOX ONLY: "funds" a task by a ledger entry, without any real money.
 * It books the same funding entry as a real rail (the sandbox's pretend cash
 * in, the task's escrow liability up) under a `sandbox-` reference, the one
 * the sandbox rail uses too, so the settle pipeline pays out of it and the
 * two cannot fund a task twice. Only tasks on the `sandbox` rail are
 * accepted; chain and Stripe tasks need the escrow deposit or the verified
 * Stripe webhook.
 */
export class SandboxFundingGate implements FundingGate {
  readonly #ledger: LedgerRepository;

  constructor(ledger: LedgerRepository) {
    this.#ledger = ledger;
  }

  async confirm(task: TaskRecord): Promise<FundingConfirmation> {
    if (task.rail !== "sandbox") {
      throw new AgoraError("unavailable", "Funding rail not available", {
        detail: `Task ${task.id} is on the ${task.rail} rail; only the sandbox rail can be funded here.`,
      });
    }
    const funding = sandboxFundingEntry(task);
    // Posting is idempotent on the reference, so a retried funding locks the budget once.
    await this.#ledger.post(funding);
    return { gate: "sandbox", reference: funding.reference, amount: task.budget };
  }
}
