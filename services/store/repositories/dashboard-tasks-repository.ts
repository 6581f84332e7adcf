import { type Kysely, sql } from "kysely";
import { moneyFromColumn } from "../money.ts";
import type { Database, Rail, TaskStatus } from "../schema.ts";

/** One line of the public task list: the task and how far it has come. */
export interface DashboardTaskSummary {
  id: string;
  /** The model's name from the spec; null when the spec lacks one. */
  name: string | null;
  ownerAddress: string;
  status: TaskStatus;
  rail: Rail;
  currency: string;
  budget: bigint;
  /** Rounds the spec asks for; null when the spec lacks the number. */
  roundsPlanned: number | null;
  roundsAggregated: number;
  /** Accuracy of the latest round that has one. */
  latestAccuracy: number | null;
  participants: number;
  deadline: Date;
  createdAt: Date;
}

/** What one holder did in one task's rounds. */
export interface DashboardHolderActivity {
  holderId: string;
  roundsTrained: number;
  lateUpdates: number;
  /** Training backends its updates reported (`wasm`, `webgpu`, …), sorted. */
  backends: string[];
}

export interface DashboardPrivacyCharge {
  holderId: string;
  taskId: string;
  epsilon: number;
  delta: number;
}

export interface DashboardTaskBrief {
  id: string;
  name: string | null;
  currency: string;
  status: TaskStatus;
}

const taskName = sql<string | null>`tasks.spec -> 'model' ->> 'name'`;
const roundsPlanned = sql<string | null>`tasks.spec ->> 'rounds'`;

/** Read-only queries behind the dashboard's task pages; nothing here writes. */
export class DashboardTasksRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Newest tasks first, drafts excluded: a draft is the owner's unfunded
   * proposal and becomes public only once funded.
   */
  async listPublic(limit = 200): Promise<DashboardTaskSummary[]> {
    const rows = await this.#db
      .selectFrom("tasks")
      .select([
        "tasks.id",
        "tasks.owner_address",
        "tasks.status",
        "tasks.rail",
        "tasks.currency",
        "tasks.budget",
        "tasks.deadline",
        "tasks.created_at",
        taskName.as("name"),
        roundsPlanned.as("rounds_planned"),
      ])
      .select((eb) => [
        eb
          .selectFrom("rounds")
          .select(sql<number>`count(*)::int`.as("count"))
          .whereRef("rounds.task_id", "=", "tasks.id")
          .where("rounds.status", "=", "aggregated")
          .as("rounds_aggregated"),
        eb
          .selectFrom("rounds")
          .select("rounds.accuracy")
          .whereRef("rounds.task_id", "=", "tasks.id")
          .where("rounds.accuracy", "is not", null)
          .orderBy("rounds.round", "desc")
          .limit(1)
          .as("latest_accuracy"),
        eb
          .selectFrom("agreement_proposals")
          .select(sql<number>`count(*)::int`.as("count"))
          .whereRef("agreement_proposals.task_id", "=", "tasks.id")
          .as("participants"),
      ])
      .where("tasks.status", "!=", "draft")
      .orderBy("tasks.created_at", "desc")
      .orderBy("tasks.id")
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      ownerAddress: row.owner_address,
      status: row.status,
      rail: row.rail,
      currency: row.currency,
      budget: moneyFromColumn(row.budget),
      roundsPlanned: row.rounds_planned === null ? null : Number(row.rounds_planned),
      roundsAggregated: row.rounds_aggregated ?? 0,
      latestAccuracy: row.latest_accuracy ?? null,
      participants: row.participants ?? 0,
      deadline: row.deadline,
      createdAt: row.created_at,
    }));
  }

  /** Per holder: how many rounds it sent an update for, how many late, on which backends. */
  async holderActivity(taskId: string): Promise<DashboardHolderActivity[]> {
    const rows = await this.#db
      .selectFrom("updates")
      .select([
        "holder_id",
        sql<number>`count(*) filter (where not late)::int`.as("rounds_trained"),
        sql<number>`count(*) filter (where late)::int`.as("late_updates"),
        sql<string[]>`array_agg(distinct backend order by backend)`.as("backends"),
      ])
      .where("task_id", "=", taskId)
      .groupBy("holder_id")
      .orderBy("holder_id")
      .execute();
    return rows.map((row) => ({
      holderId: row.holder_id,
      roundsTrained: row.rounds_trained,
      lateUpdates: row.late_updates,
      backends: row.backends,
    }));
  }

  /** ε and δ each holder was charged for this task (one charge per holder and task). */
  async privacyCharges(taskId: string): Promise<DashboardPrivacyCharge[]> {
    const rows = await this.#db
      .selectFrom("privacy_charges")
      .select(["holder_id", "task_id", "epsilon", "delta"])
      .where("task_id", "=", taskId)
      .orderBy("holder_id")
      .execute();
    return rows.map((row) => ({
      holderId: row.holder_id,
      taskId: row.task_id,
      epsilon: row.epsilon,
      delta: row.delta,
    }));
  }

  /** Name, currency and status of tasks by id, for pages that mention tasks. */
  async briefs(taskIds: readonly string[]): Promise<Map<string, DashboardTaskBrief>> {
    if (taskIds.length === 0) return new Map();
    const rows = await this.#db
      .selectFrom("tasks")
      .select(["tasks.id", "tasks.currency", "tasks.status", taskName.as("name")])
      .where("tasks.id", "in", [...new Set(taskIds)])
      .execute();
    return new Map(
      rows.map((row) => [
        row.id,
        { id: row.id, name: row.name, currency: row.currency, status: row.status },
      ]),
    );
  }
}
