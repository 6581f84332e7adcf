import type { Kysely, Selectable } from "kysely";
import { AgoraError } from "../../errors/agora-error.ts";
import { isUniqueViolation } from "../database-errors.ts";
import { jsonValue } from "../json-value.ts";
import { moneyFromColumn, moneyToColumn } from "../money.ts";
import type { Database, HoldersTable, Rail } from "../schema.ts";

/** A registered data holder: who it is, how it is paid, what it offers. */
export interface HolderRecord {
  id: string;
  address: string;
  payoutRail: Rail;
  /** Chain address for `chain`, Stripe connected account id for `stripe`. */
  payoutAccount: string;
  dataSummary: Record<string, unknown>;
  hardware: Record<string, unknown>;
  privacyEpsilon: number;
  privacyDelta: number;
  priceFloor: bigint;
  createdAt: Date;
  updatedAt: Date;
}

export type NewHolder = Omit<HolderRecord, "createdAt" | "updatedAt">;

const toRecord = (row: Selectable<HoldersTable>): HolderRecord => ({
  id: row.id,
  address: row.address,
  payoutRail: row.payout_rail,
  payoutAccount: row.payout_account,
  dataSummary: row.data_summary,
  hardware: row.hardware,
  privacyEpsilon: row.privacy_epsilon,
  privacyDelta: row.privacy_delta,
  priceFloor: moneyFromColumn(row.price_floor),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export class HoldersRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async register(holder: NewHolder): Promise<HolderRecord> {
    try {
      const row = await this.#db
        .insertInto("holders")
        .values({
          id: holder.id,
          address: holder.address.toLowerCase(),
          payout_rail: holder.payoutRail,
          payout_account: holder.payoutAccount,
          data_summary: jsonValue(holder.dataSummary),
          hardware: jsonValue(holder.hardware),
          privacy_epsilon: holder.privacyEpsilon,
          privacy_delta: holder.privacyDelta,
          price_floor: moneyToColumn(holder.priceFloor),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AgoraError("conflict", "Holder already registered", {
          detail: `A holder with id ${holder.id} or address ${holder.address} exists.`,
        });
      }
      throw error;
    }
  }

  async find(id: string): Promise<HolderRecord | undefined> {
    const row = await this.#db
      .selectFrom("holders")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async findByAddress(address: string): Promise<HolderRecord | undefined> {
    const row = await this.#db
      .selectFrom("holders")
      .selectAll()
      .where("address", "=", address.toLowerCase())
      .executeTakeFirst();
    return row && toRecord(row);
  }

  async get(id: string): Promise<HolderRecord> {
    const holder = await this.find(id);
    if (!holder) throw new AgoraError("not_found", "Holder not found", { detail: `Holder ${id}.` });
    return holder;
  }

  /** Changes a holder's own policy: price floor and privacy budget. */
  async updatePolicy(
    id: string,
    policy: Partial<Pick<HolderRecord, "priceFloor" | "privacyEpsilon" | "privacyDelta">>,
  ): Promise<HolderRecord> {
    const row = await this.#db
      .updateTable("holders")
      .set({
        updated_at: new Date(),
        ...(policy.priceFloor !== undefined && { price_floor: moneyToColumn(policy.priceFloor) }),
        ...(policy.privacyEpsilon !== undefined && { privacy_epsilon: policy.privacyEpsilon }),
        ...(policy.privacyDelta !== undefined && { privacy_delta: policy.privacyDelta }),
      })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new AgoraError("not_found", "Holder not found", { detail: `Holder ${id}.` });
    return toRecord(row);
  }
}
