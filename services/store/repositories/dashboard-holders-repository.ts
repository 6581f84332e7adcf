import { type Kysely, sql } from "kysely";
import { moneyFromColumn } from "../money.ts";
import type { Database, PayoutStatus, Rail, TaskStatus } from "../schema.ts";

/** One payout to a holder, with what the dashboard needs of its task. */
export interface DashboardHolderPayout {
  taskId: string;
  taskName: string | null;
  taskStatus: TaskStatus;
  currency: string;
  rail: Rail;
  base: bigint;
  bonus: bigint;
  amount: bigint;
  status: PayoutStatus;
  updatedAt: Date;
}

/**
 * What the public pages show of a holder: its id, address and payout rail.
 * Never the payout account (a Stripe account id), price floor, data summary
 * or hardware: those are the holder's business.
 */
export interface DashboardPublicHolder {
  id: string;
  address: string;
  payoutRail: Rail;
  privacyEpsilon: number;
  privacyDelta: number;
  createdAt: Date;
}

/** Read-only queries behind the dashboard's holder pages; nothing here writes. */
export class DashboardHoldersRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async publicProfiles(ids: readonly string[]): Promise<Map<string, DashboardPublicHolder>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#db
      .selectFrom("holders")
      .select(["id", "address", "payout_rail", "privacy_epsilon", "privacy_delta", "created_at"])
      .where("id", "in", [...new Set(ids)])
      .execute();
    return new Map(
      rows.map((row) => [
        row.id,
        {
          id: row.id,
          address: row.address,
          payoutRail: row.payout_rail,
          privacyEpsilon: row.privacy_epsilon,
          privacyDelta: row.privacy_delta,
          createdAt: row.created_at,
        },
      ]),
    );
  }

  /** Every payout line of the holder across tasks, newest first. */
  async payouts(holderId: string, limit = 500): Promise<DashboardHolderPayout[]> {
    const rows = await this.#db
      .selectFrom("payouts")
      .innerJoin("tasks", "tasks.id", "payouts.task_id")
      .select([
        "payouts.task_id",
        "payouts.rail",
        "payouts.base_amount",
        "payouts.bonus_amount",
        "payouts.amount",
        "payouts.status",
        "payouts.updated_at",
        "tasks.currency",
        "tasks.status as task_status",
        sql<string | null>`tasks.spec -> 'model' ->> 'name'`.as("task_name"),
      ])
      .where("payouts.holder_id", "=", holderId)
      .orderBy("payouts.created_at", "desc")
      .orderBy("payouts.task_id")
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      taskId: row.task_id,
      taskName: row.task_name,
      taskStatus: row.task_status,
      currency: row.currency,
      rail: row.rail,
      base: moneyFromColumn(row.base_amount),
      bonus: moneyFromColumn(row.bonus_amount),
      amount: moneyFromColumn(row.amount),
      status: row.status,
      updatedAt: row.updated_at,
    }));
  }
}
