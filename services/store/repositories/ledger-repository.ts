import { type Kysely, sql } from "kysely";
import { AgoraError } from "../../errors/agora-error.ts";
import { isCheckViolation, isUniqueViolation } from "../database-errors.ts";
import { inTransaction } from "../in-transaction.ts";
import { moneyFromColumn, moneyToColumn } from "../money.ts";
import type { Database } from "../schema.ts";

/** One leg of a journal entry: a signed amount on one account. Debits positive, credits negative. */
export interface Posting {
  account: string;
  currency: string;
  amount: bigint;
}

export interface JournalEntry {
  id: string;
  kind: string;
  /**
   * The real-world event this entry records (a Stripe transfer id, a claim's
   * transaction hash, a payout id). Unique: posting the same event twice is a
   * no-op, which makes every money movement idempotent under retry.
   */
  reference: string;
  taskId?: string | null;
  memo?: string | null;
  postings: Posting[];
}

/**
 * The double-entry ledger. Every entry balances per currency; the database
 * enforces it (a deferred constraint trigger checks each journal at commit) on
 * top of the check here, so no code path can write an unbalanced entry.
 */
export class LedgerRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Posts an entry. Returns `false` if an entry with this reference was already posted. */
  async post(entry: JournalEntry): Promise<boolean> {
    assertBalanced(entry);
    try {
      return await inTransaction(this.#db, async (trx) => {
        const journal = await trx
          .insertInto("ledger_journal")
          .values({
            id: entry.id,
            kind: entry.kind,
            reference: entry.reference,
            task_id: entry.taskId ?? null,
            memo: entry.memo ?? null,
          })
          .onConflict((oc) => oc.column("reference").doNothing())
          .executeTakeFirst();
        if (journal.numInsertedOrUpdatedRows !== 1n) return false;
        await trx
          .insertInto("ledger_postings")
          .values(
            entry.postings.map((posting) => ({
              journal_id: entry.id,
              account: posting.account,
              currency: posting.currency,
              amount: moneyToColumn(posting.amount),
            })),
          )
          .execute();
        return true;
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AgoraError("conflict", "Journal entry id already used", {
          detail: `Entry ${entry.id} exists under another reference.`,
        });
      }
      if (isCheckViolation(error)) {
        throw new AgoraError("invalid", "Journal entry does not balance", {
          detail: error instanceof Error ? error.message : String(error),
        });
      }
      throw error;
    }
  }

  /** Net balance of an account (debits minus credits) in one currency. */
  async balance(account: string, currency: string): Promise<bigint> {
    const row = await this.#db
      .selectFrom("ledger_postings")
      .select(sql<string>`coalesce(sum(amount), 0)::text`.as("total"))
      .where("account", "=", account)
      .where("currency", "=", currency)
      .executeTakeFirstOrThrow();
    return moneyFromColumn(row.total);
  }

  /** Balances of every account whose name starts with `prefix`, e.g. `holder:`. */
  async balances(prefix: string, currency: string): Promise<Map<string, bigint>> {
    const rows = await this.#db
      .selectFrom("ledger_postings")
      .select(["account", sql<string>`sum(amount)::text`.as("total")])
      .where("account", "like", `${prefix.replace(/[\\%_]/g, "\\$&")}%`)
      .where("currency", "=", currency)
      .groupBy("account")
      .orderBy("account")
      .execute();
    return new Map(rows.map((row) => [row.account, moneyFromColumn(row.total)]));
  }

  /** Sum of every posting in a currency: zero whenever the ledger is sound. */
  async trialBalance(currency: string): Promise<bigint> {
    const row = await this.#db
      .selectFrom("ledger_postings")
      .select(sql<string>`coalesce(sum(amount), 0)::text`.as("total"))
      .where("currency", "=", currency)
      .executeTakeFirstOrThrow();
    return moneyFromColumn(row.total);
  }
}

function assertBalanced(entry: JournalEntry): void {
  if (entry.postings.length < 2) {
    throw new AgoraError("invalid", "Journal entry needs at least two postings", {
      detail: `Entry ${entry.id} has ${entry.postings.length}.`,
    });
  }
  const totals = new Map<string, bigint>();
  for (const posting of entry.postings) {
    if (posting.amount === 0n) {
      throw new AgoraError("invalid", "Zero posting", {
        detail: `Entry ${entry.id} posts 0 to ${posting.account}.`,
      });
    }
    totals.set(posting.currency, (totals.get(posting.currency) ?? 0n) + posting.amount);
  }
  for (const [currency, total] of totals) {
    if (total !== 0n) {
      throw new AgoraError("invalid", "Journal entry does not balance", {
        detail: `Entry ${entry.id} is off by ${total} in ${currency}.`,
      });
    }
  }
}
