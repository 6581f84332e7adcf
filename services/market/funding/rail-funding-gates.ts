import { AgoraError } from "../../errors/agora-error.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import type { FundingConfirmation, FundingGate } from "./funding-gate.ts";

/** The gates a deployment has: the sandbox always, the others where their rail is connected. */
export interface DeploymentGates {
  sandbox: FundingGate;
  /** The escrow-deposit gate; absent where the process has no chain connection. */
  chain?: FundingGate | undefined;
  /** Whether Stripe is configured; its tasks are funded by the verified webhook, not a gate. */
  stripe?: boolean;
}

/**
 * Picks each task's gate by its rail. Stripe has no gate to call: the
 * verified `payment_intent.succeeded` webhook funds the task itself, so a
 * Stripe task still in draft is simply not paid yet. A task on a rail this
 * deployment has not connected cannot be funded here: 503, naming what the
 * operator must configure, since the same task funds once the rail is on.
 */
export class RailFundingGates implements FundingGate {
  readonly #gates: DeploymentGates;

  constructor(gates: DeploymentGates) {
    this.#gates = gates;
  }

  confirm(task: TaskRecord): Promise<FundingConfirmation> {
    if (task.rail === "sandbox") return this.#gates.sandbox.confirm(task);
    if (task.rail === "chain" && this.#gates.chain !== undefined) {
      return this.#gates.chain.confirm(task);
    }
    if (task.rail === "stripe" && this.#gates.stripe === true) {
      throw new AgoraError("conflict", "Payment not received yet", {
        detail: `Task ${task.id} is funded when Stripe confirms its PaymentIntent by webhook.`,
      });
    }
    throw new AgoraError("unavailable", "Funding rail not available", {
      detail: `Task ${task.id} is on the ${task.rail} rail, which this deployment has not connected (${railSettings[task.rail]}).`,
    });
  }
}

/** What an operator sets to connect each rail, for the error that says it is missing. */
const railSettings: Record<TaskRecord["rail"], string> = {
  chain: "CHAIN_RPC_URL, CHAIN_PRIVATE_KEY and AGORA_ESCROW_ADDRESS",
  stripe: "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET",
  sandbox: "always available",
};
