import type { Kysely, Selectable } from "kysely";
import { moneyFromColumn } from "../money.ts";
import type { AgreementsTable, Database } from "../schema.ts";

/** An agreement both the owner and a winning holder signed (written by the agreement proposals). */
export interface AgreementRecord {
  id: string;
  taskId: string;
  holderId: string;
  terms: Record<string, unknown>;
  termsHash: string;
  /** The agreed base price, minor units. */
  price: bigint;
  anchorTx: string | null;
  createdAt: Date;
}

const toRecord = (row: Selectable<AgreementsTable>): AgreementRecord => ({
  id: row.id,
  taskId: row.task_id,
  holderId: row.holder_id,
  terms: row.terms,
  termsHash: row.terms_hash,
  price: moneyFromColumn(row.price),
  anchorTx: row.anchor_tx,
  createdAt: row.created_at,
});

/** Reads signed agreements; they are written only together with the second signature. */
export class AgreementsRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async listForTask(taskId: string): Promise<AgreementRecord[]> {
    const rows = await this.#db
      .selectFrom("agreements")
      .selectAll()
      .where("task_id", "=", taskId)
      .orderBy("holder_id")
      .execute();
    return rows.map(toRecord);
  }
}
