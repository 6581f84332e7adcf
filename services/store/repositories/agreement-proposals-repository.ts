import type { Kysely, Selectable } from "kysely";
import { AgoraError } from "../../errors/agora-error.ts";
import { inTransaction } from "../in-transaction.ts";
import { jsonValue } from "../json-value.ts";
import { moneyFromColumn, moneyToColumn } from "../money.ts";
import type { AgreementProposalsTable, Database } from "../schema.ts";

/** Terms offered to one winner, with whichever signatures have arrived. */
export interface AgreementProposalRecord {
  taskId: string;
  holderId: string;
  terms: Record<string, unknown>;
  termsHash: string;
  price: bigint;
  ownerSignature: string | null;
  holderSignature: string | null;
  createdAt: Date;
}

export type NewAgreementProposal = Pick<
  AgreementProposalRecord,
  "taskId" | "holderId" | "terms" | "termsHash" | "price"
>;

const toRecord = (row: Selectable<AgreementProposalsTable>): AgreementProposalRecord => ({
  taskId: row.task_id,
  holderId: row.holder_id,
  terms: row.terms,
  termsHash: row.terms_hash,
  price: moneyFromColumn(row.price),
  ownerSignature: row.owner_signature,
  holderSignature: row.holder_signature,
  createdAt: row.created_at,
});

export class AgreementProposalsRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async propose(proposals: readonly NewAgreementProposal[]): Promise<void> {
    if (proposals.length === 0) return;
    await this.#db
      .insertInto("agreement_proposals")
      .values(
        proposals.map((proposal) => ({
          task_id: proposal.taskId,
          holder_id: proposal.holderId,
          terms: jsonValue(proposal.terms),
          terms_hash: proposal.termsHash,
          price: moneyToColumn(proposal.price),
        })),
      )
      .onConflict((conflict) => conflict.columns(["task_id", "holder_id"]).doNothing())
      .execute();
  }

  async get(taskId: string, holderId: string): Promise<AgreementProposalRecord> {
    const row = await this.#db
      .selectFrom("agreement_proposals")
      .selectAll()
      .where("task_id", "=", taskId)
      .where("holder_id", "=", holderId)
      .executeTakeFirst();
    if (!row) {
      throw new AgoraError("not_found", "No agreement proposed", {
        detail: `Task ${taskId} proposes no agreement to holder ${holderId}.`,
      });
    }
    return toRecord(row);
  }

  async listForTask(taskId: string): Promise<AgreementProposalRecord[]> {
    const rows = await this.#db
      .selectFrom("agreement_proposals")
      .selectAll()
      .where("task_id", "=", taskId)
      .orderBy("holder_id")
      .execute();
    return rows.map(toRecord);
  }

  async listForHolder(holderId: string): Promise<AgreementProposalRecord[]> {
    const rows = await this.#db
      .selectFrom("agreement_proposals")
      .selectAll()
      .where("holder_id", "=", holderId)
      .orderBy("created_at")
      .execute();
    return rows.map(toRecord);
  }

  /**
   * Stores one party's verified signature. Once both parties have signed, the
   * agreement row is written in the same transaction (once: a retry finds it).
   * Returns the proposal and whether the agreement is now complete.
   */
  async sign(
    taskId: string,
    holderId: string,
    party: "owner" | "holder",
    signature: string,
  ): Promise<{ proposal: AgreementProposalRecord; complete: boolean }> {
    // Joins a caller's transaction, so the market can log the signature in it.
    return inTransaction(this.#db, async (trx) => {
      const row = await trx
        .updateTable("agreement_proposals")
        .set(party === "owner" ? { owner_signature: signature } : { holder_signature: signature })
        .where("task_id", "=", taskId)
        .where("holder_id", "=", holderId)
        .returningAll()
        .executeTakeFirst();
      if (!row) {
        throw new AgoraError("not_found", "No agreement proposed", {
          detail: `Task ${taskId} proposes no agreement to holder ${holderId}.`,
        });
      }
      const proposal = toRecord(row);
      if (proposal.ownerSignature === null || proposal.holderSignature === null) {
        return { proposal, complete: false };
      }
      await trx
        .insertInto("agreements")
        .values({
          id: `agreement-${taskId}-${holderId}`,
          task_id: taskId,
          holder_id: holderId,
          terms: jsonValue(proposal.terms),
          terms_hash: proposal.termsHash,
          price: moneyToColumn(proposal.price),
          owner_signature: proposal.ownerSignature,
          holder_signature: proposal.holderSignature,
        })
        .onConflict((conflict) => conflict.columns(["task_id", "holder_id"]).doNothing())
        .execute();
      return { proposal, complete: true };
    });
  }

  /** How many proposals of a task still lack a signature. */
  async unsignedCount(taskId: string): Promise<number> {
    const row = await this.#db
      .selectFrom("agreement_proposals")
      .select((eb) => eb.fn.countAll<string>().as("count"))
      .where("task_id", "=", taskId)
      .where((eb) => eb.or([eb("owner_signature", "is", null), eb("holder_signature", "is", null)]))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
