import type { Kysely } from "kysely";
import { inTransaction } from "../../store/in-transaction.ts";
import type { PayoutRecord } from "../../store/repositories/payouts-repository.ts";
import type { TaskRecord } from "../../store/repositories/tasks-repository.ts";
import { createRepositories } from "../../store/repositories.ts";
import type { Database } from "../../store/schema.ts";
import { fundingEntry, payoutEntry } from "../ledger/accounts.ts";
import {
  type FundingInstructions,
  type PaidOut,
  type PaymentRail,
  sandboxLabel,
} from "./payment-rail.ts";

/**
 * The ledger entry that "funds" a sandbox task: the budget into the task's
 * escrow under one reference per task, so the rail and the market's funding
 * gate book the same entry and a task is never funded twice.
 */
export function sandboxFundingEntry(task: Pick<TaskRecord, "id" | "currency" | "budget">) {
  return fundingEntry({
    rail: "sandbox",
    taskId: task.id,
    currency: task.currency,
    amount: task.budget,
    reference: `sandbox-fund-${task.id}`,
  });
}

/**
 * The rail used when no Stripe keys are configured: it books the same ledger
 * entries a real rail would, against `rail:sandbox:cash`, and moves nothing.
 * Every reference it creates starts with `sandbox-` and its funding
 * instructions carry `sandboxLabel`, so it cannot pass for real money.
 */
export class SandboxRail implements PaymentRail {
  readonly kind = "sandbox" as const;
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Funds at once: the sandbox has no payment step to wait for. Idempotent per task. */
  async startFunding(task: TaskRecord): Promise<FundingInstructions> {
    const funding = sandboxFundingEntry(task);
    await inTransaction(this.#db, async (trx) => {
      const repos = createRepositories(trx);
      await repos.ledger.post(funding);
      const current = await repos.tasks.get(task.id);
      if (current.status === "draft") await repos.tasks.transition(task.id, "draft", "funded");
    });
    return { rail: "sandbox", reference: funding.reference, label: sandboxLabel };
  }

  async payOut(task: TaskRecord, payouts: readonly PayoutRecord[]): Promise<PaidOut[]> {
    const paid: PaidOut[] = [];
    for (const payout of payouts) {
      if (payout.rail !== "sandbox" || payout.amount === 0n) continue;
      const reference = `sandbox-${payout.id}`;
      await inTransaction(this.#db, async (trx) => {
        const repos = createRepositories(trx);
        await repos.ledger.post(
          payoutEntry({
            rail: "sandbox",
            taskId: task.id,
            holderId: payout.holderId,
            currency: task.currency,
            amount: payout.amount,
            reference,
            payoutId: payout.id,
          }),
        );
        await repos.payouts.markSent(payout.id, reference);
      });
      paid.push({ payoutId: payout.id, reference });
    }
    return paid;
  }
}
