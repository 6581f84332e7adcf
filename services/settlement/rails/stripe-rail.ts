import type { Kysely } from "kysely";
import type Stripe from "stripe";
import type { PayoutRecord } from "../../store/repositories/payouts-repository.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import { createRepositories } from "../../store/repositories.ts";
import type { Database } from "../../store/schema.ts";
import type { FundingInstructions, PaidOut, PaymentRail } from "./payment-rail.ts";
import { openStripeFunding } from "./stripe/stripe-funding.ts";
import { payOutByStripe } from "./stripe/stripe-payouts.ts";

/** Fiat through Stripe: PaymentIntents in (confirmed by webhook), Connect transfers out. */
export class StripeRail implements PaymentRail {
  readonly kind = "stripe" as const;
  readonly #stripe: Stripe;
  readonly #db: Kysely<Database>;

  constructor(stripe: Stripe, db: Kysely<Database>) {
    this.#stripe = stripe;
    this.#db = db;
  }

  async startFunding(task: TaskRecord): Promise<FundingInstructions> {
    const intent = await openStripeFunding(this.#stripe, task);
    return {
      rail: "stripe",
      paymentIntentId: intent.paymentIntentId,
      clientSecret: intent.clientSecret,
    };
  }

  async payOut(task: TaskRecord, payouts: readonly PayoutRecord[]): Promise<PaidOut[]> {
    const results = await payOutByStripe(
      { stripe: this.#stripe, ...createRepositories(this.#db) },
      task.currency,
      payouts,
    );
    return results.map((result) => ({ payoutId: result.payoutId, reference: result.transferId }));
  }
}
