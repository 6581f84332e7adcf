import type { Kysely } from "kysely";
import type Stripe from "stripe";
import { stripeEventApplied, taskStatusChanged } from "../audit/audit-events.ts";
import { AuditLog } from "../audit/audit-log.ts";
import { taskIdMetadataKey } from "../settlement/rails/stripe/stripe-funding.ts";
import {
  applyStripeEvent,
  type StripeEventOutcome,
} from "../settlement/rails/stripe/stripe-webhook.ts";
import { inTransaction } from "../store/in-transaction.ts";
import { TasksRepository } from "../store/repositories/tasks-repository.ts";
import type { Database } from "../store/schema.ts";

/**
 * Applies a verified Stripe event and logs it in the same transaction: a
 * `rail.stripe` entry with what applying it did, and `task.funded` when it
 * moved a task out of draft (with the PaymentIntent as the proof). A
 * redelivery is a duplicate to the event store and to the log alike.
 */
export function applyAndLogStripeEvent(
  db: Kysely<Database>,
  event: Stripe.Event,
): Promise<StripeEventOutcome> {
  return inTransaction(db, async (trx) => {
    const intent =
      event.type === "payment_intent.succeeded"
        ? (event.data.object as Stripe.PaymentIntent)
        : null;
    const taskId = intent?.metadata?.[taskIdMetadataKey];
    const tasks = new TasksRepository(trx);
    const before = taskId === undefined ? undefined : await tasks.find(taskId);
    const outcome = await applyStripeEvent(trx, event);
    if (outcome.outcome === "duplicate") return outcome;
    const log = new AuditLog(trx);
    await log.append(...stripeEventApplied(event, outcome));
    const after = before === undefined ? undefined : await tasks.find(before.id);
    if (before !== undefined && after !== undefined && after.status !== before.status) {
      const funding = {
        gate: "stripe",
        reference: intent?.id,
        amount: String(intent?.amount_received ?? intent?.amount),
      };
      await log.append(...taskStatusChanged(before.status, after, "stripe", { funding }));
    }
    return outcome;
  });
}
