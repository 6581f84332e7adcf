import type Stripe from "stripe";
import { AgoraError } from "../../../errors/agora-error.ts";
import type { TaskRecord } from "../../../store/repositories/tasks-repository.ts";

/** What the owner's client needs to pay for a task (Stripe.js confirms with the secret). */
export interface FundingIntent {
  paymentIntentId: string;
  clientSecret: string;
  amount: bigint;
  currency: string;
}

/** The metadata key that ties a Stripe object to an Agora task. */
export const taskIdMetadataKey = "agora_task_id";

/**
 * Opens (or, on retry, reopens the same) PaymentIntent for a task's budget.
 * The task is funded only when Stripe's signed `payment_intent.succeeded`
 * webhook says so, never on the client's word.
 */
export async function openStripeFunding(stripe: Stripe, task: TaskRecord): Promise<FundingIntent> {
  if (task.rail !== "stripe") {
    throw new AgoraError("conflict", "Task is not paid through Stripe", {
      detail: `Task ${task.id} uses the ${task.rail} rail.`,
    });
  }
  if (task.budget > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new AgoraError("invalid", "Budget too large for Stripe", {
      detail: `Stripe amounts are integers below 2^53; ${task.budget} is not.`,
    });
  }
  const intent = await stripe.paymentIntents.create(
    {
      amount: Number(task.budget),
      currency: task.currency.toLowerCase(),
      transfer_group: task.id,
      metadata: { [taskIdMetadataKey]: task.id },
      description: `Agora task ${task.id}`,
    },
    { idempotencyKey: `agora-fund-${task.id}` },
  );
  if (intent.client_secret === null) {
    throw new AgoraError("unavailable", "Stripe returned no client secret", { detail: intent.id });
  }
  return {
    paymentIntentId: intent.id,
    clientSecret: intent.client_secret,
    amount: BigInt(intent.amount),
    currency: intent.currency,
  };
}
