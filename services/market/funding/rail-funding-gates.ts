import { AgoraError } from "../../errors/agora-error.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import type { FundingConfirmation, FundingGate } from "./funding-gate.ts";

/**
 * Picks each task's gate by its rail. Stripe has no gate to call: the
 * verified `payment_intent.succeeded` webhook funds the task itself, so a
 * Stripe task still in draft is simply not paid yet.
 */
export class RailFundingGates implements FundingGate {
  readonly #gates: { sandbox: FundingGate; chain?: FundingGate | undefined };

  constructor(gates: { sandbox: FundingGate; chain?: FundingGate | undefined }) {
    this.#gates = gates;
  }

  confirm(task: TaskRecord): Promise<FundingConfirmation> {
    if (task.rail === "sandbox") return this.#gates.sandbox.confirm(task);
    if (task.rail === "chain" && this.#gates.chain !== undefined) {
      return this.#gates.chain.confirm(task);
    }
    if (task.rail === "stripe") {
      throw new AgoraError("conflict", "Payment not received yet", {
        detail: `Task ${task.id} is funded when Stripe confirms its PaymentIntent by webhook.`,
      });
    }
    throw new AgoraError("unavailable", "Funding rail not available", {
      detail: `This deployment has no ${task.rail} connection.`,
    });
  }
}
