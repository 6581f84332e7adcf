import { createHash } from "node:crypto";
import type { Kysely } from "kysely";
import type Stripe from "stripe";
import { AgoraError } from "../../../errors/agora-error.ts";
import { inTransaction } from "../../../store/in-transaction.ts";
import { createRepositories } from "../../../store/repositories.ts";
import type { Database } from "../../../store/schema.ts";
import { fundingEntry, suspenseEntry } from "../../ledger/accounts.ts";
import { taskIdMetadataKey } from "./stripe-funding.ts";

/** Stripe's own default: events signed more than five minutes ago are refused. */
export const defaultToleranceSeconds = 300;

/**
 * Checks a webhook delivery's `Stripe-Signature` against the raw body (the
 * exact bytes; a re-serialised JSON body would not match) and its timestamp
 * against the tolerance, so a tampered or replayed-late delivery is refused.
 */
export function verifyStripeWebhook(
  stripe: Stripe,
  rawBody: Buffer,
  signatureHeader: string | undefined,
  webhookSecret: string,
  toleranceSeconds = defaultToleranceSeconds,
): Stripe.Event {
  if (signatureHeader === undefined || signatureHeader === "") {
    throw new AgoraError("unauthorized", "Missing Stripe signature", {
      detail: "The Stripe-Signature header is required.",
    });
  }
  try {
    return stripe.webhooks.constructEvent(
      rawBody,
      signatureHeader,
      webhookSecret,
      toleranceSeconds,
    );
  } catch (error) {
    throw new AgoraError("unauthorized", "Invalid Stripe signature", {
      detail: error instanceof Error ? error.message : "The signature does not verify.",
      cause: error,
    });
  }
}

export type StripeEventOutcome =
  | { outcome: "duplicate" }
  | { outcome: "funded"; taskId: string }
  | { outcome: "ignored"; reason: string };

/**
 * Applies a verified event exactly once. The dedupe mark, the ledger entry
 * and the task's move to `funded` commit together, so a crash part-way leaves
 * nothing behind and Stripe's redelivery applies the event in full.
 */
export async function applyStripeEvent(
  db: Kysely<Database>,
  event: Stripe.Event,
): Promise<StripeEventOutcome> {
  const payloadHash = createHash("sha256").update(JSON.stringify(event)).digest("hex");
  return inTransaction(db, async (trx) => {
    const repos = createRepositories(trx);
    if (!(await repos.webhookEvents.markProcessed("stripe", event.id, event.type, payloadHash))) {
      return { outcome: "duplicate" };
    }
    if (event.type !== "payment_intent.succeeded") {
      return { outcome: "ignored", reason: `event type ${event.type} needs no action` };
    }
    const intent = event.data.object;
    const taskId = intent.metadata?.[taskIdMetadataKey];
    if (taskId === undefined) return { outcome: "ignored", reason: "not an Agora payment" };
    const task = await repos.tasks.find(taskId);
    if (!task) return { outcome: "ignored", reason: `unknown task ${taskId}` };
    const received = BigInt(intent.amount_received ?? intent.amount);
    if (received !== task.budget || intent.currency !== task.currency.toLowerCase()) {
      // The money is real, so it is booked, but to suspense: the task stays
      // unfunded until an operator refunds or reallocates it.
      await repos.ledger.post(
        suspenseEntry({
          rail: "stripe",
          currency: intent.currency,
          amount: received,
          reference: intent.id,
        }),
      );
      return {
        outcome: "ignored",
        reason: `paid ${received} ${intent.currency}, task needs ${task.budget} ${task.currency}`,
      };
    }
    await repos.ledger.post(
      fundingEntry({
        rail: "stripe",
        taskId,
        currency: task.currency,
        amount: received,
        reference: intent.id,
      }),
    );
    if (task.status === "draft") await repos.tasks.transition(taskId, "draft", "funded");
    return { outcome: "funded", taskId };
  });
}
