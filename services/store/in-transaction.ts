import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.ts";

/**
 * Runs `work` in a transaction, joining the caller's if `db` already is one.
 * Repositories use it so that a use case can group several of their writes
 * (say, a webhook's dedupe mark and the ledger entry it causes) atomically.
 */
export function inTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return db.isTransaction
    ? work(db as Transaction<Database>)
    : db.transaction().execute((trx) => work(trx));
}
