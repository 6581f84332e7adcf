import type { Kysely } from "kysely";
import type Stripe from "stripe";
import { AgoraError } from "../../../errors/agora-error.ts";
import { LedgerRepository } from "../../../store/repositories/ledger-repository.ts";
import type { TaskRecord } from "../../../store/repositories/tasks-repository.ts";
import type { Database } from "../../../store/schema.ts";
import { refundEntry } from "../../ledger/accounts.ts";
import { taskIdMetadataKey } from "./stripe-funding.ts";

/** Marks a refund as the one that returns a task's unspent remainder. */
const refundKindMetadataKey = "agora_refund";
const remainderKind = "remainder";

/**
 * The idempotency key of a task's remainder refund: one per task's
 * settlement, so a retried call returns the first refund instead of
 * making a second.
 */
const remainderRefundKey = (taskId: string): string => `agora-refund-remainder-${taskId}`;

export interface RemainderRefund {
  refundId: string;
  paymentIntentId: string;
  amount: bigint;
  /** False when an earlier attempt had already made the refund (found by listing). */
  createdNow: boolean;
}

/**
 * The PaymentIntent that funded a Stripe task: the webhook books the
 * funding under the PaymentIntent's id, so the ledger names it.
 */
async function fundingPaymentIntentOf(db: Kysely<Database>, taskId: string): Promise<string> {
  const rows = await db
    .selectFrom("ledger_journal")
    .select("reference")
    .where("task_id", "=", taskId)
    .where("kind", "=", "funding")
    .execute();
  const intents = rows.map((row) => row.reference).filter((ref) => ref.startsWith("pi_"));
  if (intents.length !== 1) {
    throw new AgoraError("conflict", "No single Stripe payment funds this task", {
      detail: `Task ${taskId} has ${intents.length} PaymentIntent funding entries; refund it by hand.`,
    });
  }
  return intents[0] as string;
}

/**
 * Returns a Stripe task's unspent remainder to its owner, exactly once:
 * 1. read state first: list the PaymentIntent's refunds and take the one
 *    tagged as this task's remainder if an earlier attempt made it (its
 *    answer may have been lost, or the process died before booking it);
 * 2. otherwise refund with an idempotency key derived from the task, so
 *    even two racing attempts make one refund;
 * 3. book it under the refund's id (a repeat posts nothing).
 * A refund of another amount than the remainder stops settlement (409).
 */
export async function refundRemainderByStripe(
  deps: { stripe: Stripe; db: Kysely<Database> },
  task: Pick<TaskRecord, "id" | "ownerAddress" | "currency">,
  remainder: bigint,
): Promise<RemainderRefund | null> {
  if (remainder <= 0n) return null;
  if (remainder > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new AgoraError("invalid", "Refund too large for Stripe", { detail: task.id });
  }
  const paymentIntentId = await fundingPaymentIntentOf(deps.db, task.id);
  let refund: Stripe.Refund | undefined;
  for await (const existing of deps.stripe.refunds.list({
    payment_intent: paymentIntentId,
    limit: 100,
  })) {
    const tags = existing.metadata ?? {};
    if (tags[taskIdMetadataKey] === task.id && tags[refundKindMetadataKey] === remainderKind) {
      refund = existing;
      break;
    }
  }
  const createdNow = refund === undefined;
  refund ??= await deps.stripe.refunds.create(
    {
      payment_intent: paymentIntentId,
      amount: Number(remainder),
      reason: "requested_by_customer",
      metadata: { [taskIdMetadataKey]: task.id, [refundKindMetadataKey]: remainderKind },
    },
    { idempotencyKey: remainderRefundKey(task.id) },
  );
  if (BigInt(refund.amount) !== remainder) {
    throw new AgoraError("conflict", "Stripe refund does not match the remainder", {
      detail: `Refund ${refund.id} returned ${refund.amount}; the remainder of ${task.id} is ${remainder}.`,
    });
  }
  if (refund.status === "failed" || refund.status === "canceled") {
    throw new AgoraError("conflict", "Stripe refund did not go through", {
      detail: `Refund ${refund.id} of ${task.id} is ${refund.status}; an operator must look at it.`,
    });
  }
  await new LedgerRepository(deps.db).post(
    refundEntry({
      rail: "stripe",
      taskId: task.id,
      owner: task.ownerAddress,
      currency: task.currency,
      amount: remainder,
      reference: refund.id,
    }),
  );
  return { refundId: refund.id, paymentIntentId, amount: remainder, createdNow };
}
